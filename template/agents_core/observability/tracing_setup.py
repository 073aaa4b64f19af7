"""Which trace processors the SDK runs: `TRACING_EXPORTER` and `TRACING` together.

- `TRACING_EXPORTER=openai` (default): the SDK's own exporter to OpenAI, on or off by `TRACING`
  (see `agents_core.llm.selection.configure_tracing`).
- `otlp` / `console`: an `OpenTelemetryProcessor` exporting through the OTLP/HTTP exporter
  (configured by the standard `OTEL_EXPORTER_OTLP_*` variables) or printing to stderr. The
  OpenAI exporter runs beside it only with `TRACING=on` (and a key).
- `none`: no tracing at all.

OpenTelemetry is imported only for `otlp` and `console`. An application that configures
OpenTelemetry itself (or a test with an in-memory exporter) hands its tracer provider to
`use_tracer_provider`; the runs' spans then go there.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import TYPE_CHECKING

from agents.tracing import (
    TracingProcessor,
    set_trace_processors,
    set_trace_provider,
    set_tracing_disabled,
)
from agents.tracing import setup as sdk_tracing_setup
from agents.tracing.processors import default_processor
from agents.tracing.provider import DefaultTraceProvider

from agents_core.config import Settings
from agents_core.exceptions import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from agents_core.observability.otel_processor import OpenTelemetryProcessor

_processors: dict[tuple[str | None, ...], OpenTelemetryProcessor] = {}
_installed: list[TracingProcessor] = []
_provider_override: list[TracerProvider] = []
_exit_hook: list[bool] = []


def use_tracer_provider(provider: TracerProvider | None) -> None:
    """Send the runs' OpenTelemetry spans to `provider` (None: the one the settings build).

    For an application that sets up OpenTelemetry itself, and for tests (an in-memory exporter).
    Applies to the processors installed from now on; `TRACING_EXPORTER` must still be `otlp` or
    `console` for spans to be made.
    """
    _provider_override[:] = [provider] if provider is not None else []


def installed_trace_processors() -> list[TracingProcessor]:
    """The processors the last `install_trace_processors` call installed."""
    return list(_installed)


def install_trace_processors(settings: Settings, *, openai_export: bool) -> bool:
    """Install the processors the settings ask for; returns whether SDK tracing is on.

    `openai_export`: whether `TRACING` lets the OpenAI exporter run. Repeated calls with the same
    settings reuse the same processor (and its OpenTelemetry pipeline).
    """
    exporter = settings.tracing_exporter
    processors: list[TracingProcessor] = []
    if exporter != "none" and openai_export:
        processors.append(default_processor())
    if exporter in ("otlp", "console"):
        processors.append(_otel_processor(settings))
    _provider_without_openai_exporter()
    set_trace_processors(processors)
    _installed[:] = processors
    enabled = bool(processors)
    set_tracing_disabled(not enabled)
    return enabled


def _provider_without_openai_exporter() -> None:
    """Give the SDK its trace provider before its first use, without the OpenAI exporter.

    The SDK's own first provider builds its exporter to OpenAI (an HTTP client with a TLS
    context: ~0.2 s of every command's start) even when tracing stays off; `default_processor()`
    still builds it when the OpenAI export is on. A provider set elsewhere is kept.
    """
    if sdk_tracing_setup.GLOBAL_TRACE_PROVIDER is None:
        set_trace_provider(DefaultTraceProvider())


def shutdown_trace_processors() -> None:
    """Flush and close the OpenTelemetry pipelines built so far (at exit, between tests).

    Spans not exported within 2 s (`otel_processor.SHUTDOWN_TIMEOUT_S`: the collector is down
    or slow) are dropped, so that a CLI command or a server never hangs at exit.
    """
    _provider_without_openai_exporter()
    set_trace_processors([])
    _installed.clear()
    set_tracing_disabled(True)
    while _processors:
        _, processor = _processors.popitem()
        processor.shutdown()


def _register_exit_hook() -> None:
    if not _exit_hook:
        atexit.register(shutdown_trace_processors)
        _exit_hook.append(True)


def otel_tracer_provider(settings: Settings) -> TracerProvider:
    """The tracer provider the runs' spans go to with these settings (built on first use)."""
    return _otel_processor(settings).tracer_provider


def _otel_processor(settings: Settings) -> OpenTelemetryProcessor:
    override = _provider_override[0] if _provider_override else None
    key = (
        str(id(override)) if override is not None else None,
        settings.tracing_exporter,
        str(settings.tracing_capture_content),
        settings.otel_service_name,
        # The exporter reads its endpoint once: a new endpoint needs a new pipeline.
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
    )
    processor = _processors.get(key)
    if processor is None:
        from agents_core.observability.otel_processor import OpenTelemetryProcessor

        provider = override if override is not None else build_tracer_provider(settings)
        processor = OpenTelemetryProcessor(
            provider,
            capture_content=settings.tracing_capture_content,
            owns_provider=override is None,
        )
        _processors[key] = processor
    return processor


def build_tracer_provider(settings: Settings) -> TracerProvider:
    """A tracer provider exporting to OTLP/HTTP or the console; global if none is set yet."""
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError as error:  # the extra is optional
        raise ConfigurationError(
            f"TRACING_EXPORTER={settings.tracing_exporter} needs OpenTelemetry: "
            "uv sync --extra otel (opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http)."
        ) from error
    from agents_core.observability.otel_processor import RunIdGenerator

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name}),
        id_generator=RunIdGenerator(),
        # Its own exit hook waits on the exporter's retries (10 s+ with the collector down);
        # ours gives up after 2 s (OpenTelemetryProcessor.shutdown).
        shutdown_on_exit=False,
    )
    _register_exit_hook()
    if settings.tracing_exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        # Nobody configured OpenTelemetry: ours becomes the global one, so FastAPI's request
        # spans and the user's own spans land in the same traces.
        trace.set_tracer_provider(provider)
    return provider
