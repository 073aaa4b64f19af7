"""OpenTelemetry spans of a routed run: the span tree, GenAI attributes, no content by default."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from agents.tracing import set_trace_processors, set_tracing_disabled
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agents_core import (
    AgentRunner,
    OfflineModel,
    RoutingOrchestrator,
)
from agents_core.observability import RUN_LOGGER, OpenTelemetryProcessor
from agents_core.observability.otel_processor import RunIdGenerator


@pytest.fixture
def runner() -> AgentRunner:
    return AgentRunner(model=OfflineModel())  # installs the processors the settings ask for


def _exporter(capture_content: bool) -> Iterator[InMemorySpanExporter]:
    """Spans of the runs that follow (the runner is built first: it configures tracing)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=RunIdGenerator())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    set_trace_processors([OpenTelemetryProcessor(provider, capture_content=capture_content)])
    set_tracing_disabled(False)
    yield exporter
    set_trace_processors([])
    set_tracing_disabled(True)


@pytest.fixture
def spans(runner: AgentRunner) -> Iterator[InMemorySpanExporter]:
    yield from _exporter(capture_content=False)


@pytest.fixture
def spans_with_content(runner: AgentRunner) -> Iterator[InMemorySpanExporter]:
    yield from _exporter(capture_content=True)


def _tree(finished: tuple[ReadableSpan, ...]) -> list[str]:
    """The spans as `depth * '  ' + name`, children in start order."""
    by_parent: dict[int | None, list[ReadableSpan]] = {}
    for span in finished:
        parent = span.parent.span_id if span.parent else None
        by_parent.setdefault(parent, []).append(span)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in sorted(by_parent.get(parent, []), key=lambda s: s.start_time or 0):
            lines.append("  " * depth + span.name)
            walk(span.context.span_id, depth + 1)

    walk(None, 0)
    return lines


def _named(finished: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    return next(span for span in finished if span.name == name)


@pytest.mark.usefixtures("billing_agent")
async def test_a_routed_run_is_one_trace_router_specialist_tool_synthesizer(
    spans: InMemorySpanExporter, runner: AgentRunner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    run_id = "0123456789abcdef0123456789abcdef"
    result = await RoutingOrchestrator(runner=runner).run(
        "Was my invoice INV-7 paid?", run_id=run_id
    )
    assert result["agent"] == "billing_agent"
    finished = spans.get_finished_spans()
    assert _tree(finished) == [
        "invoke_workflow RoutingOrchestrator",
        "  invoke_agent intent_router",
        "    chat offline",
        "  invoke_agent billing_agent",
        "    chat offline",
        "    execute_tool lookup_invoice",
        "    chat offline",
        "  invoke_agent synthesizer",
        "    chat offline",
    ]
    assert {span.context.trace_id for span in finished} == {int(run_id, 16)}
    root = _named(finished, "invoke_workflow RoutingOrchestrator")
    assert root.attributes is not None
    assert root.attributes["agents_core.run_id"] == run_id
    assert root.attributes["session.id"] == result["session_id"]
    agent = _named(finished, "invoke_agent billing_agent")
    assert agent.attributes is not None
    assert agent.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert agent.attributes["gen_ai.agent.name"] == "billing_agent"
    tool = _named(finished, "execute_tool lookup_invoice")
    assert tool.attributes is not None
    assert tool.attributes["gen_ai.tool.name"] == "lookup_invoice"
    chat = next(span for span in finished if span.name == "chat offline")
    assert chat.attributes is not None
    assert chat.attributes["gen_ai.request.model"] == "offline"
    assert int(str(chat.attributes["gen_ai.usage.input_tokens"])) > 0
    assert int(str(chat.attributes["gen_ai.usage.output_tokens"])) > 0
    # Content is not captured by default: no prompt, no tool arguments, no answer anywhere.
    for span in finished:
        for key, value in (span.attributes or {}).items():
            assert "INV-7" not in str(value), (span.name, key)
            assert key not in ("gen_ai.input.messages", "gen_ai.tool.call.arguments")
    # One log line for the run and one for the tool call, with the run id.
    records = [getattr(r, "fields", {}) for r in caplog.records if r.name == RUN_LOGGER]
    assert [(r["event"], r["outcome"]) for r in records] == [("tool_call", "ok"), ("run", "ok")]
    assert {r["run_id"] for r in records} == {run_id}
    assert {r["session_id"] for r in records} == {result["session_id"]}
    assert records[0]["tool"] == "lookup_invoice"
    assert records[1]["agent"] == "billing_agent"


@pytest.mark.usefixtures("billing_agent")
async def test_content_is_captured_when_switched_on(
    spans_with_content: InMemorySpanExporter, runner: AgentRunner
) -> None:
    await RoutingOrchestrator(runner=runner).run("Was my invoice INV-7 paid?")
    finished = spans_with_content.get_finished_spans()
    tool = _named(finished, "execute_tool lookup_invoice")
    assert tool.attributes is not None
    assert "INV-7" in str(tool.attributes["gen_ai.tool.call.arguments"])
    assert "paid" in str(tool.attributes["gen_ai.tool.call.result"])
    chats = [span for span in finished if span.name == "chat offline"]
    assert any("INV-7" in str((s.attributes or {}).get("gen_ai.input.messages")) for s in chats)


async def test_a_refused_run_is_logged_and_its_trace_marked_as_failed(
    spans: InMemorySpanExporter, runner: AgentRunner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    orchestrator = RoutingOrchestrator(runner=runner)
    orchestrator.input_guardrails = ("always_no",)
    orchestrator.register_guardrail("always_no", lambda ctx, text: (False, "no"))
    with pytest.raises(Exception, match="no"):
        await orchestrator.run("hello")
    root = spans.get_finished_spans()[-1]
    assert root.attributes is not None
    assert root.attributes["agents_core.outcome"] == "refused"
    assert not root.status.is_ok
    (record,) = [getattr(r, "fields", {}) for r in caplog.records if r.name == RUN_LOGGER]
    assert record["outcome"] == "refused"
    assert "GuardrailTripped" in record["error"]


async def test_a_run_id_must_be_32_hex_digits(runner: AgentRunner) -> None:
    orchestrator = RoutingOrchestrator(runner=runner)
    with pytest.raises(ValueError, match="32 lowercase hex digits"):
        await orchestrator.run("hi", run_id="not-a-run-id")
