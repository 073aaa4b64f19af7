"""Settings of the service: the framework's `Settings` plus what only the API needs."""

from __future__ import annotations

from pydantic import Field

from agents_core.auth.settings import AuthSettings
from agents_core.config import Settings


class ApiSettings(Settings, AuthSettings):
    """Every setting of the project, with authentication's (`API_KEY`, `JWT_ISSUER`, ...) and
    the API's own (`CORS_ORIGINS`, ...)."""

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

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]
