"""Pausing a run on tool approvals, and replaying its calls when it resumes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from agents import RunContextWrapper, RunState

from agents_core.approvals.paused_run import (
    ApprovalEntry,
    Paused,
    PausedRun,
    apply_decisions,
    decode_output,
    encode_output,
)
from agents_core.approvals.pending import PendingApproval
from agents_core.approvals.store import StoredRun, digest, open_approval_store
from agents_core.config import get_settings
from agents_core.exceptions import ApprovalError
from agents_core.models.context import AgentContext
from agents_core.runs.state import OpenRun
from agents_core.utils.tasks import run_to_end

if TYPE_CHECKING:
    from agents_core.orchestrator import AgentOrchestrator


async def pause(
    orchestrator: AgentOrchestrator, state: OpenRun, paused: Paused
) -> list[PendingApproval]:
    """Store what the run needs to finish (in the session store) and announce its approvals.

    The turns are not stored and their locks are released when the run returns: no lock is
    held while a human decides.
    """
    expires_at = time.time() + get_settings().approval_timeout_seconds
    journal = [
        {"index": index, "agent": agent, "output": encode_output(output)}
        for index, (agent, output) in sorted(state.outputs.items())
    ]
    run = PausedRun(
        run_id=state.run_id,
        workflow=type(orchestrator).__qualname__,
        default_agent=orchestrator.default_agent,
        query=state.query,
        session_id=state.session_id,
        context_data=state.context_data,
        journal=journal,
        agent=paused.agent,
        index=paused.index,
        # The context is rebuilt from context_data on resume (context_override).
        sdk_state=paused.state.to_string(context_serializer=lambda _context: {}),
        turns={sid: list(turn.items) for sid, turn in state.turns.items()},
        approvals=[ApprovalEntry.of(item) for item in paused.items],
    )
    payload = run.to_payload()
    store = open_approval_store()
    try:
        await store.save(
            StoredRun(
                run_id=state.run_id,
                session_id=state.session_id or "",
                payload=payload,
                digest=digest(payload),
                expires_at=expires_at,
                approvals={entry.approval_id: ("pending", None) for entry in run.approvals},
                owner=state.principal.id,
            )
        )
    finally:
        await run_to_end(store.aclose())
    for session in state.sessions:
        if session.session_id in state.turns:
            await session.claim()  # a first turn: nothing of it is stored until it resumes
    pending = state.pending = run.pending(expires_at, {})
    if state.streaming is not None:
        for approval in pending:
            data = approval.to_dict()
            state.streaming.emit("approval_required", data.pop("agent"), **data)
    return pending


async def replayed_or_resumed(
    orchestrator: AgentOrchestrator,
    state: OpenRun,
    index: int,
    agent_name: str,
    context: AgentContext,
) -> tuple[bool, Any]:
    """For a resumed run: (True, output) for a call that finished before the pause;
    (False, the SDK RunState to continue) for the paused call; (False, None) otherwise."""
    resumed = state.resumed
    if resumed is None:
        return False, None
    entry = resumed.replay.get(index)
    expected = entry["agent"] if entry else resumed.paused.agent
    if (entry is not None or index == resumed.paused.index) and expected != agent_name:
        raise ApprovalError(
            "invalid",
            f"On resume the workflow called {agent_name!r} where run {state.run_id} had "
            f"called {expected!r}; execute() must call the same agents in the same order.",
            run_id=state.run_id,
        )
    factory = orchestrator.runner.factory
    definition = factory.definition(agent_name)
    if entry is not None:
        output = decode_output(entry["output"], definition.output_dataclass)
        state.outputs[index] = (agent_name, output)
        context.record_agent_output(agent_name, output)
        return True, output
    if index != resumed.paused.index:
        return False, None
    try:
        run_state: RunState[Any, Any] = await RunState.from_string(
            factory.build(definition),
            resumed.paused.sdk_state,
            context_override=RunContextWrapper(context),
        )
    except Exception as error:
        raise ApprovalError(
            "invalid",
            f"The stored SDK state of run {state.run_id} cannot be resumed "
            f"({type(error).__name__}).",
            run_id=state.run_id,
        ) from None
    apply_decisions(run_state, resumed.paused.approvals, resumed.decided, state.run_id)
    return False, run_state
