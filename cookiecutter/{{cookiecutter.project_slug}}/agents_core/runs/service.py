"""The run service: the one place a door starts, streams, decides, cancels and reads runs.

Ownership, limits, guardrails, sessions and approvals are enforced in the run's lifecycle
(`agents_core.runs.*`) and the stores below it; the service gives every door one request and
outcome shape, the run's token usage, the orchestrator that paused a run, and cancelling a
run (going on in this process, or paused) by its id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from agents_core.approvals.paused_run import paused_workflow
from agents_core.approvals.pending import PendingApproval
from agents_core.limits.limiter import admit
from agents_core.observability.run_log import new_run_id
from agents_core.orchestrator import AgentOrchestrator, RoutingOrchestrator
from agents_core.principals import LOCAL, Principal
from agents_core.runs import decisions, opening, streaming
from agents_core.runs.outcome import RunOutcome, Usage
from agents_core.runs.request import RunRequest
from agents_core.runs.running import answer_result, drive
from agents_core.runs.targets import (
    OrchestratorFactory,
    RunTarget,
    default_orchestrator,
    run_targets,
)
from agents_core.services.streaming import StreamEvent
from agents_core.utils.messages import to_text


@dataclass
class _Active:
    principal: Principal
    cancel: Callable[[], Any]


class RunService:
    """Runs for every door. One per app or process; cheap to create.

    `orchestrator_factory` builds the orchestrator of each run (override it to run your own
    `AgentOrchestrator` subclass for every door at once).
    """

    def __init__(self, orchestrator_factory: OrchestratorFactory | None = None) -> None:
        self.orchestrator_factory = orchestrator_factory or default_orchestrator
        self._active: dict[str, _Active] = {}

    # -- what can run --------------------------------------------------------------------------

    def targets(self) -> list[RunTarget]:
        """The router and the registered agents, as doors list them (models, skills)."""
        return run_targets()

    def orchestrator(self, agent: str | None) -> AgentOrchestrator:
        """The orchestrator of a run on `agent` (None: the router); UnknownNameError if unknown."""
        return self.orchestrator_factory(agent)

    async def authorize_session(self, session_id: str, principal: Principal = LOCAL) -> None:
        """SessionNotFound when `session_id` is stored and not `principal`'s (before streaming)."""
        await opening.authorize_session(session_id, principal)

    # -- runs ----------------------------------------------------------------------------------

    async def run(
        self, request: RunRequest, *, orchestrator: AgentOrchestrator | None = None
    ) -> RunOutcome:
        """Run to its end or its first pause. Raises what the run raised (AgentsCoreError,
        ValueError for a bad input, LimitExceeded before anything runs); CancelledError when
        `cancel()` ended it (nothing stored).

        `orchestrator`: the one `orchestrator(request.agent)` gave a door that checked the
        request against it (its `context_class`); by default a new one (one per run).
        """
        orchestrator = orchestrator or self.orchestrator(request.agent)
        state = opening.open_run(
            orchestrator,
            request.input,
            request.context,
            session_id=request.session_id,
            run_id=request.run_id or new_run_id(),
            principal=request.principal,
            streaming=orchestrator.streaming,
        )
        await admit(request.principal)
        raw = await self._cancellable(state.run_id, request.principal, drive(orchestrator, state))
        session_id = state.session_id or request.session_id
        return outcome_of(raw, state.run_id, session_id, _usage(state.tokens), state.pending)

    async def stream(
        self, request: RunRequest, *, orchestrator: AgentOrchestrator | None = None
    ) -> AsyncGenerator[StreamEvent, None]:
        """The run's events: run_start ... answer | approval_required | error, then done.

        `done` carries `usage` (input_tokens, output_tokens). What refuses the run (a bad
        input, a limit) is raised at the first `anext()`. Closing the iterator cancels the run;
        `cancel(run_id)` ends it with an `error` event (code `cancelled`) and `done`.
        `orchestrator`: as for `run()`.
        """
        orchestrator = orchestrator or self.orchestrator(request.agent)
        run_id = request.run_id or new_run_id()
        control = streaming.StreamControl()
        with self._tracked(run_id, request.principal, control.cancel):
            events = streaming.stream(
                orchestrator,
                request.input,
                request.context,
                session_id=request.session_id,
                run_id=run_id,
                principal=request.principal,
                control=control,
            )
            try:
                async for event in events:
                    yield event
            finally:
                await events.aclose()

    # -- approvals -----------------------------------------------------------------------------

    async def approve(
        self, run_id: str, approval_id: str, *, principal: Principal = LOCAL
    ) -> RunOutcome:
        """Approve a waiting tool call; the run resumes once its pause is decided."""
        return await self._decide(run_id, approval_id, True, None, principal)

    async def reject(
        self,
        run_id: str,
        approval_id: str,
        reason: str | None = None,
        *,
        principal: Principal = LOCAL,
    ) -> RunOutcome:
        """Reject a waiting tool call (the model reads the refusal and `reason`)."""
        return await self._decide(run_id, approval_id, False, reason, principal)

    async def pending(self, run_id: str, *, principal: Principal = LOCAL) -> list[PendingApproval]:
        """The tool calls `principal`'s paused run waits on (none once it resumed).

        ApprovalError `unknown` for a run that never paused, was cancelled, or is another
        principal's; `expired` past APPROVAL_TIMEOUT_SECONDS; ValueError for a bad run id.
        """
        return await decisions.waiting(run_id, principal)

    async def _decide(
        self,
        run_id: str,
        approval_id: str,
        approved: bool,
        reason: str | None,
        principal: Principal,
    ) -> RunOutcome:
        orchestrator = await self._paused_orchestrator(run_id, principal)  # validates run_id
        decision = await self._cancellable(
            run_id,
            principal,
            decisions.decide(
                orchestrator,
                run_id,
                approval_id,
                approved=approved,
                reason=reason,
                principal=principal,
            ),
        )
        usage = _usage(decision.tokens)
        return outcome_of(decision.outcome, run_id, None, usage, decision.approvals)

    async def _paused_orchestrator(self, run_id: str, principal: Principal) -> AgentOrchestrator:
        """The orchestrator that paused `run_id` (the router's for a run id that paused nothing
        or is another principal's: its decision is then refused as unknown)."""
        opening.validate_run_id(run_id)
        found = await paused_workflow(run_id, principal)
        if found is None:
            return self.orchestrator(None)
        workflow, default_agent = found
        routed = workflow == RoutingOrchestrator.__qualname__
        return self.orchestrator(None if routed else default_agent)

    # -- cancelling ----------------------------------------------------------------------------

    async def cancel(self, run_id: str, *, principal: Principal = LOCAL) -> bool:
        """Cancel `principal`'s run: one going on in this process (it stores nothing), or a
        paused one (discarded: its approvals are then unknown). False when there is none that
        `principal` may see (unknown, finished, another's)."""
        active = self._active.get(run_id)
        if active is not None:
            if not principal.may_access(active.principal.id):
                return False
            active.cancel()
            return True
        return await decisions.discard(run_id, principal)

    def running(self, principal: Principal = LOCAL) -> list[str]:
        """Ids of the runs going on in this process that `principal` may see."""
        return [
            run_id
            for run_id, active in self._active.items()
            if principal.may_access(active.principal.id)
        ]

    async def _cancellable(self, run_id: str, principal: Principal, work: Any) -> Any:
        """Await `work` in a task `cancel(run_id)` cancels (CancelledError after its cleanup)."""
        task: asyncio.Task[Any] = asyncio.ensure_future(work)
        with self._tracked(run_id, principal, task.cancel):
            return await task

    @contextlib.contextmanager
    def _tracked(
        self, run_id: str, principal: Principal, cancel: Callable[[], Any]
    ) -> Iterator[_Active]:
        active = _Active(principal, cancel)
        self._active[run_id] = active
        try:
            yield active
        finally:
            if self._active.get(run_id) is active:
                del self._active[run_id]


def outcome_of(
    raw: Any,
    run_id: str,
    session_id: str | None,
    usage: Usage,
    approvals: list[PendingApproval] | None = None,
) -> RunOutcome:
    """The `RunOutcome` of what a run returned: `execute()`'s outcome or a `PendingApproval`
    (`approvals`: every call the pause waits on; default: that one)."""
    if isinstance(raw, PendingApproval):
        return RunOutcome(
            run_id=raw.run_id,
            session_id=raw.session_id or session_id,
            status="paused",
            agent=raw.agent,
            approvals=list(approvals or [raw]),
            usage=usage,
            raw=raw,
        )
    result = answer_result(raw)
    info = raw if isinstance(raw, dict) else {}
    return RunOutcome(
        run_id=run_id,
        session_id=str(info.get("session_id") or session_id or "") or None,
        status="completed",
        agent=info.get("agent"),
        output=result,
        text=to_text(result),
        intent=info.get("intent"),
        usage=usage,
        raw=raw,
    )


def _usage(tokens: dict[str, int]) -> Usage:
    return Usage(tokens.get("input", 0), tokens.get("output", 0))
