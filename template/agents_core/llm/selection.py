"""Which model runs an agent: OpenAI, an OpenAI-compatible server, LiteLLM, or offline."""

from __future__ import annotations

from functools import lru_cache

from agents import Model, set_tracing_disabled, set_tracing_export_api_key
from agents.models.openai_provider import OpenAIProvider

from agents_core.config import Settings, get_settings
from agents_core.exceptions import ConfigurationError
from agents_core.llm.offline_model import OFFLINE_MODEL_NAME, OfflineModel

LITELLM_PREFIX = "litellm/"


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
        return _litellm_model(name.removeprefix(LITELLM_PREFIX))
    if not settings.has_openai_key:
        raise ConfigurationError(
            f"LLM_PROVIDER={settings.llm_provider} needs OPENAI_API_KEY to run model {name!r}. "
            "Set the key, or use LLM_PROVIDER=auto or offline to run on the offline model."
        )
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return _openai_provider(key, settings.openai_base_url).get_model(name)


def configure_tracing(settings: Settings | None = None) -> bool:
    """Turn SDK tracing off when it cannot be exported (no key) or is switched off; returns on."""
    settings = settings or get_settings()
    enabled = settings.tracing == "on" or (settings.tracing == "auto" and settings.has_openai_key)
    set_tracing_disabled(not enabled)
    if enabled and settings.openai_api_key is not None:
        # The exporter reads the process environment; a key from .env reaches it only here.
        set_tracing_export_api_key(settings.openai_api_key.get_secret_value())
    return enabled


@lru_cache(maxsize=1)
def _offline_model() -> OfflineModel:
    return OfflineModel()


@lru_cache(maxsize=4)
def _openai_provider(api_key: str | None, base_url: str | None) -> OpenAIProvider:
    return OpenAIProvider(api_key=api_key, base_url=base_url)


def _litellm_model(model: str) -> Model:
    try:
        from agents.extensions.models.litellm_model import LitellmModel
    except ImportError as error:  # the extra is optional
        raise ConfigurationError(
            f"Model 'litellm/{model}' needs the LiteLLM extension: "
            "uv add 'openai-agents[litellm]' (or install this project's 'litellm' extra)."
        ) from error
    return LitellmModel(model=model)
