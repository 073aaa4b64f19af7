"""Settings of the application, read from the environment and from `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents_core._defaults import DEFAULT_MODEL, PROJECT_SLUG

_PACKAGE_DIR = Path(__file__).resolve().parent


def default_data_dir() -> Path:
    """`data/` beside the project's pyproject.toml when run from a checkout, else in the cwd."""
    project_root = _PACKAGE_DIR.parent
    if (project_root / "pyproject.toml").is_file():
        return project_root / "data"
    return Path.cwd() / "data"


class Settings(BaseSettings):
    """Every setting of the project. `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    llm_provider: Literal["auto", "openai", "offline"] = Field(
        default="auto",
        description=(
            "auto: OpenAI when OPENAI_API_KEY is set, else the offline model; "
            "openai: always OpenAI (fails without a key); offline: always the offline model."
        ),
    )
    default_model: str = Field(
        default=DEFAULT_MODEL,
        min_length=1,
        description="Model of agents that name none. 'litellm/<provider>/<model>' for LiteLLM.",
    )
    openai_api_key: SecretStr | None = Field(default=None, description="OpenAI API key.")
    openai_base_url: str | None = Field(
        default=None, description="Base URL of an OpenAI-compatible server."
    )
    openai_api: Literal["responses", "chat_completions"] = Field(
        default="responses",
        description=(
            "Which OpenAI API the models speak: responses (/v1/responses) or chat_completions "
            "(/v1/chat/completions, what most local servers offer)."
        ),
    )
    model_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="Longest wait for one model request, whole answer included (each attempt).",
    )
    model_max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of a model request after a transient fault (timeout, 429, 5xx).",
    )
    model_retry_delay_seconds: float = Field(
        default=0.5,
        ge=0,
        le=8,
        description=(
            "Wait before the first retry of a model request; doubled for each next one, at most "
            "8 s, jittered. A server's Retry-After wins."
        ),
    )
    data_dir: Path = Field(default_factory=default_data_dir, description="Local state.")
    mcp_servers_file: Path = Field(
        default=_PACKAGE_DIR.parent / "mcp_servers.toml",
        description="TOML file declaring MCP servers (docs/mcp.md); a missing file declares none.",
    )
    a2a_agents_file: Path = Field(
        default=_PACKAGE_DIR.parent / "a2a_agents.toml",
        description="TOML file declaring remote A2A agents as tools (docs/framework/a2a.md).",
    )
    session_url: str = Field(
        default="",
        description="Where sessions are stored; empty means sqlite:///<data_dir>/sessions.db.",
    )
    session_max_items: int = Field(default=200, ge=2, le=100_000)
    session_lock_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long a turn waits for the turn before it on the same session "
        "(then SessionBusyError, HTTP 409).",
    )
    approval_timeout_seconds: float = Field(
        default=3600.0,
        gt=0,
        le=7 * 86_400,
        description="How long a tool call waiting for a human's approval stays decidable "
        "(then it is refused as expired and the run ends).",
    )
    rate_limit_per_minute: int | None = Field(
        default=None,
        ge=0,
        description="Runs (and approval decisions) per minute per principal; empty or 0: "
        "unlimited. Counted in the session store, so every process shares the count.",
    )
    token_budget_per_day: int | None = Field(
        default=None,
        ge=0,
        description="Model tokens (input + output, as the model reports them) per UTC day per "
        "principal; empty or 0: unlimited. Once used up, runs are refused until midnight UTC.",
    )
    max_turns: int = Field(default=10, ge=1, le=100)
    max_input_chars: int = Field(default=8_000, ge=1, le=1_000_000)
    tracing: Literal["auto", "on", "off"] = Field(
        default="auto", description="auto: on when an OpenAI key is set."
    )
    tracing_exporter: Literal["openai", "otlp", "console", "none"] = Field(
        default="openai",
        description=(
            "Where traces go: openai (the SDK's exporter, on by TRACING), otlp (OpenTelemetry "
            "over OTLP/HTTP, configured by OTEL_EXPORTER_OTLP_*), console (stderr), none."
        ),
    )
    tracing_capture_content: bool = Field(
        default=False,
        description="Record prompts, tool arguments and outputs in OpenTelemetry spans.",
    )
    otel_service_name: str = Field(
        default=PROJECT_SLUG, min_length=1, description="service.name of exported spans."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="WARNING", description="DEBUG, INFO, WARNING or ERROR, in any case."
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="text: one readable line per record; json: one JSON object."
    )
    weather_geocoding_url: str = Field(
        default="https://geocoding-api.open-meteo.com/v1/search",
        description="Open-Meteo geocoding endpoint of the sample weather tool.",
    )
    weather_forecast_url: str = Field(
        default="https://api.open-meteo.com/v1/forecast",
        description="Open-Meteo forecast endpoint of the sample weather tool.",
    )
    weather_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="Longest wait for each weather HTTP request, in seconds.",
    )
    require_sql_approval: bool = Field(
        default=False,
        description="The sample run_sql_query tool waits for a human's approval of each call.",
    )

    @field_validator("weather_geocoding_url", "weather_forecast_url", "openai_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        # openai_base_url may be None (unset; an empty value becomes None before this runs).
        if value is not None and (
            not value.startswith(("http://", "https://")) or any(ch.isspace() for ch in value)
        ):
            raise ValueError(f"must be an http:// or https:// URL without spaces, got {value!r}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_in_any_case(cls, value: object) -> object:
        level = value.strip().upper() if isinstance(value, str) else value
        # An unknown level is refused as given, so that the message shows what was set.
        return level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else value

    @field_validator("rate_limit_per_minute", "token_budget_per_day", mode="before")
    @classmethod
    def _empty_or_zero_is_unlimited(cls, value: object) -> object:
        return None if value in ("", 0, "0") else value

    @field_validator("openai_api_key", "openai_base_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("mcp_servers_file", mode="before")
    @classmethod
    def _empty_is_default_file(cls, value: object) -> object:
        return _PACKAGE_DIR.parent / "mcp_servers.toml" if value == "" else value

    @field_validator("a2a_agents_file", mode="before")
    @classmethod
    def _empty_is_default_a2a_file(cls, value: object) -> object:
        return _PACKAGE_DIR.parent / "a2a_agents.toml" if value == "" else value

    @model_validator(mode="after")
    def _base_url_needs_a_key(self) -> Settings:
        # Without a key, `auto` would pick the offline model: a server named in OPENAI_BASE_URL
        # would be silently ignored.
        if self.openai_base_url and not self.has_openai_key and self.llm_provider != "offline":
            raise ValueError(
                f"OPENAI_BASE_URL is set ({self.openai_base_url}) but OPENAI_API_KEY is not. "
                "Set OPENAI_API_KEY (any value, e.g. OPENAI_API_KEY=local, for a server that "
                "needs none), or LLM_PROVIDER=offline to run on the offline model."
            )
        return self

    @model_validator(mode="after")
    def _tracing_choices_agree(self) -> Settings:
        if self.tracing == "on" and self.tracing_exporter == "none":
            raise ValueError(
                "TRACING=on exports traces to OpenAI but TRACING_EXPORTER=none turns all tracing "
                "off: set TRACING=off, or TRACING_EXPORTER to openai, otlp or console."
            )
        return self

    @field_validator("default_model")
    @classmethod
    def _model_is_one_word(cls, value: str) -> str:
        if any(ch.isspace() for ch in value):
            raise ValueError(f"must be a single model name without spaces, got {value!r}")
        return value

    @property
    def has_openai_key(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())

    @property
    def resolved_session_url(self) -> str:
        return self.session_url or f"sqlite:///{self.data_dir / 'sessions.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once. `get_settings.cache_clear()` re-reads them."""
    return Settings()
