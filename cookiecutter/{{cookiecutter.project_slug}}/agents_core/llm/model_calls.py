"""How long a model request may take and which faults are retried, as SDK model settings.

One layer retries a model request: the SDK's runner (`ModelSettings(retry=...)`), with the
policy below. The OpenAI client under it never retries (`max_retries=0`), LiteLLM neither, and
Prefect tasks do not retry model errors.
"""

from __future__ import annotations

import logging
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

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY_SECONDS = 8.0
"""The longest backoff between two attempts (a server's `Retry-After` aside)."""


def is_transient_status(status: int | None) -> bool:
    return status is not None and (status in TRANSIENT_STATUSES or status >= 500)


def call_settings(settings: Settings) -> ModelSettings:
    """The timeout and retries of every model request (`MODEL_TIMEOUT_SECONDS`,
    `MODEL_MAX_RETRIES`, `MODEL_RETRY_DELAY_SECONDS`), as `ModelSettings` that a definition's own
    settings override."""
    longest_wait = settings.model_timeout_seconds

    def transient_only(context: RetryPolicyContext) -> bool | RetryDecision:
        """Retry what the fault table says (`agents_core.llm.faults`): timeouts, lost
        connections, 408, 429, 5xx, and a stream that broke off or sent an unreadable chunk
        before its first token (the SDK never retries once a token was shown); never another
        4xx or a bad output. Each retry logs one WARNING naming the attempt and the fault.

        `Retry-After` is honoured up to `MODEL_TIMEOUT_SECONDS`; a longer one fails at once,
        so that the caller (the API's 429) can pass it on instead of holding the request.
        """
        from agents_core.llm.faults import FAULTS, fault_name

        fault = context.normalized
        if fault.is_abort:
            return False
        name = fault_name(context.error)
        if name is not None:
            transient = FAULTS[name].retried != "no"
        elif fault.status_code is not None:
            transient = is_transient_status(fault.status_code)
        else:
            transient = fault.is_timeout or fault.is_network_error
        if not transient:
            return False
        decision = RetryDecision(retry=True)
        if fault.retry_after is not None:
            if fault.retry_after > longest_wait:
                return False
            decision = RetryDecision(retry=True, delay=fault.retry_after, reason="Retry-After")
        _log_retry(context, name)
        return decision

    return ModelSettings(
        timeout=settings.model_timeout_seconds,
        include_usage=True,  # Chat Completions streams report token usage only when asked
        retry=ModelRetrySettings(
            max_retries=settings.model_max_retries,
            backoff=ModelRetryBackoffSettings(
                initial_delay=settings.model_retry_delay_seconds,
                max_delay=MAX_RETRY_DELAY_SECONDS,
                multiplier=2.0,
                jitter=True,
            ),
            policy=transient_only,
        ),
    )


def _log_retry(context: RetryPolicyContext, name: str | None) -> None:
    from agents_core.observability.run_log import current_run_id

    code = f"model_{name}" if name else type(context.error).__name__
    fields: dict[str, Any] = {
        "event": "model_retry",
        "run_id": current_run_id.get(),
        "attempt": context.attempt,
        "attempts": context.max_retries + 1,
        "fault": code,
    }
    logger.warning(
        "model request attempt %d of %d failed (%s); retrying",
        context.attempt,
        context.max_retries + 1,
        code,
        extra={"fields": fields},
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
