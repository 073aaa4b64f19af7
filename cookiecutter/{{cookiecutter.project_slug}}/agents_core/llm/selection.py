"""Which model runs an agent: OpenAI, an OpenAI-compatible server, LiteLLM, or offline."""

from __future__ import annotations

import os
from functools import lru_cache

from agents import Model, set_tracing_export_api_key

from agents_core.config import Settings, get_settings
from agents_core.exceptions import ConfigurationError
from agents_core.llm.offline_model import OFFLINE_MODEL_NAME, OfflineModel
from agents_core.llm.openai_models import close_openai_clients, openai_model
from agents_core.observability.tracing_setup import install_trace_processors

LITELLM_PREFIX = "litellm/"
OPENAI_API_URL = "https://api.openai.com/"


def uses_offline_model(model_name: str | None = None, settings: Settings | None = None) -> bool:
    """True when `model_name` would run on the offline model under these settings."""
    settings = settings or get_settings()
    name = model_name or settings.default_model
    if name == OFFLINE_MODEL_NAME or settings.llm_provider == "offline":
        return True
    if settings.llm_provider == "auto":
        return not name.startswith(LITELLM_PREFIX) and not settings.has_openai_key
    return False


def resolve_model(model_name: str | None = None, settings: Settings | None = None) -> Model:
    """The SDK model for a definition's model name (None: the `DEFAULT_MODEL` setting).

    `LLM_PROVIDER=auto` uses OpenAI when `OPENAI_API_KEY` is set and the offline model when it
    is not; a key that is set but wrong fails at the first call, it never falls back.
    """
    settings = settings or get_settings()
    name = model_name or settings.default_model
    if uses_offline_model(name, settings):
        return _offline_model()
    if name.startswith(LITELLM_PREFIX):
        return _litellm_model(name.removeprefix(LITELLM_PREFIX), settings)
    if not settings.has_openai_key:
        raise ConfigurationError(
            f"LLM_PROVIDER={settings.llm_provider} needs OPENAI_API_KEY to run model {name!r}. "
            "Set the key, or use LLM_PROVIDER=auto or offline to run on the offline model."
        )
    return openai_model(name, settings)


def uses_openai_platform(settings: Settings | None = None) -> bool:
    """True when the default model runs on OpenAI's own API (not a local or other server)."""
    settings = settings or get_settings()
    base_url = settings.openai_base_url
    return (
        settings.has_openai_key
        and not uses_offline_model(settings=settings)
        and not settings.default_model.startswith(LITELLM_PREFIX)
        and (base_url is None or base_url.startswith(OPENAI_API_URL))
    )


def configure_tracing(settings: Settings | None = None) -> bool:
    """Install the trace processors the settings ask for; returns whether SDK tracing is on.

    `TRACING` governs the SDK's exporter to OpenAI: `auto` exports only when the model is
    OpenAI's, at OpenAI's URL, with a key (never offline, with a local or third-party server, or
    through LiteLLM); `on` exports whenever a key is set (the exporter needs one); `off` never.
    `TRACING_EXPORTER` picks where traces go: `openai` (that exporter, by those rules), `otlp` or
    `console` (OpenTelemetry; with `TRACING=on` OpenAI gets them too), `none`. Off is silent.
    """
    settings = settings or get_settings()
    if settings.tracing == "on":
        openai_export = settings.has_openai_key
    else:
        openai_export = (
            settings.tracing == "auto"
            and settings.tracing_exporter == "openai"
            and uses_openai_platform(settings)
        )
    enabled = install_trace_processors(settings, openai_export=openai_export)
    if openai_export and settings.openai_api_key is not None:
        # The exporter reads the process environment; a key from .env reaches it only here.
        set_tracing_export_api_key(settings.openai_api_key.get_secret_value())
    return enabled


async def close_model_clients() -> None:
    """Close the connections to model servers before the event loop that opened them ends.

    The CLI does it at the end of each command, the API at shutdown; tests after each test
    (each has its own event loop). The next model call opens new ones.
    """
    await close_openai_clients()


@lru_cache(maxsize=1)
def _offline_model() -> OfflineModel:
    return OfflineModel()


def _litellm_model(model: str, settings: Settings) -> Model:
    # LiteLLM fetches its model cost map from the internet when imported (seconds of waiting
    # and warnings offline) unless told to use the copy it ships.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    try:
        import litellm
        from agents.extensions.models.litellm_model import LitellmModel
    except ImportError as error:  # the extra is optional
        raise ConfigurationError(
            f"Model 'litellm/{model}' needs the LiteLLM extension: "
            "uv add 'openai-agents[litellm]' (or install this project's 'litellm' extra)."
        ) from error
    litellm.suppress_debug_info = True  # no coloured "Give Feedback / Get Help" banners
    if not model.startswith("openai/"):
        return LitellmModel(model=model)  # other providers read their own keys (ANTHROPIC_...)
    # LiteLLM's route to any OpenAI-compatible server: the project's server and key.
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return LitellmModel(model=model, base_url=settings.openai_base_url, api_key=key)
