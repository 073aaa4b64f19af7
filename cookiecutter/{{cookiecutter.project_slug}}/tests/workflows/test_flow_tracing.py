"""A flow run's spans (Prefect's own OpenTelemetry spans) and its agents' spans are one trace."""

from __future__ import annotations

from collections.abc import Iterator

{% if cookiecutter.include_api %}import httpx
{% endif %}import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

from agents_core.config import get_settings
from agents_core.observability.otel_processor import RunIdGenerator
from agents_core.observability.tracing_setup import (
    shutdown_trace_processors,
    use_tracer_provider,
)
{%- if cookiecutter.include_api %}
from api import ApiSettings, create_app
from api.workflow_runs import WorkflowRunner, WorkflowSettings
{%- endif %}
from workflows_core import run_flow

# slow: flows on the Prefect server
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """TRACING_EXPORTER=otlp, spans kept in memory, and that provider the global one.

    Prefect makes its spans with the global tracer provider, which OpenTelemetry lets a process
    set once; the test sets it for itself and puts the previous one back (as
    opentelemetry-test-utils does).
    """
    monkeypatch.setenv("TRACING_EXPORTER", "otlp")
    get_settings.cache_clear()
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=RunIdGenerator())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_tracer_provider(provider)
    previous = trace._TRACER_PROVIDER
    monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
    trace.set_tracer_provider(provider)
    yield exporter
    trace._TRACER_PROVIDER = previous
    shutdown_trace_processors()
    use_tracer_provider(None)


def _parent_of(span: ReadableSpan, finished: tuple[ReadableSpan, ...]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return next((s for s in finished if s.context.span_id == span.parent.span_id), None)


def _kind(span: ReadableSpan) -> object:
    return (span.attributes or {}).get("prefect.run.type")


async def test_the_flow_run_and_its_tasks_are_the_parents_of_the_agent_spans(
    spans: InMemorySpanExporter,
) -> None:
    outcome = await run_flow("agent-analysis", {"query": "What is 6 * 7?", "agent": "assistant"})
    assert outcome.ok, outcome.error
    finished = spans.get_finished_spans()
    flows = [span for span in finished if _kind(span) == "flow"]
    assert len(flows) == 1, [span.name for span in finished]
    flow_span = flows[0]
    assert flow_span.parent is None
    assert (flow_span.attributes or {})["prefect.run.id"] == outcome.flow_run_id
    assert {span.context.trace_id for span in finished} == {flow_span.context.trace_id}
    # agent span -> run span -> task span -> flow span
    agent = next(span for span in finished if span.name == "invoke_agent assistant")
    run = _parent_of(agent, finished)
    assert run is not None
    assert run.name.startswith("invoke_workflow")
    task = _parent_of(run, finished)
    assert task is not None
    assert _kind(task) == "task"
    assert _parent_of(task, finished) == flow_span


async def test_a_flow_run_under_a_span_joins_its_trace(spans: InMemorySpanExporter) -> None:
    # The API's request span, or any span of the caller: the flow run continues its trace.
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("caller") as caller:
        outcome = await run_flow(
            "agent-analysis", {"query": "What is 2 + 3?", "agent": "assistant"}
        )
    assert outcome.ok, outcome.error
    finished = spans.get_finished_spans()
    flow_span = next(span for span in finished if _kind(span) == "flow")
    assert flow_span.parent is not None
    assert flow_span.parent.span_id == caller.get_span_context().span_id
    assert {span.context.trace_id for span in finished} == {caller.get_span_context().trace_id}
{%- if cookiecutter.include_api %}


async def test_a_flow_run_the_api_starts_is_a_child_of_the_request(
    spans: InMemorySpanExporter,
) -> None:
    runner = WorkflowRunner(WorkflowSettings(workflow_execution="in-process"))
    app = create_app(ApiSettings())  # TRACING_EXPORTER=otlp: request spans
    app.state.workflow_runner = runner
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.post(
            "/workflows/agent-analysis/runs",
            json={"parameters": {"query": "What is 2 + 3?", "agent": "assistant"}},
        )
        assert response.status_code == 202, response.text
        await runner.wait_all()
    finished = spans.get_finished_spans()
    request = next(span for span in finished if span.name == "POST /workflows/{name}/runs")
    flow_span = next(span for span in finished if _kind(span) == "flow")
    assert flow_span.parent is not None
    assert flow_span.parent.span_id == request.context.span_id
    assert (flow_span.attributes or {})["prefect.run.id"] == response.json()["flow_run_id"]
    assert "invoke_agent assistant" in [span.name for span in finished]
    assert {span.context.trace_id for span in finished} == {request.context.trace_id}
{%- endif %}
