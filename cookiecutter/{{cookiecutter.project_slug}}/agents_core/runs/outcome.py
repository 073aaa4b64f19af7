"""How a run ended, in one shape every door maps onto its protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from agents_core.approvals.pending import PendingApproval

RunStatus = Literal["completed", "paused"]
"""`completed`: `output` is the answer. `paused`: `approvals` wait for a decision."""


@dataclass(frozen=True)
class Usage:
    """Model tokens a run used, as the models reported them (the offline model reports too)."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class RunOutcome:
    """A finished or paused run. Failures are raised (`AgentsCoreError` subclasses), not here."""

    run_id: str
    session_id: str | None
    status: RunStatus
    agent: str | None = None
    """The agent that answered (or whose tool call waits)."""
    output: Any = None
    """The final output: text, or a structured output (a pydantic model or dict)."""
    text: str = ""
    """`output` as readable text."""
    intent: str | None = None
    """The router's intent, when the router chose the agent."""
    approvals: list[PendingApproval] = field(default_factory=list)
    """The tool calls waiting for approve/reject when `status == "paused"`."""
    usage: Usage = field(default_factory=Usage)
    raw: Any = None
    """What the orchestrator's `execute()` returned (custom workflows return their own dict)."""
