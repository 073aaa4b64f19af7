"""Spans of real model calls, received over OTLP/HTTP on 127.0.0.1, the same on both APIs.

A streamed run with a tool against llmock: the model spans follow the OpenTelemetry GenAI
conventions (`chat {model}`, kind CLIENT, token counts, the response's model and id), and a
failed call's `error.type` is the fault's stable code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from agents.tracing import get_trace_provider
from llmock.scenarios import Fail, Reply, ToolCall
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from agents_core.observability.tracing_setup import shutdown_trace_processors
from agents_core.orchestrator import AgentOrchestrator
from tests.local_http import serving
from tests.models.conftest import MODEL, ModelServer
from tests.observability.test_otlp_export import OtlpReceiver

pytestmark = pytest.mark.allow_model_calls


@pytest.fixture
def traced(model_server: ModelServer) -> Iterator[OtlpReceiver]:
    """An OTLP/HTTP receiver, and the project's settings exporting to it."""
    with serving(OtlpReceiver()) as server:
        model_server.configure(TRACING_EXPORTER="otlp", OTEL_EXPORTER_OTLP_ENDPOINT=server.endpoint)
        yield server
        shutdown_trace_processors()


def _attributes(span: Span) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute in span.attributes:
        value = attribute.value
        values[attribute.key] = getattr(value, value.WhichOneof("value") or "string_value")
    return values


async def _run(session_id: str) -> list[str]:
    events: list[str] = [
        event.type
        async for event in AgentOrchestrator().stream("What is 6 * 7?", session_id=session_id)
    ]
    get_trace_provider().force_flush()
    return events


async def test_a_streamed_run_with_a_tool_exports_complete_model_spans(
    model_server: ModelServer, traced: OtlpReceiver
) -> None:
    model_server.script(
        Reply(tool_calls=(ToolCall("calculator", {"expression": "6 * 7"}),)), Reply(text="42.")
    )
    assert "answer" in await _run("traced")
    chats = [span for span in traced.spans if span.name.startswith("chat")]
    assert [span.name for span in chats] == [f"chat {MODEL}", f"chat {MODEL}"]
    for span in chats:
        attributes = _attributes(span)
        assert span.kind == Span.SpanKind.SPAN_KIND_CLIENT
        assert attributes["gen_ai.operation.name"] == "chat"
        assert attributes["gen_ai.request.model"] == MODEL
        assert attributes["gen_ai.response.model"]
        assert attributes["gen_ai.response.id"]
        assert attributes["gen_ai.usage.input_tokens"] > 0
        assert attributes["gen_ai.usage.output_tokens"] > 0
    (tool,) = [span for span in traced.spans if span.name == "execute_tool calculator"]
    assert tool.kind == Span.SpanKind.SPAN_KIND_INTERNAL
    if model_server.api == "chat_completions":  # usage is asked for on streams
        (first, *_) = model_server.bodies()
        assert first["stream_options"] == {"include_usage": True}


async def test_a_failed_model_call_names_its_fault_in_error_type(
    model_server: ModelServer, traced: OtlpReceiver
) -> None:
    model_server.script(Fail(401, times=None))
    assert "error" in await _run("traced-401")
    (chat,) = [span for span in traced.spans if span.name.startswith("chat")]
    assert chat.status.code == chat.status.STATUS_CODE_ERROR
    assert _attributes(chat)["error.type"] == "model_auth_failed"
    (root,) = [span for span in traced.spans if span.name.startswith("invoke_workflow")]
    assert _attributes(root)["error.type"] == "model_auth_failed"
