"""Request spans: a request's span is the parent of the run it starts; `traceparent` is honoured
when valid and ignored when not; run errors carry X-Run-Id."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from agents_core.config import get_settings
from agents_core.exceptions import AgentRunError
from agents_core.observability import RUN_LOGGER
from agents_core.observability.otel_processor import RunIdGenerator
from agents_core.observability.tracing_setup import (
    shutdown_trace_processors,
    use_tracer_provider,
)
from agents_core.orchestrator import AgentOrchestrator
from api import ApiSettings, create_app
from api.deps import get_orchestrator_factory

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """TRACING_EXPORTER=otlp, with the spans kept in memory instead of sent."""
    monkeypatch.setenv("TRACING_EXPORTER", "otlp")
    get_settings.cache_clear()
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=RunIdGenerator())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_tracer_provider(provider)
    yield exporter
    shutdown_trace_processors()
    use_tracer_provider(None)


@pytest.fixture
def app(spans: InMemorySpanExporter) -> FastAPI:
    return create_app(ApiSettings())


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: a 500 comes back as the response the server sends.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


def _request_span(finished: tuple[ReadableSpan, ...]) -> ReadableSpan:
    servers = [span for span in finished if span.kind is SpanKind.SERVER]
    assert len(servers) == 1, [span.name for span in finished]
    return servers[0]


def _named(finished: tuple[ReadableSpan, ...], prefix: str) -> ReadableSpan:
    return next(span for span in finished if span.name.startswith(prefix))


async def test_the_request_span_is_the_parent_of_the_runs_spans(
    spans: InMemorySpanExporter, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    question = "Plan ZEBRA-42: what is 2 + 2?"
    response = await client.post("/runs", json={"input": question, "agent": "assistant"})
    assert response.status_code == 200
    run_id = response.headers["X-Run-Id"]
    finished = spans.get_finished_spans()
    request = _request_span(finished)
    assert request.name == "POST /runs"
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/runs"
    workflow = _named(finished, "invoke_workflow")
    agent = _named(finished, "invoke_agent assistant")
    assert workflow.parent is not None
    assert workflow.parent.span_id == request.context.span_id
    assert agent.parent is not None
    assert agent.parent.span_id == workflow.context.span_id
    assert {span.context.trace_id for span in finished} == {request.context.trace_id}
    # The run keeps its own id: on its span, and its log line names the trace it joined.
    assert workflow.attributes is not None
    assert workflow.attributes["agents_core.run_id"] == run_id
    lines = [getattr(r, "fields", {}) for r in caplog.records if r.name == RUN_LOGGER]
    run_line = next(line for line in lines if line["event"] == "run")
    assert run_line["run_id"] == run_id
    assert run_line["trace_id"] == format(request.context.trace_id, "032x")
    # Content capture is off: the prompt is in no attribute of any span, the request's included.
    for span in finished:
        for key, value in (span.attributes or {}).items():
            assert "ZEBRA-42" not in str(value), (span.name, key)


async def test_a_streamed_run_joins_its_request_span(
    spans: InMemorySpanExporter, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/runs/stream", json={"input": "What is 2 + 2?", "agent": "assistant"}
    )
    assert response.status_code == 200
    finished = spans.get_finished_spans()
    request = _request_span(finished)
    workflow = _named(finished, "invoke_workflow")
    assert workflow.parent is not None
    assert workflow.parent.span_id == request.context.span_id
    # One span for the request, not one per event sent.
    assert not [span for span in finished if span.name.endswith((" send", " receive"))]


async def test_a_clients_traceparent_continues_its_trace(
    spans: InMemorySpanExporter, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/runs",
        json={"input": "What is 2 + 2?", "agent": "assistant"},
        headers={"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01", "tracestate": "k=v"},
    )
    assert response.status_code == 200
    finished = spans.get_finished_spans()
    request = _request_span(finished)
    assert request.parent is not None
    assert request.parent.is_remote
    assert format(request.parent.span_id, "016x") == CLIENT_SPAN
    assert {format(span.context.trace_id, "032x") for span in finished} == {CLIENT_TRACE}


BAD_TRACE_HEADERS: list[dict[str, Any]] = [
    {"traceparent": "garbage"},
    {"traceparent": f"00-{'0' * 32}-{CLIENT_SPAN}-01"},  # all-zero trace id: invalid
    {"traceparent": f"00-{CLIENT_TRACE}-{'0' * 16}-01"},  # all-zero span id: invalid
    {"traceparent": f"ff-{CLIENT_TRACE}-{CLIENT_SPAN}-01"},  # version ff: forbidden
    {"traceparent": f"00-{CLIENT_TRACE.upper()}-{CLIENT_SPAN}-01"},  # upper case: invalid
    {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01\r\nX-Forged: 1"},  # in-process only
    {"traceparent": "00-" + "a" * 6000 + f"-{CLIENT_SPAN}-01"},  # huge
    {"traceparent": f"00-{CLIENT_TRACE[:-1]}é-{CLIENT_SPAN}-01".encode()},  # non-ASCII bytes
    {"traceparent": f"00-\u202e{CLIENT_TRACE[1:]}-{CLIENT_SPAN}-01"},  # bidi override
    {
        "traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-zz",
        "tracestate": "=" * 5000 + ",,\x7f=\x01",
    },
]


@pytest.mark.parametrize("headers", BAD_TRACE_HEADERS, ids=range(len(BAD_TRACE_HEADERS)))
async def test_a_malformed_traceparent_is_ignored(
    spans: InMemorySpanExporter, client: httpx.AsyncClient, headers: dict[str, Any]
) -> None:
    encoded = {
        key.encode(): value if isinstance(value, bytes) else value.encode("utf-8")
        for key, value in headers.items()
    }
    response = await client.post(
        "/runs", json={"input": "What is 2 + 2?", "agent": "assistant"}, headers=encoded
    )
    assert response.status_code == 200
    finished = spans.get_finished_spans()
    request = _request_span(finished)
    assert request.parent is None  # a new trace, not the client's
    assert format(request.context.trace_id, "032x") != CLIENT_TRACE
    assert {span.context.trace_id for span in finished} == {request.context.trace_id}


@pytest.mark.parametrize(
    ("error", "status"),
    [(AgentRunError("assistant", RuntimeError("down")), 502), (RuntimeError("bug"), 500)],
    ids=["502", "500"],
)
async def test_a_failed_runs_error_response_carries_its_run_id(
    app: FastAPI,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    status: int,
) -> None:
    class Failing(AgentOrchestrator):
        async def execute(self, user_query: str, context_data: dict[str, Any]) -> Any:
            raise error

    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    app.dependency_overrides[get_orchestrator_factory] = lambda: lambda agent: Failing()
    response = await client.post("/runs", json={"input": "hi"})
    assert response.status_code == status
    run_id = response.headers["X-Run-Id"]
    lines = [getattr(r, "fields", {}) for r in caplog.records if r.name == RUN_LOGGER]
    assert [(line["run_id"], line["outcome"]) for line in lines if line["event"] == "run"] == [
        (run_id, "error")
    ]


async def test_a_refused_request_starts_no_run_and_names_none(client: httpx.AsyncClient) -> None:
    response = await client.post("/runs", json={"input": "hi", "agent": "no_such_agent"})
    assert response.status_code == 404
    assert "X-Run-Id" not in response.headers


async def test_health_and_readiness_probes_are_not_traced_by_default(
    spans: InMemorySpanExporter, client: httpx.AsyncClient
) -> None:
    for path in ("/health", "/ready", "/health", "/ready"):
        assert (await client.get(path)).status_code == 200
    assert spans.get_finished_spans() == ()
    await client.get("/agents")
    assert [span.kind for span in spans.get_finished_spans()] == [SpanKind.SERVER]


async def test_the_probes_are_traced_when_opentelemetry_is_told_so(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS", "")
    transport = httpx.ASGITransport(app=create_app(ApiSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        assert (await client.get("/health")).status_code == 200
    (probe,) = spans.get_finished_spans()
    assert probe.kind is SpanKind.SERVER
