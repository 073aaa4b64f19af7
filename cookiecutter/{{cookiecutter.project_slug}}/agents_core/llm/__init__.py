"""Model selection, model-call settings (timeouts, retries, faults) and the offline model."""

from agents_core.llm.chat_history import alternate_roles, normalize_roles
from agents_core.llm.faults import CHAT_COMPLETIONS_HINT, FAULTS, Fault, model_call_error
from agents_core.llm.model_calls import call_settings, is_transient_status
from agents_core.llm.offline_model import OFFLINE_MODEL_NAME, OfflineModel
from agents_core.llm.openai_models import FinishCheckedChatCompletionsModel, openai_model
from agents_core.llm.selection import (
    close_model_clients,
    configure_tracing,
    resolve_model,
    uses_offline_model,
    uses_openai_platform,
)
from agents_core.llm.structured_output import LenientOutputSchema, extract_json

__all__ = [
    "CHAT_COMPLETIONS_HINT",
    "FAULTS",
    "OFFLINE_MODEL_NAME",
    "Fault",
    "FinishCheckedChatCompletionsModel",
    "LenientOutputSchema",
    "OfflineModel",
    "alternate_roles",
    "call_settings",
    "close_model_clients",
    "configure_tracing",
    "extract_json",
    "is_transient_status",
    "model_call_error",
    "normalize_roles",
    "openai_model",
    "resolve_model",
    "uses_offline_model",
    "uses_openai_platform",
]
