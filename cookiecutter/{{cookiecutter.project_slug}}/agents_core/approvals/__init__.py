"""Human approval of risky tool calls: paused runs, their pending approvals and their store.

A tool registered with `needs_approval` pauses the run that reaches it; `run()` returns a
`PendingApproval` and `AgentOrchestrator.approve()` / `reject()` resume it (see
docs/approvals.md).
"""

from __future__ import annotations

from agents_core.approvals.pending import PendingApproval
from agents_core.approvals.store import ApprovalStore, StoredRun, open_approval_store

__all__ = ["ApprovalStore", "PendingApproval", "StoredRun", "open_approval_store"]
