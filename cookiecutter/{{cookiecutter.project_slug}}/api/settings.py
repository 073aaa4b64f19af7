"""Settings of the service: the framework's `Settings` plus what only the API needs."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator

from agents_core.config import Settings

# RFC 9110 token characters: what a WebSocket subprotocol (`api-key.<key>`) may carry.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class ApiSettings(Settings):
    """Every setting of the project, with the API's own (`API_KEY`, `CORS_ORIGINS`, ...)."""

    api_key: SecretStr | None = Field(
        default=None,
        description=(
            "When set, every route but /health, /ready and the docs needs the X-API-Key header "
            "(WebSockets: the header or the subprotocol 'api-key.<key>')."
        ),
    )
    cors_origins: str = Field(
        default="",
        description=(
            "Comma-separated origins allowed by CORS and WebSockets ('*' for any); empty: CORS "
            "off, and WebSockets accept only their own origin (and clients that send none)."
        ),
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1_024,
        le=1_073_741_824,
        description="Largest request body (and WebSocket message), in bytes; larger ones get 413.",
    )

    max_context_chars: int = Field(
        default=16_000,
        ge=1,
        description="Largest `context` object of a run request, in characters of JSON.",
    )

    ready_checks_model: bool = Field(
        default=False,
        description="/ready also asks the model server for its models (GET /models).",
    )

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_api_key_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("api_key")
    @classmethod
    def _api_key_is_a_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError(
                "use letters, digits and !#$%&'*+-.^_`|~ only (it travels in a header and in a "
                "WebSocket subprotocol), e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return value

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]
