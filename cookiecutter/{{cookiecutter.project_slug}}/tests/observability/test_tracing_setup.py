"""TRACING_EXPORTER and TRACING together; settings validation; JSON logs; lazy imports."""

from __future__ import annotations

import ast
import json
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

import agents_core
from agents_core.config import Settings, get_settings
from agents_core.llm.selection import configure_tracing
from agents_core.observability import JsonFormatter, OpenTelemetryProcessor, log_run
from agents_core.observability.tracing_setup import (
    installed_trace_processors,
    shutdown_trace_processors,
)


def _processors() -> list[str]:
    processors = installed_trace_processors()
    return [type(processor).__name__ for processor in processors]


@pytest.mark.parametrize(
    ("env", "enabled", "processors"),
    [
        ({}, False, []),  # no key: nothing to export to OpenAI
        ({"OPENAI_API_KEY": "k"}, True, ["BatchTraceProcessor"]),
        ({"TRACING_EXPORTER": "console"}, True, ["OpenTelemetryProcessor"]),
        ({"TRACING_EXPORTER": "otlp", "OPENAI_API_KEY": "k"}, True, ["OpenTelemetryProcessor"]),
        (
            {"TRACING_EXPORTER": "otlp", "OPENAI_API_KEY": "k", "TRACING": "on"},
            True,
            ["BatchTraceProcessor", "OpenTelemetryProcessor"],
        ),
        ({"TRACING_EXPORTER": "otlp", "TRACING": "off"}, True, ["OpenTelemetryProcessor"]),
        ({"TRACING_EXPORTER": "none", "OPENAI_API_KEY": "k"}, False, []),
    ],
)
def test_the_exporter_setting_picks_the_processors(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], enabled: bool, processors: list[str]
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")  # never used
    get_settings.cache_clear()
    try:
        assert configure_tracing() is enabled
        assert _processors() == processors
    finally:
        shutdown_trace_processors()


def test_the_same_settings_reuse_one_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACING_EXPORTER", "console")
    get_settings.cache_clear()
    try:
        configure_tracing()
        first = installed_trace_processors()[0]
        configure_tracing()
        assert installed_trace_processors()[0] is first
        assert isinstance(first, OpenTelemetryProcessor)
        assert first.capture_content is False
    finally:
        shutdown_trace_processors()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRACING_EXPORTER": "jaeger"}, "'openai', 'otlp', 'console' or 'none'"),
        ({"TRACING": "on", "TRACING_EXPORTER": "none"}, "TRACING=on exports traces to OpenAI"),
        ({"LOG_FORMAT": "xml"}, "'text' or 'json'"),
        ({"TRACING_CAPTURE_CONTENT": "maybe"}, "valid boolean"),
    ],
)
def test_bad_observability_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_json_logs_carry_the_run_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="agents_core.runs")
    log_run(run_id="ab" * 16, session_id="s-1", agent="assistant", duration_s=0.25, outcome="ok")
    line = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert line["level"] == "INFO"
    assert line["logger"] == "agents_core.runs"
    assert line["run_id"] == "ab" * 16
    assert line["session_id"] == "s-1"
    assert line["duration_ms"] == 250.0
    assert line["outcome"] == "ok"


@pytest.mark.parametrize(
    ("outcome", "level"),
    [("ok", logging.INFO), ("paused", logging.INFO), ("error", logging.ERROR)],
)
def test_a_run_line_is_a_warning_only_when_the_run_went_wrong(
    caplog: pytest.LogCaptureFixture, outcome: str, level: int
) -> None:
    caplog.set_level(logging.INFO, logger="agents_core.runs")
    log_run(run_id="ab" * 16, session_id="s-1", agent="assistant", duration_s=0.1, outcome=outcome)
    assert caplog.records[-1].levelno == level


def test_opentelemetry_is_imported_only_when_an_exporter_needs_it() -> None:
    """Module-level imports: only `otel_processor` imports OpenTelemetry, and no module imports
    it at load time (`tracing_setup` does inside functions, for otlp and console only).

    Checked on the source (a fresh interpreter would cost seconds of imports per suite).
    """
    package = Path(agents_core.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # top-level statements only
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("opentelemetry") and path.name != "otel_processor.py":
                    offenders.append(f"{path.name}: {name}")
                if name.endswith("otel_processor"):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


@pytest.mark.parametrize("separator", ["\n", "\r", "\x85", "\u2028", "\u2029", "\x0b"])
def test_a_value_with_a_line_break_cannot_forge_a_log_line(
    caplog: pytest.LogCaptureFixture, separator: str
) -> None:
    caplog.set_level(logging.INFO, logger="agents_core.runs")
    forged = f"boom{separator}run run_id={'0' * 32} outcome=ok"
    log_run(run_id="ab" * 16, session_id="s-1", agent=forged, duration_s=0.1, outcome="error")
    record = caplog.records[-1]
    assert len(record.getMessage().splitlines()) == 1
    as_json = JsonFormatter().format(record)
    assert len(as_json.splitlines()) == 1
    assert json.loads(as_json)["agent"] == forged
