"""`PendingApproval`: a tool call that waits for a human's decision, as callers see it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PendingApproval:
    """A paused run's tool call waiting for approve/reject (what `run()` returns on a pause).

    Decide it with `AgentOrchestrator.approve(run_id, approval_id)` or
    `reject(run_id, approval_id, reason)`; both resume the run.
    """

    approval_id: str
    """Names this decision (32 hex digits); pass it back with the decision."""
    run_id: str
    """The paused run."""
    session_id: str | None
    agent: str
    """The agent whose tool call waits."""
    tool: str
    """The tool's name."""
    arguments: str
    """The call's arguments, as the model wrote them (JSON text)."""
    expires_at: float
    """Seconds since the epoch after which a decision is refused (APPROVAL_TIMEOUT_SECONDS)."""
    status: str = "pending_approval"

    def arguments_dict(self) -> dict[str, Any]:
        """The arguments parsed (an empty dict when they are not a JSON object)."""
        try:
            value = json.loads(self.arguments)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """`tool(arguments)`, for a prompt such as the CLI's."""
        return f"{self.tool}({self.arguments})"
