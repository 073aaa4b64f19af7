"""What a door asks the run service for: one turn of one conversation, for one principal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents_core.principals import LOCAL, Principal


@dataclass(frozen=True)
class RunRequest:
    """One run: `input` to `agent` (None: the router picks by intent) for `principal`.

    `session_id` continues that conversation (None starts a new one); `run_id` (32 hex digits)
    names the run in logs, traces and approvals (None: a new one); `context` fills the
    orchestrator's `AgentContext` (already validated by the door).
    """

    input: str
    agent: str | None = None
    principal: Principal = LOCAL
    session_id: str | None = None
    run_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
