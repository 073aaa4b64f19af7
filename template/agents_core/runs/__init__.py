"""One run service for every door: start a run, stream it, pause, decide, resume, cancel.

Doors (CLI commands, REST/SSE/WebSocket routes, MCP, Prefect tasks, the OpenAI-compatible, A2A
and AG-UI routes) build a `RunRequest` from their protocol, call `RunService`, and map the
`RunOutcome` or `StreamEvent`s back. They hold no run logic.
"""

from agents_core.runs.outcome import RunOutcome, RunStatus, Usage
from agents_core.runs.request import RunRequest
from agents_core.runs.service import RunService
from agents_core.runs.targets import ROUTER, OrchestratorFactory, RunTarget, default_orchestrator

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
