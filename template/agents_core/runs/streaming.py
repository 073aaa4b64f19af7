"""Streaming a run: its `execute()` in a task of its own, its events as they happen.

The events are run_start ... answer | approval_required | error, then done (with the run's
`usage`). Errors during the run are `error` events; what refuses the run before its first
event (a bad argument, a limit) is raised. Closing the stream cancels the run (nothing is
stored); `StreamControl.cancel()` ends it with an `error` event (code `cancelled`) and `done`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agents_core.approvals.paused_run import Paused
from agents_core.exceptions import AgentsCoreError
from agents_core.limits.limiter import admit
from agents_core.principals import LOCAL, Principal
from agents_core.runs.observation import error_code, observed
from agents_core.runs.opening import authorize_run, open_run
from agents_core.runs.pausing import pause
from agents_core.runs.running import answer_agent, answer_result, answer_text
from agents_core.runs.state import OpenRun, current_run
from agents_core.services.streaming import StreamEvent, StreamingHelper
from agents_core.utils.tasks import cancel_and_wait

if TYPE_CHECKING:
    from agents_core.orchestrator import AgentOrchestrator

CANCELLED = "cancelled"
"""The `code` of the `error` event of a run cancelled by `StreamControl.cancel()`."""


@dataclass
class StreamControl:
    """A handle on a streamed run, for whoever cancels it (the run service)."""

    state: OpenRun | None = None
    """The run's state, once the stream opened it."""
    cancelled: bool = False
    _task: asyncio.Task[None] | None = None
    _started: bool = False

    def cancel(self) -> None:
        """End the run: its stream gets `error` (code `cancelled`) and `done`; nothing is
        stored."""
        self.cancelled = True
        if self._task is not None and self._started:
            self._task.cancel()


async def stream(
    orchestrator: AgentOrchestrator,
    query: str,
    context_data: dict[str, Any] | None = None,
    *,
    session_id: str | None = None,
    run_id: str | None = None,
    principal: Principal = LOCAL,
    control: StreamControl | None = None,
) -> AsyncGenerator[StreamEvent, None]:
    """The run's events (see the module); the run is opened at the first `anext()`."""
    control = control or StreamControl()
    queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
    helper = StreamingHelper(queue.put_nowait)
    state = open_run(
        orchestrator,
        query,
        context_data,
        session_id=session_id,
        run_id=run_id,
        principal=principal,
        streaming=helper,
    )
    control.state = state
    await admit(principal)  # raised before the first event: the run never started
    helper.emit("run_start", query=query, session_id=state.session_id, run_id=state.run_id)
    task = asyncio.create_task(_work(orchestrator, state, helper, control))
    control._task = task
    try:
        while True:
            event = await queue.get()
            yield event
            if event.type == "done":
                break
        await asyncio.wait({task})
        if not task.cancelled():
            task.result()  # a BaseException that escaped the run (never a swallowed one)
    finally:
        if not task.done():
            await cancel_and_wait(task)  # its cleanup ends before the stream does


async def _work(
    orchestrator: AgentOrchestrator,
    state: OpenRun,
    helper: StreamingHelper,
    control: StreamControl,
) -> None:
    control._started = True
    token = current_run.set(state)
    try:
        async with observed(state, type(orchestrator).__name__) as record:
            try:
                if control.cancelled:  # cancelled before the task started
                    raise asyncio.CancelledError
                data = dict(state.context_data)
                await authorize_run(orchestrator, state)
                await orchestrator.check_input(state.query, data)
                try:
                    outcome = await orchestrator.execute(state.query, data)
                except Paused as paused:
                    await pause(orchestrator, state, paused)  # emits approval_required
                    record.outcome, record.agent = "paused", paused.agent
                    return
                await state.commit(answer_text(outcome))  # stored before it is heard
                record.outcome, record.agent = "ok", answer_agent(outcome)
                helper.emit_answer(answer_result(outcome), sources=list(state.guard.runs))
            except AgentsCoreError as error:
                record.failed(error)
                await state.aclose()
                helper.emit_error(str(error), code=error_code(error))
            except asyncio.CancelledError:
                if control.cancelled:
                    helper.emit_error("The run was cancelled.", code=CANCELLED)
                raise
            except Exception as error:  # a bug in execute(): report it, do not hang
                record.failed(error)
                await state.aclose()
                helper.emit_error(f"{type(error).__name__}: {error}", code="InternalError")
    finally:
        current_run.reset(token)
        try:
            await state.aclose()
        finally:  # a cancel arriving now must not leave the stream without its end
            helper.emit_done(
                session_id=state.session_id, run_id=state.run_id, usage=usage_of(state)
            )


def usage_of(state: OpenRun) -> dict[str, int]:
    """The run's model tokens as a `done` event and `Usage` carry them."""
    tokens = state.tokens
    return {"input_tokens": tokens.get("input", 0), "output_tokens": tokens.get("output", 0)}
