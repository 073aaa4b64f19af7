"""Is the model server there? A cheap probe for readiness checks (`READY_CHECKS_MODEL`)."""

from __future__ import annotations

from agents_core.config import Settings, get_settings
from agents_core.llm.openai_models import openai_client
from agents_core.llm.selection import LITELLM_PREFIX, uses_offline_model

PROBE_TIMEOUT_SECONDS = 5.0


async def check_model_server(settings: Settings | None = None) -> str:
    """ "ok" when the OpenAI-protocol server lists its models (`GET /models`); what was checked
    otherwise. Raises the client's error (`openai.APIError`) when the server does not answer."""
    settings = settings or get_settings()
    if uses_offline_model(settings=settings):
        return "offline model"
    if settings.default_model.startswith(LITELLM_PREFIX):
        return "not probed (LiteLLM)"
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    client = openai_client(key, settings.openai_base_url, settings.model_timeout_seconds)
    timeout = min(PROBE_TIMEOUT_SECONDS, settings.model_timeout_seconds)
    await client.with_options(timeout=timeout).models.list()
    return "ok"
