"""`OpenTelemetryProcessor`: the SDK's traces and spans as OpenTelemetry spans.

Span names and attributes follow the OpenTelemetry GenAI semantic conventions where they define
one (`invoke_agent {agent}`, `chat {model}`, `execute_tool {tool}`, `gen_ai.*` attributes); the
rest (guardrails, handoffs, MCP tool lists) carry `openai_agents.*` attributes. Prompts, tool
arguments and outputs are recorded only with `capture_content=True`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from agents.tracing import Span, Trace, TracingProcessor
from agents.tracing.span_data import (
    AgentSpanData,
    CustomSpanData,
    FunctionSpanData,
    GenerationSpanData,
    GuardrailSpanData,
    HandoffSpanData,
    MCPListToolsSpanData,
    ResponseSpanData,
)
from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

from agents_core.observability.model_responses import take_model_call

SYSTEM = "openai"
RUN_ID_ATTRIBUTE = "agents_core.run_id"
SESSION_ID_ATTRIBUTE = "session.id"
_MAX_CONTENT_CHARS = 8_000
SHUTDOWN_TIMEOUT_S = 2.0
"""Seconds that flushing or shutting down may wait on the collector (at exit, for example)."""

# The SDK's per-run and per-turn spans wrap the agent spans: they add depth, not information a
# GenAI backend shows; their children hang on their parent instead.
_FOLDED_SPAN_TYPES = frozenset({"task", "turn"})

_next_trace_id: ContextVar[int | None] = ContextVar("agents_core_next_trace_id", default=None)


class RunIdGenerator(RandomIdGenerator):
    """Gives a new root span the trace id the processor asks for (the run id), else a random one."""

    def generate_trace_id(self) -> int:
        wanted = _next_trace_id.get()
        return wanted if wanted else super().generate_trace_id()


def otel_trace_id(sdk_trace_id: str) -> int | None:
    """The OpenTelemetry trace id of an SDK trace id (`trace_<32 hex>`), None if it has none."""
    digits = sdk_trace_id.removeprefix("trace_")
    if len(digits) != 32:
        return None
    try:
        return int(digits, 16) or None
    except ValueError:
        return None


class OpenTelemetryProcessor(TracingProcessor):
    """Maps the SDK's traces and spans to OpenTelemetry spans of `tracer_provider`.

    A trace becomes a root span (`invoke_workflow {name}`) whose trace id is the SDK trace's
    (`trace_<run id>` for an orchestrator run, so the OpenTelemetry trace id is the run id),
    unless an OpenTelemetry span is already active (an API request): then the run joins that
    trace. Each SDK span becomes a child span of its SDK parent.
    """

    def __init__(
        self,
        tracer_provider: TracerProvider,
        *,
        capture_content: bool = False,
        owns_provider: bool = True,
    ) -> None:
        """`owns_provider`: shutting this processor down shuts the provider down too."""
        self.tracer_provider = tracer_provider
        self.capture_content = capture_content
        self.owns_provider = owns_provider
        self._tracer = tracer_provider.get_tracer("agents_core.observability")
        self._spans: dict[str, otel_trace.Span] = {}
        self._folded: dict[str, otel_trace.Span | None] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._stalled = False

    # -- traces ------------------------------------------------------------------------------------

    def on_trace_start(self, trace: Trace) -> None:
        data = trace.export() or {}
        attributes: dict[str, Any] = {"gen_ai.operation.name": "invoke_workflow"}
        if data.get("group_id"):
            attributes[SESSION_ID_ATTRIBUTE] = str(data["group_id"])
        metadata = data.get("metadata") or {}
        if isinstance(metadata, dict) and metadata.get("run_id"):
            attributes[RUN_ID_ATTRIBUTE] = str(metadata["run_id"])
        parent = otel_context.get_current()
        token = None
        if not otel_trace.get_current_span(parent).get_span_context().is_valid:
            token = _next_trace_id.set(otel_trace_id(trace.trace_id))
        try:
            span = self._tracer.start_span(
                f"invoke_workflow {trace.name}",
                context=parent,
                kind=SpanKind.INTERNAL,
                attributes=attributes,
            )
        finally:
            if token is not None:
                _next_trace_id.reset(token)
        with self._lock:
            self._spans[trace.trace_id] = span

    def on_trace_end(self, trace: Trace) -> None:
        with self._lock:
            span = self._spans.pop(trace.trace_id, None)
        if span is None:
            return
        data = trace.export() or {}
        metadata = data.get("metadata") or {}
        if isinstance(metadata, dict) and metadata.get("session_id"):
            span.set_attribute(SESSION_ID_ATTRIBUTE, str(metadata["session_id"]))
        if isinstance(metadata, dict):  # an orchestrator run's usage, all its agents together
            for key in ("input_tokens", "output_tokens"):
                if isinstance(metadata.get(key), int):
                    span.set_attribute(f"gen_ai.usage.{key}", metadata[key])
        if isinstance(metadata, dict) and metadata.get("outcome"):
            span.set_attribute("agents_core.outcome", str(metadata["outcome"]))
            if metadata["outcome"] not in ("ok", "paused"):
                span.set_status(Status(StatusCode.ERROR, str(metadata["outcome"])))
                # The fault's stable code (model_timeout...), else the error's class name.
                span.set_attribute("error.type", str(metadata.get("error_type") or "_OTHER"))
        span.end()

    # -- spans -------------------------------------------------------------------------------------

    def on_span_start(self, span: Span[Any]) -> None:
        with self._lock:
            parent = self._parent(span)
            if getattr(span.span_data, "type", None) in _FOLDED_SPAN_TYPES:
                self._folded[span.span_id] = parent
                return
        context = otel_trace.set_span_in_context(parent) if parent is not None else None
        name, attributes = self._describe(span.span_data)
        otel_span = self._tracer.start_span(
            name, context=context, kind=_kind(span.span_data), attributes=attributes
        )
        with self._lock:
            self._spans[span.span_id] = otel_span

    def _parent(self, span: Span[Any]) -> otel_trace.Span | None:
        parent_id = span.parent_id or ""
        if parent_id in self._folded:
            return self._folded[parent_id]
        return self._spans.get(parent_id) or self._spans.get(span.trace_id)

    def on_span_end(self, span: Span[Any]) -> None:
        with self._lock:
            self._folded.pop(span.span_id, None)
            otel_span = self._spans.pop(span.span_id, None)
        if otel_span is None:
            return
        # Usage, outputs and results are known only at the end.
        name, attributes = self._describe(span.span_data, ended=True)
        note = take_model_call(span.span_id)
        if note is not None:  # what the model server said, the same way on both APIs
            if note.request_model:
                attributes.setdefault("gen_ai.request.model", note.request_model)
                name = f"chat {attributes['gen_ai.request.model']}"
            if note.response_model:
                attributes["gen_ai.response.model"] = note.response_model
            if note.response_id:
                attributes["gen_ai.response.id"] = note.response_id
        if attributes.get("gen_ai.operation.name") == "chat":
            otel_span.update_name(name)  # the model is known only now on the Responses API
        otel_span.set_attributes(attributes)
        if span.error:
            otel_span.set_status(Status(StatusCode.ERROR, str(span.error.get("message", ""))))
            fault = note.fault if note is not None else None
            otel_span.set_attribute("error.type", fault or _error_type(span.error))
        otel_span.end()

    def shutdown(self, timeout: float = SHUTDOWN_TIMEOUT_S) -> None:
        """End the open spans and shut the provider down, waiting at most `timeout` seconds.

        With the collector down the OTLP exporter retries for 10 s and more; the spans it has
        not sent by then are dropped rather than holding the process at exit. (The SDK calls
        this at exit with its own timeout.)
        """
        with self._lock:
            spans = list(self._spans.values())
            self._spans.clear()
            self._folded.clear()
        for span in spans:
            span.end()
        if not self.owns_provider or self._closed:
            return
        self._closed = True  # the SDK's exit hook and ours both call this
        # A flush that already ran out of time: the collector is not answering, don't wait again.
        wait = 0.1 if self._stalled else min(timeout, SHUTDOWN_TIMEOUT_S)
        _within(wait, self.tracer_provider.shutdown)

    def force_flush(self, timeout: float = SHUTDOWN_TIMEOUT_S) -> None:
        """Export the finished spans, waiting at most `timeout` seconds."""
        if not self._closed:
            self._stalled = not _within(timeout, self.tracer_provider.force_flush)

    # -- mapping -----------------------------------------------------------------------------------

    def _describe(self, data: Any, *, ended: bool = False) -> tuple[str, dict[str, Any]]:
        attributes: dict[str, Any] = {"gen_ai.system": SYSTEM, "gen_ai.provider.name": SYSTEM}
        if isinstance(data, AgentSpanData):
            attributes |= {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": data.name}
            if data.tools:
                attributes["openai_agents.agent.tools"] = list(data.tools)
            if data.output_type:
                attributes["openai_agents.agent.output_type"] = data.output_type
            return f"invoke_agent {data.name}", attributes
        if isinstance(data, GenerationSpanData):
            model = data.model or "unknown"
            attributes |= {"gen_ai.operation.name": "chat", "gen_ai.request.model": model}
            attributes |= _usage(data.usage)
            if self.capture_content and ended:
                attributes |= self._content("gen_ai.input.messages", data.input)
                attributes |= self._content("gen_ai.output.messages", data.output)
            return f"chat {model}", attributes
        if isinstance(data, ResponseSpanData):
            attributes["gen_ai.operation.name"] = "chat"
            response = data.response
            if response is not None:
                attributes["gen_ai.request.model"] = str(response.model)
                attributes["gen_ai.response.model"] = str(response.model)
                attributes["gen_ai.response.id"] = response.id
                if response.usage is not None:
                    attributes["gen_ai.usage.input_tokens"] = response.usage.input_tokens
                    attributes["gen_ai.usage.output_tokens"] = response.usage.output_tokens
            attributes |= _usage(data.usage)
            if self.capture_content and ended:
                attributes |= self._content("gen_ai.input.messages", data.input)
                if response is not None:
                    attributes |= self._content(
                        "gen_ai.output.messages", [item.model_dump() for item in response.output]
                    )
            model = attributes.get("gen_ai.request.model", "")
            return f"chat {model}".strip(), attributes
        if isinstance(data, FunctionSpanData):
            attributes |= {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": data.name,
                "gen_ai.tool.type": "function",
            }
            if data.mcp_data:
                attributes["openai_agents.mcp.server"] = str(data.mcp_data.get("server", ""))
            if self.capture_content and ended:
                attributes |= self._content("gen_ai.tool.call.arguments", data.input)
                attributes |= self._content("gen_ai.tool.call.result", data.output)
            return f"execute_tool {data.name}", attributes
        if isinstance(data, GuardrailSpanData):
            attributes |= {
                "openai_agents.guardrail.name": data.name,
                "openai_agents.guardrail.triggered": data.triggered,
            }
            return f"guardrail {data.name}", attributes
        if isinstance(data, HandoffSpanData):
            attributes |= {
                "openai_agents.handoff.from_agent": data.from_agent or "",
                "openai_agents.handoff.to_agent": data.to_agent or "",
            }
            return f"handoff {data.from_agent} -> {data.to_agent}", attributes
        if isinstance(data, MCPListToolsSpanData):
            attributes |= {"mcp.method.name": "tools/list"}
            if data.server:
                attributes["openai_agents.mcp.server"] = data.server
            if ended and data.result is not None:
                attributes["openai_agents.mcp.tools"] = list(data.result)
            return f"tools/list {data.server or ''}".strip(), attributes
        if isinstance(data, CustomSpanData):
            return data.name, attributes
        kind = str(getattr(data, "type", "span"))
        attributes |= _usage(getattr(data, "usage", None))
        return kind, attributes

    def _content(self, key: str, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        return {key: text[:_MAX_CONTENT_CHARS]}


def _within(timeout: float, action: Callable[[], object]) -> bool:
    """Run `action` for at most `timeout` seconds; returns whether it finished."""
    # In a daemon thread: one still waiting on the collector neither blocks the caller past
    # `timeout` nor keeps the process alive.
    worker = threading.Thread(target=action, name="otel-flush", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    return not worker.is_alive()


def _kind(data: Any) -> SpanKind:
    """CLIENT for calls to another service (model servers, MCP servers), else INTERNAL."""
    if isinstance(data, GenerationSpanData | ResponseSpanData | MCPListToolsSpanData):
        return SpanKind.CLIENT
    if isinstance(data, FunctionSpanData) and data.mcp_data:
        return SpanKind.CLIENT
    return SpanKind.INTERNAL


def _error_type(error: Any) -> str:
    """`error.type` of a failed span without a model fault: `model_timeout` for the SDK's
    deadline, else `_OTHER` (the conventions' value when no better one is known)."""
    if "timeout" in json.dumps(error, default=str).lower():
        return "model_timeout"
    return "_OTHER"


def _usage(usage: Any) -> dict[str, Any]:
    if not isinstance(usage, dict):
        return {}
    attributes: dict[str, Any] = {}
    for ours, theirs in (("input_tokens", "input_tokens"), ("output_tokens", "output_tokens")):
        if isinstance(usage.get(theirs), int):
            attributes[f"gen_ai.usage.{ours}"] = usage[theirs]
    return attributes
