"""Running a run to its end or its first pause: the orchestrator's `execute()`, observed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agents_core.approvals.paused_run import Paused
from agents_core.limits.limiter import admit
from agents_core.principals import LOCAL, Principal
from agents_core.runs.observation import observed
from agents_core.runs.opening import authorize_run, open_run
from agents_core.runs.pausing import pause
from agents_core.runs.state import OpenRun, current_run
from agents_core.utils.messages import to_text

if TYPE_CHECKING:
    from agents_core.orchestrator import AgentOrchestrator


async def run(
    orchestrator: AgentOrchestrator,
    query: str,
    context_data: dict[str, Any] | None = None,
    *,
    session_id: str | None = None,
    run_id: str | None = None,
    principal: Principal = LOCAL,
) -> Any:
    """Open a run and drive it (see `drive`); `LimitExceeded` before anything runs."""
    state = open_run(
        orchestrator,
        query,
        context_data,
        session_id=session_id,
        run_id=run_id,
        principal=principal,
        streaming=orchestrator.streaming,  # a helper given to the orchestrator hears its runs
    )
    await admit(principal)
    return await drive(orchestrator, state)


async def drive(orchestrator: AgentOrchestrator, state: OpenRun) -> Any:
    """Run `execute()` in `state`: its outcome (the turns stored), or the first
    `PendingApproval` when it pauses (nothing stored, no lock held)."""
    token = current_run.set(state)
    try:
        async with observed(state, type(orchestrator).__name__) as record:
            data = dict(state.context_data)
            await authorize_run(orchestrator, state)
            if state.resumed is None:
                await orchestrator.check_input(state.query, data)
            try:
                outcome = await orchestrator.execute(state.query, data)
            except Paused as paused:
                pending = await pause(orchestrator, state, paused)
                record.outcome, record.agent = "paused", paused.agent
                return pending[0]
            await state.commit(answer_text(outcome))
            record.outcome, record.agent = "ok", answer_agent(outcome)
            return outcome
    finally:
        current_run.reset(token)
        await state.aclose()


def answer_agent(outcome: Any) -> str | None:
    """The agent that answered, as `execute()` names it (its dict's "agent")."""
    agent = outcome.get("agent") if isinstance(outcome, dict) else None
    return str(agent) if agent else None


def answer_result(outcome: Any) -> Any:
    """The final output (`execute()` returns a dict with "result", or the output itself)."""
    return outcome.get("result") if isinstance(outcome, dict) else outcome


def answer_text(outcome: Any) -> str:
    """The text of a run's final answer."""
    return to_text(answer_result(outcome))
