"""Request spans: with `TRACING_EXPORTER=otlp|console` each request is an OpenTelemetry span.

The runs a request starts (and the workflow runs it starts in-process) are children of its span,
so one trace shows the request, the agents, the model calls and the tools. A W3C `traceparent`
header from the client continues the client's trace; a malformed one is ignored (a new trace
starts), never an error.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from agents_core.config import Settings
from agents_core.exceptions import ConfigurationError


def instrument_app(app: FastAPI, settings: Settings) -> bool:
    """Add request spans to `app` when the settings export OpenTelemetry; returns whether it did."""
    if settings.tracing_exporter not in ("otlp", "console"):
        return False
    from agents_core.observability.tracing_setup import otel_tracer_provider

    provider = otel_tracer_provider(settings)
    try:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    except ImportError as error:  # the `otel` extra is optional
        raise ConfigurationError(
            f"TRACING_EXPORTER={settings.tracing_exporter} needs OpenTelemetry: "
            "uv sync --extra otel (opentelemetry-sdk, its OTLP exporter and "
            "opentelemetry-instrumentation-fastapi)."
        ) from error
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        # One span per request; not one more per ASGI message (an SSE stream sends hundreds).
        exclude_spans=["receive", "send"],
        excluded_urls=excluded_urls(),
    )
    return True


PROBES_EXCLUDED = r"/health$,/ready$"
"""Load balancers call the probes every few seconds: a trace each would drown the runs."""


def excluded_urls() -> str:
    """OpenTelemetry's own setting when it is set (`OTEL_PYTHON_FASTAPI_EXCLUDED_URLS`, or
    `OTEL_PYTHON_EXCLUDED_URLS`; empty traces everything), else the health and readiness probes."""
    for name in ("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS", "OTEL_PYTHON_EXCLUDED_URLS"):
        if name in os.environ:
            return os.environ[name]
    return PROBES_EXCLUDED
