"""Settings of the service: the framework's `Settings` plus what only the API needs."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from agents_core.config import Settings


class ApiSettings(Settings):
    """Every setting of the project, with the API's own (`API_KEY`, `CORS_ORIGINS`, ...)."""

    api_key: SecretStr | None = Field(
        default=None,
        description="When set, every route but /health and /ready needs the X-API-Key header.",
    )
    cors_origins: str = Field(
        default="",
        description="Comma-separated origins allowed by CORS ('*' for any); empty turns CORS off.",
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

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]
