"""Deciding a paused run's approvals: approve/reject, resume once all are decided; list what
waits; discard a paused run (cancel)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents_core.approvals.paused_run import PausedRun
from agents_core.approvals.pending import PendingApproval
from agents_core.approvals.store import ApprovalStore, StoredRun, digest, open_approval_store
from agents_core.exceptions import ApprovalError
from agents_core.limits.limiter import admit
from agents_core.principals import LOCAL, LOCAL_PRINCIPAL_ID, Principal
from agents_core.runs.opening import open_run, validate_run_id
from agents_core.runs.running import drive
from agents_core.runs.state import Resumed
from agents_core.utils.tasks import run_to_end

if TYPE_CHECKING:
    from agents_core.orchestrator import AgentOrchestrator

MAX_REASON_CHARS = 2_000
"""Longest rejection reason accepted (it reaches the model)."""
_HEX32 = re.compile(r"[0-9a-f]{32}")


@dataclass
class Decision:
    """What a decision led to: the resumed run's outcome, or the next `PendingApproval`."""

    outcome: Any
    approvals: list[PendingApproval] = field(default_factory=list)
    """The tool calls still waiting (the rest of this pause, or the resumed run's next one)."""
    tokens: dict[str, int] = field(default_factory=dict)
    """Model tokens the resumed run used."""


async def decide(
    orchestrator: AgentOrchestrator,
    run_id: str,
    approval_id: str,
    *,
    approved: bool,
    reason: str | None = None,
    principal: Principal = LOCAL,
) -> Decision:
    """Decide one approval of a paused run; resume the run once every call of its pause is
    decided. The outcome is what `run()` returns (the answer, or the next `PendingApproval`).

    ApprovalError when the approval is unknown (or the run another principal's: as a run id
    that never paused), already decided, expired, or its stored run does not verify. The
    resumed run runs as its owner. A decision counts as one request of `principal`:
    `LimitExceeded` over a limit, before the decision is recorded.
    """
    validate_run_id(run_id)
    _check_reason(reason)
    unknown = _unknown(run_id, approval_id)
    if not _HEX32.fullmatch(approval_id):
        raise unknown
    store = open_approval_store()
    try:
        stored = await _paused(store, run_id, principal, unknown)
        if approval_id not in stored.approvals:
            raise unknown
        status = stored.approvals[approval_id][0]
        if stored.status == "expired" or status == "expired":
            raise _expired(run_id, approval_id)
        if status != "pending" or stored.status != "paused":
            raise _decided(run_id, approval_id, status)
        if time.time() > stored.expires_at:
            await store.transition(run_id, "paused", "expired")
            raise _expired(run_id, approval_id)
        paused = _verified(stored, run_id)
        workflow = type(orchestrator).__qualname__
        if paused.workflow != workflow:
            raise ApprovalError(
                "invalid",
                f"Run {run_id} was paused by {paused.workflow}, not {workflow}.",
                run_id=run_id,
            )
        await admit(principal)
        decision = "approved" if approved else "rejected"
        before = await store.decide(run_id, approval_id, decision, reason)
        if before == "unknown":
            raise unknown
        if before != "pending":
            raise _decided(run_id, approval_id, before)
        stored = await store.load(run_id) or stored
        waiting = paused.pending(stored.expires_at, stored.approvals)
        if waiting:
            return Decision(waiting[0], waiting)
        if not await store.transition(run_id, "paused", "resuming"):
            raise _decided(run_id, approval_id, decision)
        owner = stored.owner or LOCAL_PRINCIPAL_ID
        runs_as = principal if principal.id == owner else Principal(owner)
        state = open_run(
            orchestrator,
            paused.query,
            paused.context_data,
            session_id=paused.session_id,
            run_id=run_id,
            principal=runs_as,
            streaming=orchestrator.streaming,
        )
        state.resumed = Resumed(
            paused=paused,
            decided=dict(stored.approvals),
            replay={int(entry["index"]): entry for entry in paused.journal},
        )
        try:
            outcome = await drive(orchestrator, state)
        except BaseException:
            await store.transition(run_id, "resuming", "done")
            raise
        if not isinstance(outcome, PendingApproval):
            await store.transition(run_id, "resuming", "done")
        return Decision(outcome, state.pending, state.tokens)
    finally:
        await run_to_end(store.aclose())


async def waiting(run_id: str, principal: Principal = LOCAL) -> list[PendingApproval]:
    """The tool calls of a paused run still waiting for a decision (none once it resumed).

    ApprovalError `unknown` for a run that never paused, was discarded, or is another
    principal's; `expired` past its APPROVAL_TIMEOUT_SECONDS.
    """
    validate_run_id(run_id)
    unknown = _unknown(run_id, None)
    store = open_approval_store()
    try:
        stored = await _paused(store, run_id, principal, unknown)
        if stored.status != "paused":
            if stored.status == "expired":
                raise _expired(run_id, None)
            return []
        if time.time() > stored.expires_at:
            await store.transition(run_id, "paused", "expired")
            raise _expired(run_id, None)
        return _verified(stored, run_id).pending(stored.expires_at, stored.approvals)
    finally:
        await run_to_end(store.aclose())


async def discard(run_id: str, principal: Principal = LOCAL) -> bool:
    """Discard `principal`'s paused run: its approvals become unknown (nothing resumes it).

    False when there is no paused run of that id that `principal` may see, or when a decision
    is already resuming it.
    """
    try:
        validate_run_id(run_id)
    except ValueError:
        return False
    store = open_approval_store()
    try:
        stored = await store.load(run_id)
        if stored is None or not principal.may_access(stored.owner):
            return False
        return await store.transition(run_id, "paused", "cancelled")
    finally:
        await run_to_end(store.aclose())


async def _paused(
    store: ApprovalStore, run_id: str, principal: Principal, unknown: ApprovalError
) -> StoredRun:
    stored = await store.load(run_id)
    if stored is None or stored.status == "cancelled" or not principal.may_access(stored.owner):
        raise unknown
    return stored


def _verified(stored: StoredRun, run_id: str) -> PausedRun:
    if digest(stored.payload) != stored.digest:
        raise ApprovalError(
            "invalid",
            f"The stored state of run {run_id} was changed after the pause; refused.",
            run_id=run_id,
        )
    return PausedRun.from_payload(stored.payload, run_id)


def _check_reason(reason: str | None) -> None:
    if reason is None:
        return
    if len(reason) > MAX_REASON_CHARS:
        raise ValueError(
            f"The rejection reason has {len(reason)} characters; the limit is {MAX_REASON_CHARS}."
        )
    try:
        reason.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("The rejection reason is not valid Unicode text.") from None


def _unknown(run_id: str, approval_id: str | None) -> ApprovalError:
    if approval_id is None:
        return ApprovalError("unknown", f"No paused run {run_id}.", run_id=run_id)
    return ApprovalError(
        "unknown",
        f"No pending approval {approval_id[:40]!r} for run {run_id}.",
        run_id=run_id,
        approval_id=approval_id[:40],
    )


def _expired(run_id: str, approval_id: str | None) -> ApprovalError:
    which = f"Approval {approval_id} of run {run_id}" if approval_id else f"Run {run_id}"
    return ApprovalError(
        "expired",
        f"{which} expired (APPROVAL_TIMEOUT_SECONDS); the run has ended. Send the request "
        "again to start a new run.",
        run_id=run_id,
        approval_id=approval_id or "",
    )


def _decided(run_id: str, approval_id: str, status: str) -> ApprovalError:
    return ApprovalError(
        "decided",
        f"Approval {approval_id} of run {run_id} was already decided ({status}).",
        run_id=run_id,
        approval_id=approval_id,
    )
