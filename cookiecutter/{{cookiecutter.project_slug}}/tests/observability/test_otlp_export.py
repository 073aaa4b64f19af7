"""A CLI run exports its spans over OTLP/HTTP to a receiver on 127.0.0.1.

The CLI runs in-process (`main()`): a subprocess costs ~6 s of imports here for the same path
(settings from the environment, the OTLP/HTTP exporter, a real HTTP server).
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from agents.tracing import get_trace_provider
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from agents_core._defaults import PROJECT_SLUG
from agents_core.config import get_settings
from agents_core.observability import RUN_LOGGER
from agents_core.observability.otel_processor import SHUTDOWN_TIMEOUT_S
from agents_core.observability.tracing_setup import shutdown_trace_processors
from {{ cookiecutter.package_name }}.cli import main
from tests.local_http import LocalHTTPServer, serving


class OtlpReceiver(LocalHTTPServer):
    """Accepts OTLP/HTTP protobuf exports on /v1/traces and keeps the decoded spans."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.spans: list[Span] = []
        self.services: list[str] = []
        self.paths: list[str] = []

    @property
    def endpoint(self) -> str:
        return self.url


class _Handler(BaseHTTPRequestHandler):
    server: OtlpReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.paths.append(self.path)
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            for attribute in resource_spans.resource.attributes:
                if attribute.key == "service.name":
                    self.server.services.append(attribute.value.string_value)
            for scope_spans in resource_spans.scope_spans:
                self.server.spans.extend(scope_spans.spans)
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with serving(OtlpReceiver()) as server:
        yield server


def test_a_cli_run_exports_its_span_tree_over_otlp(
    receiver: OtlpReceiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "offline")
    monkeypatch.setenv("TRACING_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    get_settings.cache_clear()
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    try:
        assert main(["chat", "What is 12 * (3 + 4)?"]) == 0
        get_trace_provider().force_flush()  # what the SDK does at exit
        flushed = len(receiver.spans)
    finally:
        shutdown_trace_processors()
    assert len(receiver.spans) == flushed  # nothing was left behind
    assert "84" in capsys.readouterr().out
    assert receiver.paths
    assert set(receiver.paths) == {"/v1/traces"}
    names = [span.name for span in receiver.spans]
    assert names.count("invoke_workflow RoutingOrchestrator") == 1
    assert "invoke_agent assistant" in names  # the router runs only when specialists exist
    assert "execute_tool calculator" in names
    assert set(receiver.services) == {PROJECT_SLUG}
    (root,) = [s for s in receiver.spans if s.name.startswith("invoke_workflow")]
    run_id = root.trace_id.hex()
    assert {span.trace_id.hex() for span in receiver.spans} == {run_id}
    # The run's log line names the same run id: logs and the trace meet.
    logged = [getattr(r, "fields", {}) for r in caplog.records if r.name == RUN_LOGGER]
    assert {line["run_id"] for line in logged} == {run_id}
    assert json.dumps(sorted(line["event"] for line in logged)) == '["run", "tool_call"]'


def test_with_the_collector_down_the_cli_does_not_hang_at_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A port nothing listens on: the exporter's connections are refused, and it would retry
    # for OTEL_EXPORTER_OTLP_TIMEOUT (10 s) and more before giving up.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("LLM_PROVIDER", "offline")
    monkeypatch.setenv("TRACING_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", refused)
    get_settings.cache_clear()
    try:
        assert main(["chat", "What is 2 + 2?"]) == 0
    finally:
        started = time.monotonic()
        get_trace_provider().force_flush()  # what the SDK and OpenTelemetry do at exit
        shutdown_trace_processors()
        waited = time.monotonic() - started
    assert "4" in capsys.readouterr().out
    # One timeout, not one per step: the flush gave up, so the shutdown does not wait again.
    assert waited < SHUTDOWN_TIMEOUT_S + 1, f"waited {waited:.1f} s at exit"
