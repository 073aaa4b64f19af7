"""Settings of the service: the framework's `Settings` plus what only the API needs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from agents_core.auth.settings import AuthSettings
from agents_core.config import Settings
from api.hosts import HostAllowlist, parse_allowed_hosts


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
    allowed_hosts: str = Field(
        default="",
        description=(
            "Comma-separated host names the API answers besides localhost, 127.0.0.1 and [::1] "
            "(DNS-rebinding guard): 'api.example.com', '*.example.com' (subdomains), an IP; '*' "
            "alone for any host. Other Host headers get 400."
        ),
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Longest wait for a request's headers (slow clients are cut off: 408).",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Longest wait for a request's body, after its headers (then 408).",
    )
    max_connections: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="Connections and requests one server process takes at once; more get 503.",
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

    a2a_task_store: Literal["shared", "memory"] = Field(
        default="shared",
        description=(
            "Where the A2A door keeps its tasks: 'shared' beside the sessions (the SQLite "
            "file's directory, or PostgreSQL: any API process answers a follow-up), 'memory' in "
            "each process (a single process only; about twice the requests/s)."
        ),
    )

    @field_validator("allowed_hosts")
    @classmethod
    def _allowed_hosts_are_names(cls, value: str) -> str:
        parse_allowed_hosts(value)  # a bad entry raises, naming what is allowed
        return value

    @property
    def host_allowlist(self) -> HostAllowlist:
        return HostAllowlist(tuple(parse_allowed_hosts(self.allowed_hosts)))

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]
