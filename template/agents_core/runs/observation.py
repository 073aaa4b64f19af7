"""How a run is observed: its trace, its log line, and the model tokens it used."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from agents.tracing import get_current_trace, trace

from agents_core.exceptions import GuardrailTripped, ModelCallError
from agents_core.limits.limiter import record_tokens
from agents_core.observability.run_log import current_run_id, log_run, sdk_trace_id, token_usage
from agents_core.runs.state import OpenRun
from agents_core.utils.tasks import run_to_end

logger = logging.getLogger(__name__)


def error_code(error: BaseException) -> str:
    """The stable code of a run's failure: a model fault's (`model_rate_limited`, as the API's
    JSON errors name it), else the error's class name."""
    if isinstance(error, ModelCallError):
        return f"model_{error.fault}"
    return type(error).__name__


@dataclass
class RunRecord:
    """How a run ended, for its log line and its trace: ok | paused | refused | error |
    cancelled."""

    outcome: str = "error"
    error: str | None = None
    error_type: str | None = None
    """The fault's stable code (`model_timeout`...), else the error's class name."""
    agent: str | None = None
    tokens: dict[str, int] = field(default_factory=dict)
    """Model tokens the run's agents used: `input`, `output` (the run's own dict)."""

    def failed(self, error: BaseException) -> None:
        if isinstance(error, GuardrailTripped):
            self.outcome = "refused"
        elif isinstance(error, asyncio.CancelledError):
            self.outcome = "cancelled"
        else:
            self.outcome = "error"
        self.error = f"{type(error).__name__}: {error}"
        self.error_type = error_code(error)


@contextlib.asynccontextmanager
async def observed(state: OpenRun, workflow: str) -> AsyncIterator[RunRecord]:
    """The run's trace (`trace_<run id>`, grouped by session) and its log line at the end,
    both with the model tokens the run used, which count against its principal's budget.

    Inside an SDK trace that is already open (a run inside a workflow's run) the run's agents
    join that trace instead; an outer counter (an eval's) gets the tokens too.
    """
    record = RunRecord(tokens=state.tokens)
    outer_tokens = token_usage.get()
    tokens_token = token_usage.set(record.tokens)
    metadata: dict[str, Any] = {"run_id": state.run_id}
    sdk_trace = None
    if get_current_trace() is None:
        sdk_trace = trace(
            workflow,
            trace_id=sdk_trace_id(state.run_id),
            group_id=state.session_id,
            metadata=metadata,
        )
        sdk_trace.start(mark_as_current=True)
    token = current_run_id.set(state.run_id)
    started = time.perf_counter()
    try:
        yield record
    except BaseException as error:
        record.failed(error)
        raise
    finally:
        token_usage.reset(tokens_token)
        input_tokens, output_tokens = record.tokens.get("input", 0), record.tokens.get("output", 0)
        if outer_tokens is not None and outer_tokens is not record.tokens:
            outer_tokens["input"] = outer_tokens.get("input", 0) + input_tokens
            outer_tokens["output"] = outer_tokens.get("output", 0) + output_tokens
        metadata |= {
            "session_id": state.session_id,
            "outcome": record.outcome,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
        }
        if record.outcome == "error" and record.error_type:
            metadata["error_type"] = record.error_type
        if sdk_trace is not None:
            sdk_trace.finish(reset_current=True)
        current_run_id.reset(token)
        log_run(
            run_id=state.run_id,
            session_id=state.session_id,
            agent=record.agent,
            duration_s=time.perf_counter() - started,
            outcome=record.outcome,
            error=record.error,
            error_type=record.error_type if record.outcome == "error" else None,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )
        if input_tokens + output_tokens:
            await _count_tokens(state, input_tokens + output_tokens)


async def _count_tokens(state: OpenRun, tokens: int) -> None:
    """Add the run's tokens to its principal's day. A store that fails is logged, not raised:
    the run's outcome, already decided, must not be replaced by a bookkeeping error."""
    try:
        await run_to_end(record_tokens(state.principal, tokens))
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("run %s: its %d model tokens could not be counted", state.run_id, tokens)
