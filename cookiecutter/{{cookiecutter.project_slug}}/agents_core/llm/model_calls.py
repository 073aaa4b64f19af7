"""How long a model request may take and which faults are retried, as SDK model settings.

One layer retries a model request: the SDK's runner (`ModelSettings(retry=...)`), with the
policy below. The OpenAI client under it never retries (`max_retries=0`), LiteLLM neither, and
Prefect tasks do not retry model errors.
"""

from __future__ import annotations

from typing import Any

from agents import Model, ModelSettings
from agents.retry import (
    ModelRetryBackoffSettings,
    ModelRetrySettings,
    RetryDecision,
    RetryPolicyContext,
)

from agents_core.config import Settings

TRANSIENT_STATUSES = frozenset({408, 429})
"""HTTP statuses worth a retry, besides every 5xx."""

_BACKOFF = ModelRetryBackoffSettings(initial_delay=0.5, max_delay=8.0, multiplier=2.0, jitter=True)


def is_transient_status(status: int | None) -> bool:
    return status is not None and (status in TRANSIENT_STATUSES or status >= 500)


def call_settings(settings: Settings) -> ModelSettings:
    """The timeout and retries of every model request (`MODEL_TIMEOUT_SECONDS`,
    `MODEL_MAX_RETRIES`), as `ModelSettings` that a definition's own settings override."""
    longest_wait = settings.model_timeout_seconds

    def transient_only(context: RetryPolicyContext) -> bool | RetryDecision:
        """Retry timeouts, lost connections, 408, 429 and 5xx; never 4xx or a bad output.

        `Retry-After` is honoured up to `MODEL_TIMEOUT_SECONDS`; a longer one fails at once,
        so that the caller (the API's 429) can pass it on instead of holding the request.
        """
        fault = context.normalized
        if fault.is_abort:
            return False
        if fault.status_code is not None:
            transient = is_transient_status(fault.status_code)
        else:
            transient = fault.is_timeout or fault.is_network_error
        if not transient:
            return False
        if fault.retry_after is not None:
            if fault.retry_after > longest_wait:
                return False
            return RetryDecision(retry=True, delay=fault.retry_after, reason="Retry-After")
        return True

    return ModelSettings(
        timeout=settings.model_timeout_seconds,
        retry=ModelRetrySettings(
            max_retries=settings.model_max_retries, backoff=_BACKOFF, policy=transient_only
        ),
    )


def settings_for_model(
    model: Model, own: ModelSettings | None, settings: Settings
) -> ModelSettings | None:
    """An agent's model settings: the project's call settings under the definition's own.

    The offline model answers at once and never fails transiently: it keeps `own` unchanged.
    """
    from agents_core.llm.offline_model import OfflineModel

    if isinstance(model, OfflineModel):
        return own
    base = call_settings(settings)
    if _is_litellm(model):
        # LiteLLM (and the OpenAI client inside it) would retry on its own: the runner does.
        extra: dict[str, Any] = {"num_retries": 0, "max_retries": 0}
        base = base.resolve(ModelSettings(extra_args=extra))
    return base.resolve(own)


def _is_litellm(model: Model) -> bool:
    return type(model).__name__ == "LitellmModel"
