"""The run service: the one place a door starts, streams, decides, cancels and reads runs.

Ownership, limits, guardrails, sessions and approvals are enforced below it (orchestrator,
session store, approvals store); the service adds what every door needs on top: one request and
outcome shape, the run's token usage, and cancelling a run in this process by its id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from agents_core.approvals.paused_run import paused_workflow
from agents_core.approvals.pending import PendingApproval
from agents_core.observability.run_log import new_run_id, token_usage
from agents_core.orchestrator import AgentOrchestrator, RoutingOrchestrator, validate_run_id
from agents_core.principals import LOCAL, Principal
from agents_core.runs.outcome import RunOutcome, Usage
from agents_core.runs.request import RunRequest
from agents_core.runs.targets import (
    OrchestratorFactory,
    RunTarget,
    default_orchestrator,
    run_targets,
)
from agents_core.services.streaming import StreamEvent
from agents_core.utils.messages import to_text
from agents_core.utils.tasks import cancel_and_wait


@dataclass
class _Active:
    principal: Principal
    cancel: asyncio.Event


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
        await self.orchestrator(None).authorize_session(session_id, principal)

    # -- runs ----------------------------------------------------------------------------------

    async def run(self, request: RunRequest) -> RunOutcome:
        """Run to its end or its first pause. Raises what the run raised (AgentsCoreError,
        ValueError for a bad input, LimitExceeded before anything runs)."""
        orchestrator = self.orchestrator(request.agent)
        run_id = request.run_id or new_run_id()
        tokens: dict[str, int] = {}
        with self._tracked(run_id, request.principal) as active, _counting(tokens):
            raw = await _until_cancelled(
                orchestrator.run(
                    request.input,
                    dict(request.context),
                    session_id=request.session_id,
                    run_id=run_id,
                    principal=request.principal,
                ),
                active.cancel,
            )
        return outcome_of(raw, run_id, request.session_id, _usage(tokens))

    async def stream(self, request: RunRequest) -> AsyncIterator[StreamEvent]:
        """The run's events: run_start ... answer | approval_required | error, then done.

        `done` carries `usage` (input_tokens, output_tokens). Closing the iterator cancels the
        run; `cancel(run_id)` ends it with an `error` event (code `cancelled`) and `done`.
        """
        orchestrator = self.orchestrator(request.agent)
        run_id = request.run_id or new_run_id()
        tokens: dict[str, int] = {}
        with self._tracked(run_id, request.principal) as active, _counting(tokens):
            events = orchestrator.stream(
                request.input,
                dict(request.context),
                session_id=request.session_id,
                run_id=run_id,
                principal=request.principal,
            )
            try:
                async for event in _events_until_cancelled(events, active.cancel):
                    if event.type == "done":
                        event.data["usage"] = _usage(tokens).__dict__
                    yield event
            finally:
                await events.aclose()

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

    async def _decide(
        self,
        run_id: str,
        approval_id: str,
        approved: bool,
        reason: str | None,
        principal: Principal,
    ) -> RunOutcome:
        validate_run_id(run_id)
        orchestrator = await self._paused_orchestrator(run_id, principal)
        tokens: dict[str, int] = {}
        with _counting(tokens):
            raw = await orchestrator.resume(
                run_id, approval_id, approved=approved, reason=reason, principal=principal
            )
        return outcome_of(raw, run_id, None, _usage(tokens))

    async def _paused_orchestrator(self, run_id: str, principal: Principal) -> AgentOrchestrator:
        """The orchestrator that paused `run_id` (its resume refuses any other class); the
        router's for a run that paused nothing or is another principal's (refused as unknown)."""
        found = await paused_workflow(run_id, principal)
        if found is None:
            return self.orchestrator(None)
        workflow, default_agent = found
        routed = workflow == RoutingOrchestrator.__qualname__
        return self.orchestrator(None if routed else default_agent)

    async def cancel(self, run_id: str, *, principal: Principal = LOCAL) -> bool:
        """Cancel a run going on in this process; False when there is none that `principal`
        may see (unknown, finished, another's). The run stores nothing."""
        active = self._active.get(run_id)
        if active is None or not principal.may_access(active.principal.id):
            return False
        active.cancel.set()
        return True

    def running(self, principal: Principal = LOCAL) -> list[str]:
        """Ids of the runs going on in this process that `principal` may see."""
        return [
            run_id
            for run_id, active in self._active.items()
            if principal.may_access(active.principal.id)
        ]

    @contextlib.contextmanager
    def _tracked(self, run_id: str, principal: Principal) -> Any:
        active = _Active(principal, asyncio.Event())
        self._active[run_id] = active
        try:
            yield active
        finally:
            if self._active.get(run_id) is active:
                del self._active[run_id]


def outcome_of(raw: Any, run_id: str, session_id: str | None, usage: Usage) -> RunOutcome:
    """The `RunOutcome` of what `AgentOrchestrator.run()` or `resume()` returned."""
    if isinstance(raw, PendingApproval):
        return RunOutcome(
            run_id=raw.run_id,
            session_id=raw.session_id or session_id,
            status="paused",
            agent=raw.agent,
            approvals=[raw],
            usage=usage,
            raw=raw,
        )
    result = raw.get("result") if isinstance(raw, dict) else raw
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


@contextlib.contextmanager
def _counting(tokens: dict[str, int]) -> Any:
    """Collect the model tokens of the runs started inside (the orchestrator adds to it)."""
    reset = token_usage.set(tokens)
    try:
        yield tokens
    finally:
        # A door may read a stream's first event in its handler and the rest in its response's
        # task (another context): the run's tasks already hold `tokens`, nothing to undo there.
        with contextlib.suppress(ValueError):
            token_usage.reset(reset)


async def _until_cancelled(work: Any, cancelled: asyncio.Event) -> Any:
    """Await `work`; CancelledError (after its cleanup) when `cancelled` is set first."""
    task: asyncio.Task[Any] = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(cancelled.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            await cancel_and_wait(task)
        await cancel_and_wait(waiter)
    return task.result()  # CancelledError when the run was cancelled


async def _events_until_cancelled(
    events: AsyncIterator[StreamEvent], cancelled: asyncio.Event
) -> AsyncIterator[StreamEvent]:
    """The events, until `cancelled` is set: then an `error` (code `cancelled`) and `done`."""
    last_seq = -1
    run_id = None
    while True:
        step = asyncio.ensure_future(anext(events))
        waiter = asyncio.ensure_future(cancelled.wait())
        try:
            await asyncio.wait({step, waiter}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            # The consumer was cancelled (its client went away): end the step too, so that the
            # run's generator is not running when it is closed.
            await cancel_and_wait(step)
            raise
        finally:
            await cancel_and_wait(waiter)
        if not step.done():
            await cancel_and_wait(step)
            yield StreamEvent(
                type="error",
                seq=last_seq + 1,
                data={"message": "The run was cancelled.", "code": "cancelled"},
            )
            yield StreamEvent(type="done", seq=last_seq + 2, data={"run_id": run_id})
            return
        try:
            event = step.result()
        except StopAsyncIteration:
            return
        last_seq = event.seq
        run_id = event.data.get("run_id", run_id)
        yield event
