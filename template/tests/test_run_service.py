"""The run service every door calls: run, stream, approve/reject, pending, cancel, targets.

In-process, on the offline model and each session backend of the project: what a door gets back
(outcome, events, usage), what is stored (a closed or cancelled run stores nothing), and that
another principal's runs are unknown.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest

from agents_core import (
    AgentDefinition,
    AgentOrchestrator,
    AgentRunner,
    RoutingOrchestrator,
    register_agent,
    register_tool,
)
from agents_core.exceptions import ApprovalError, SessionNotFound
from agents_core.principals import Principal
from agents_core.runs import ROUTER, RunOutcome, RunRequest, RunService
from agents_core.services.streaming import StreamEvent
from agents_core.session.agent_session import read_session
from tests.hanging_model import HangingModel

pytestmark = pytest.mark.usefixtures("backend_url")  # paused runs live in the session store

ALICE = Principal("alice")
BOB = Principal("bob")
QUESTION = "What is 2 + 2?"
DELETE = "delete file /srv/notes.txt"
"""The offline model passes the whole message to `delete_file`, which then waits for approval."""

DELETED: list[str] = []


@pytest.fixture(autouse=True)
def janitor() -> None:
    """An agent whose `delete_file` tool needs approval for paths under /srv."""
    DELETED.clear()

    @register_tool(category="files", needs_approval=lambda args: "/srv" in args["path"])
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file's path
        """
        DELETED.append(path)
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )


async def paused(service: RunService, principal: Principal = ALICE) -> RunOutcome:
    request = RunRequest(DELETE, "janitor", principal, uuid.uuid4().hex)
    outcome = await service.run(request)
    assert outcome.status == "paused", outcome
    return outcome


async def stored(session_id: str, principal: Principal = ALICE) -> int:
    """How many items the session stores (0 when nothing was ever stored)."""
    try:
        return len(await read_session(session_id, principal=principal))
    except SessionNotFound:
        return 0


def hanging_service() -> tuple[RunService, HangingModel]:
    """A service whose first run hangs inside its model call (until it is cancelled)."""
    model = HangingModel()

    def factory(agent: str | None) -> AgentOrchestrator:
        return AgentOrchestrator(runner=AgentRunner(model=model), default_agent="assistant")

    return RunService(factory), model


async def test_a_run_answers_with_its_session_and_the_tokens_it_used() -> None:
    service = RunService()
    outcome = await service.run(RunRequest(QUESTION, principal=ALICE))
    assert outcome.status == "completed"
    assert outcome.text == "2 + 2 = 4."
    assert outcome.session_id is not None
    assert outcome.usage.input_tokens > 0
    assert outcome.usage.output_tokens > 0
    assert outcome.usage.total_tokens == outcome.usage.input_tokens + outcome.usage.output_tokens
    assert await stored(outcome.session_id) > 0
    assert service.running(ALICE) == []  # finished runs are forgotten


async def test_a_streamed_run_ends_with_done_carrying_its_run_id_and_usage() -> None:
    service = RunService()
    run_id = uuid.uuid4().hex
    request = RunRequest(QUESTION, "assistant", ALICE, run_id=run_id)
    events = [event async for event in service.stream(request)]
    types = [event.type for event in events]
    assert types[0] == "run_start"
    assert types[-2:] == ["answer", "done"]
    done = events[-1].data
    assert done["run_id"] == run_id
    assert done["usage"]["input_tokens"] > 0
    assert done["usage"]["output_tokens"] > 0
    assert events[-2].data["text"] == "2 + 2 = 4."


async def test_a_stream_closed_early_stores_nothing_and_frees_the_session() -> None:
    service = RunService()
    session_id = uuid.uuid4().hex
    stream = service.stream(RunRequest(QUESTION, principal=ALICE, session_id=session_id))
    async with contextlib.aclosing(stream) as events:
        first = await anext(events)
        assert first.type == "run_start"
    assert service.running(ALICE) == []
    assert await stored(session_id) == 0
    again = await service.run(RunRequest(QUESTION, principal=ALICE, session_id=session_id))
    assert again.text == "2 + 2 = 4."  # the session's lock was released at once


async def test_approve_resumes_the_paused_run() -> None:
    service = RunService()
    outcome = await paused(service)
    (approval,) = outcome.approvals
    assert approval.tool == "delete_file"
    assert [a.approval_id for a in await service.pending(outcome.run_id, principal=ALICE)] == [
        approval.approval_id
    ]
    assert DELETED == []
    done = await service.approve(outcome.run_id, approval.approval_id, principal=ALICE)
    assert done.status == "completed"
    assert DELETED == [DELETE]
    assert await service.pending(outcome.run_id, principal=ALICE) == []  # nothing waits now


async def test_reject_resumes_the_run_without_the_call() -> None:
    service = RunService()
    outcome = await paused(service)
    done = await service.reject(
        outcome.run_id, outcome.approvals[0].approval_id, "not today", principal=ALICE
    )
    assert done.status == "completed"
    assert DELETED == []


async def test_another_principal_cannot_see_decide_or_cancel_a_paused_run() -> None:
    service = RunService()
    outcome = await paused(service)
    approval_id = outcome.approvals[0].approval_id
    with pytest.raises(ApprovalError) as error:
        await service.pending(outcome.run_id, principal=BOB)
    assert error.value.kind == "unknown"
    with pytest.raises(ApprovalError) as error:
        await service.approve(outcome.run_id, approval_id, principal=BOB)
    assert error.value.kind == "unknown"
    assert await service.cancel(outcome.run_id, principal=BOB) is False
    assert len(await service.pending(outcome.run_id, principal=ALICE)) == 1  # still Alice's


async def test_cancelling_a_paused_run_discards_it() -> None:
    service = RunService()
    outcome = await paused(service)
    assert await service.cancel(outcome.run_id, principal=ALICE) is True
    with pytest.raises(ApprovalError) as error:
        await service.approve(outcome.run_id, outcome.approvals[0].approval_id, principal=ALICE)
    assert error.value.kind == "unknown"  # 404 approval_not_found at the API
    with pytest.raises(ApprovalError) as error:
        await service.pending(outcome.run_id, principal=ALICE)
    assert error.value.kind == "unknown"
    assert await service.cancel(outcome.run_id, principal=ALICE) is False  # already gone
    assert DELETED == []


async def test_cancel_of_an_unknown_run_is_false() -> None:
    service = RunService()
    assert await service.cancel(uuid.uuid4().hex, principal=ALICE) is False
    assert await service.cancel("not-a-run-id", principal=ALICE) is False


async def test_cancelling_a_running_run_stores_nothing() -> None:
    service, model = hanging_service()
    session_id = uuid.uuid4().hex
    run_id = uuid.uuid4().hex
    request = RunRequest(QUESTION, principal=ALICE, session_id=session_id, run_id=run_id)
    task = asyncio.create_task(service.run(request))
    await model.wait_entered()
    assert service.running(ALICE) == [run_id]
    assert service.running(BOB) == []
    assert await service.cancel(run_id, principal=BOB) is False  # not Bob's to see
    assert await service.cancel(run_id, principal=ALICE) is True
    with pytest.raises(asyncio.CancelledError):
        await task
    await model.wait_cancelled()
    assert service.running(ALICE) == []
    assert await stored(session_id) == 0


async def test_cancelling_a_streamed_run_ends_its_stream_with_cancelled_then_done() -> None:
    service, model = hanging_service()
    session_id = uuid.uuid4().hex
    run_id = uuid.uuid4().hex
    request = RunRequest(QUESTION, principal=ALICE, session_id=session_id, run_id=run_id)
    seen: list[StreamEvent] = []

    async def read(events: AsyncIterator[StreamEvent]) -> None:
        async for event in events:
            seen.append(event)

    reading = asyncio.create_task(read(service.stream(request)))
    await model.wait_entered()
    assert await service.cancel(run_id, principal=ALICE) is True
    await asyncio.wait_for(reading, 60)
    assert [event.type for event in seen[-2:]] == ["error", "done"]
    assert seen[-2].data["code"] == "cancelled"
    assert [event.seq for event in seen] == list(range(len(seen)))
    assert await stored(session_id) == 0
    assert service.running(ALICE) == []


async def test_targets_are_the_router_and_the_agents_but_no_orchestration_agent() -> None:
    service = RunService()
    names = [target.name for target in service.targets()]
    assert names[0] == ROUTER
    assert service.targets()[0].agent is None
    assert {"assistant", "janitor"} <= set(names)
    for orchestration in ("intent_router", "synthesizer", "planner", "session_summarizer"):
        assert orchestration not in names
    assert isinstance(service.orchestrator(None), RoutingOrchestrator)
    assert service.orchestrator("janitor").default_agent == "janitor"
