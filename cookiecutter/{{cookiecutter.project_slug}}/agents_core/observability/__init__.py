"""Observability: trace processors (OpenTelemetry), run ids and structured logs.

Names load on first use: OpenTelemetry is imported only by `OpenTelemetryProcessor` and by
`TRACING_EXPORTER=otlp|console`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents_core.observability.log_format import JsonFormatter, configure_logging
    from agents_core.observability.otel_processor import OpenTelemetryProcessor
    from agents_core.observability.redaction import (
        install_log_redaction,
        redact,
        register_secrets,
        secrets_of,
    )
    from agents_core.observability.run_log import (
        RUN_LOGGER,
        RunLogHooks,
        current_run_id,
        log_run,
        log_tool_call,
        new_run_id,
        sdk_trace_id,
    )
    from agents_core.observability.tracing_setup import install_trace_processors

_MODULES = {
    "JsonFormatter": "log_format",
    "configure_logging": "log_format",
    "OpenTelemetryProcessor": "otel_processor",
    "install_log_redaction": "redaction",
    "redact": "redaction",
    "register_secrets": "redaction",
    "secrets_of": "redaction",
    "RUN_LOGGER": "run_log",
    "RunLogHooks": "run_log",
    "current_run_id": "run_log",
    "log_run": "run_log",
    "log_tool_call": "run_log",
    "new_run_id": "run_log",
    "sdk_trace_id": "run_log",
    "install_trace_processors": "tracing_setup",
}

__all__ = [
    "RUN_LOGGER",
    "JsonFormatter",
    "OpenTelemetryProcessor",
    "RunLogHooks",
    "configure_logging",
    "current_run_id",
    "install_log_redaction",
    "install_trace_processors",
    "log_run",
    "log_tool_call",
    "new_run_id",
    "redact",
    "register_secrets",
    "sdk_trace_id",
    "secrets_of",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
