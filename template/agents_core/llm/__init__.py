"""Model selection and the offline model."""

from agents_core.llm.offline_model import OFFLINE_MODEL_NAME, OfflineModel
from agents_core.llm.selection import configure_tracing, resolve_model, uses_offline_model

__all__ = [
    "OFFLINE_MODEL_NAME",
    "OfflineModel",
    "configure_tracing",
    "resolve_model",
    "uses_offline_model",
]
