"""The a2a-sdk's own OpenTelemetry spans: off unless the environment asks for them.

The SDK wraps every method of its request handler, active tasks and event queues in a span
(about 50 per `message/send`), and decides once, when `a2a.utils.telemetry` is first imported,
from `OTEL_INSTRUMENTATION_A2A_SDK_ENABLED` (default on). Measured in process: 0.4 ms of CPU per
A2A request (2.0 -> 1.6 ms for the SDK's handler with a no-op executor), paid even with no
tracer provider set. The project traces each run and each API request itself
(`agents_core.observability`, `api.request_tracing`), so the SDK's inner spans are off by
default; set `OTEL_INSTRUMENTATION_A2A_SDK_ENABLED=true` in the process environment (not
`.env`: the SDK reads `os.environ` at import) to get them as children of the request's span.

`api/__init__.py` imports this module before anything imports the SDK.
"""

from __future__ import annotations

import os

A2A_SDK_TRACING_ENV = "OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"

os.environ.setdefault(A2A_SDK_TRACING_ENV, "false")
