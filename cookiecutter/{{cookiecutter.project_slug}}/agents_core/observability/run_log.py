"""Run ids and the structured log lines of runs and tool calls (logger `agents_core.runs`).

Every orchestrator run gets a run id (32 hex digits). The SDK trace of the run is
`trace_<run id>` and, with `TRACING_EXPORTER=otlp`, its OpenTelemetry trace id is the run id
itself, so the id a user gets back (CLI, `X-Run-Id`) finds the trace. A run started under an
OpenTelemetry span (an API request, a Prefect flow run) joins that span's trace instead: its
span carries the run id (`agents_core.run_id`) and its log line the `trace_id`.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

from agents import Agent, ModelResponse, RunContextWrapper, RunHooks, Tool

RUN_LOGGER = "agents_core.runs"

logger = logging.getLogger(RUN_LOGGER)
current_run_id: ContextVar[str | None] = ContextVar("agents_core_run_id", default=None)
token_usage: ContextVar[dict[str, int] | None] = ContextVar("agents_core_token_usage", default=None)
"""Set it to a dict to count the model tokens of the runs that follow (`input`, `output`)."""


def new_run_id() -> str:
    """A new run id: 32 lowercase hex digits (also a valid OpenTelemetry trace id)."""
    return uuid.uuid4().hex


def sdk_trace_id(run_id: str) -> str:
    """The SDK trace id of a run (`trace_<run id>`)."""
    return f"trace_{run_id}"


def log_run(
    *,
    run_id: str,
    session_id: str | None,
    agent: str | None,
    duration_s: float,
    outcome: str,
    error: str | None = None,
    error_type: str | None = None,
    input_tokens: int = 0,
    output_tokens: int = 0,
) -> None:
    """One line per run: `run <id> <outcome> ...`, with the fields as `extra` for JSON logs.

    The model tokens are the run's usage as the models reported it (all its agents).
    """
    fields: dict[str, Any] = {
        "event": "run",
        "run_id": run_id,
        "session_id": session_id,
        "agent": agent,
        "duration_ms": round(duration_s * 1000, 1),
        "outcome": outcome,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }
    trace_id = current_otel_trace_id()
    if trace_id is not None and trace_id != run_id:
        fields["trace_id"] = trace_id
    if error_type:
        fields["error_type"] = error_type  # a model fault's stable code, as every door names it
    if error:
        fields["error"] = error
    # A run that waits for a human's approval is working as meant: not a warning. A failed run
    # is the one ERROR of a failure (a retried attempt that recovered is a WARNING).
    level = {"ok": logging.INFO, "paused": logging.INFO, "error": logging.ERROR}.get(
        outcome, logging.WARNING
    )
    logger.log(level, _text(fields), extra={"fields": fields})


def current_otel_trace_id() -> str | None:
    """The trace id (32 hex digits) of the current OpenTelemetry span, None without one."""
    otel_trace = sys.modules.get("opentelemetry.trace")  # not imported: no span can be current
    if otel_trace is None:
        return None
    span_context = otel_trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def log_tool_call(
    *, tool: str, agent: str, session_id: str | None, duration_s: float, outcome: str
) -> None:
    """One line per tool call, with the id of the run it belongs to (if any) and its session."""
    fields: dict[str, Any] = {
        "event": "tool_call",
        "run_id": current_run_id.get(),
        "session_id": session_id,
        "agent": agent,
        "tool": tool,
        "duration_ms": round(duration_s * 1000, 1),
        "outcome": outcome,
    }
    logger.info(_text(fields), extra={"fields": fields})


def _text(fields: dict[str, Any]) -> str:
    return " ".join(f"{key}={_value(value)}" for key, value in fields.items() if value is not None)


def _value(value: Any) -> str:
    # Quoted when it has spaces, line breaks or other unprintable characters: an error message
    # cannot forge a second log line. JSON escapes the ASCII controls; the rest (NEL, U+2028/9,
    # DEL, ...) are escaped here, since some viewers break lines on them too.
    text = str(value)
    if text and all(c.isprintable() and not c.isspace() for c in text):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in quoted)


class RunLogHooks(RunHooks[Any]):
    """Run hooks that log each tool call (name, agent, duration, outcome) with the run id."""

    def __init__(self) -> None:
        self._started: dict[tuple[str, str], float] = {}

    async def on_tool_start(
        self, context: RunContextWrapper[Any], agent: Agent[Any], tool: Tool
    ) -> None:
        self._started[_key(context, tool)] = time.perf_counter()

    async def on_tool_end(
        self, context: RunContextWrapper[Any], agent: Agent[Any], tool: Tool, result: object
    ) -> None:
        started = self._started.pop(_key(context, tool), None)
        duration = time.perf_counter() - started if started is not None else 0.0
        session_id = getattr(context.context, "session_id", None)
        log_tool_call(
            tool=tool.name,
            agent=agent.name,
            session_id=str(session_id) if session_id else None,
            duration_s=duration,
            outcome="ok",
        )

    async def on_llm_end(
        self, context: RunContextWrapper[Any], agent: Agent[Any], response: ModelResponse
    ) -> None:
        counts = token_usage.get()
        if counts is not None:
            counts["input"] = counts.get("input", 0) + response.usage.input_tokens
            counts["output"] = counts.get("output", 0) + response.usage.output_tokens


def _key(context: RunContextWrapper[Any], tool: Tool) -> tuple[str, str]:
    return (str(getattr(context, "tool_call_id", "")), tool.name)
