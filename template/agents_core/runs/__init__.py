"""One run service for every door: start a run, stream it, pause, decide, resume, cancel.

Doors (CLI commands, REST/SSE/WebSocket routes, MCP, Prefect tasks, the OpenAI-compatible, A2A
and AG-UI routes) build a `RunRequest` from their protocol, call `RunService`, and map the
`RunOutcome` or `StreamEvent`s back. They hold no run logic.

The lifecycle behind the service, one module per step: `state` (a run's state and session
turns), `observation` (trace, log line, tokens), `opening` (checks before anything runs),
`running`, `streaming`, `pausing` and `decisions` (approve/reject, resume, pending, discard).
The orchestrator (`agents_core.orchestrator`) decides which agents run inside.

Names are imported on first use, so the orchestrator can import the lifecycle modules
without importing the service (which imports the orchestrator).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "ROUTER": "agents_core.runs.targets",
    "OrchestratorFactory": "agents_core.runs.targets",
    "RunOutcome": "agents_core.runs.outcome",
    "RunRequest": "agents_core.runs.request",
    "RunService": "agents_core.runs.service",
    "RunStatus": "agents_core.runs.outcome",
    "RunTarget": "agents_core.runs.targets",
    "Usage": "agents_core.runs.outcome",
    "default_orchestrator": "agents_core.runs.targets",
}

__all__ = [
    "ROUTER",
    "OrchestratorFactory",
    "RunOutcome",
    "RunRequest",
    "RunService",
    "RunStatus",
    "RunTarget",
    "Usage",
    "default_orchestrator",
]

if TYPE_CHECKING:
    from agents_core.runs.outcome import RunOutcome, RunStatus, Usage
    from agents_core.runs.request import RunRequest
    from agents_core.runs.service import RunService
    from agents_core.runs.targets import (
        ROUTER,
        OrchestratorFactory,
        RunTarget,
        default_orchestrator,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
