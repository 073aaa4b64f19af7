"""A cancelled turn frees its session at once: the next turn starts in under a second.

Cancelled while waiting for the session, while holding it (in a model call), while streaming,
and while resuming after an approval; on each session backend of the project (`backend_url`).
The cleanup (heartbeat stopped, ticket dropped, release signalled) must end before the session's
store closes: before issue 28 the drop went on alone and failed on the closed store, leaving the
ticket until its lease ran out (15 s), and asyncio logged an exception nobody retrieved (which
now fails the test: see tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from agents_core import (
    AgentDefinition,
    AgentOrchestrator,
    AgentRunner,
    AgentSession,
    register_agent,
    register_tool,
)
from agents_core.approvals import PendingApproval, open_approval_store
from agents_core.session import _lock
from agents_core.utils import item_text
from tests.hanging_model import HangingModel

pytestmark = pytest.mark.usefixtures("backend_url")

NEXT_TURN_WAIT = 1.0
"""The next turn must get the session within this many seconds."""


def fresh_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def assert_next_turn_starts_at_once(session_id: str) -> None:
    """A new turn on `session_id` gets it within NEXT_TURN_WAIT s (else SessionBusyError)."""
    async with AgentSession(session_id) as session:
        async with session.turn("next", wait_seconds=NEXT_TURN_WAIT) as turn:
            turn.set_answer("the session was free")
        # Nothing of the cancelled turn was stored.
        assert [item_text(item) for item in await session.get_items()] == [
            "next",
            "the session was free",
        ]


async def cancel(task: asyncio.Task[Any]) -> None:
    """Cancel `task` at every turn of the event loop until it ends, then expect CancelledError.

    As anyio's cancel scopes do (Starlette, an SSE response whose client went away): every await
    of the task's cleanup is cancelled too, not just the one the task was waiting on.
    """
    while not task.done():
        task.cancel()
        await asyncio.sleep(0)  # one turn of the loop, not a wait for time to pass
    with pytest.raises(asyncio.CancelledError):
        await task


def orchestrator(model: HangingModel) -> AgentOrchestrator:
    return AgentOrchestrator(runner=AgentRunner(model=model), default_agent="assistant")


@pytest.fixture
def waiting_signal(backend_url: str) -> Iterator[asyncio.Event]:
    """Set once a second turn waits in the session's queue (a ticket taken / a lock requested)."""
    queued = asyncio.Event()
    if backend_url.startswith("postgres"):
        from agents_core.session import _sql_store

        take_lock = _sql_store._take_lock

        async def observed_lock(conn: Any, key: dict[str, str], wait: float) -> None:
            # The lock request itself blocks: signal when it is on its way to the server.
            queued.set()
            await take_lock(conn, key, wait)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_sql_store, "_take_lock", observed_lock)
            yield queued
        return
    take_ticket = _lock._take_ticket

    async def observed_ticket(queue: Any, owner: str, lease: float) -> tuple[int, bool]:
        taken = await take_ticket(queue, owner, lease)
        queued.set()
        return taken

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_lock, "_take_ticket", observed_ticket)
        yield queued


async def test_cancelled_while_waiting_for_the_session(waiting_signal: asyncio.Event) -> None:
    session_id = fresh_id("cancel-waiting")

    async def second_turn() -> None:
        async with AgentSession(session_id) as session, session.turn("waits", wait_seconds=60):
            raise AssertionError("the second turn should still be waiting")

    async with AgentSession(session_id) as holder, holder.turn("first") as turn:
        waiter = asyncio.create_task(second_turn())
        await waiting_signal.wait()
        await cancel(waiter)
        turn.set_answer("done")
    async with AgentSession(session_id) as session:
        async with session.turn("next", wait_seconds=NEXT_TURN_WAIT) as turn:
            turn.set_answer("the session was free")
        stored = [item_text(item) for item in await session.get_items()]
    assert stored == ["first", "done", "next", "the session was free"]


async def test_cancelled_while_holding_the_session() -> None:
    session_id = fresh_id("cancel-holding")
    model = HangingModel()
    run = asyncio.create_task(orchestrator(model).run("What is 2 + 2?", session_id=session_id))
    await model.wait_entered()  # the run holds the session, inside its model call
    await cancel(run)
    assert model.cancelled.is_set()
    await assert_next_turn_starts_at_once(session_id)


async def test_cancelled_while_streaming() -> None:
    session_id = fresh_id("cancel-streaming")
    model = HangingModel()
    events: list[str] = []

    async def consume() -> None:
        async for event in orchestrator(model).stream("What is 2 + 2?", session_id=session_id):
            events.append(event.type)

    consumer = asyncio.create_task(consume())
    await model.wait_entered()
    await cancel(consumer)
    assert events[0] == "run_start"
    assert model.cancelled.is_set()
    await assert_next_turn_starts_at_once(session_id)


async def test_a_stream_closed_by_its_reader_frees_the_session() -> None:
    session_id = fresh_id("cancel-aclose")
    model = HangingModel()
    stream = orchestrator(model).stream("What is 2 + 2?", session_id=session_id)
    assert (await anext(stream)).type == "run_start"  # the run starts in a task of its own
    await model.wait_entered()
    await stream.aclose()  # as the API does for a client that went away
    await assert_next_turn_starts_at_once(session_id)


async def test_cancelled_while_resuming_after_an_approval() -> None:
    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file's path
        """
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )
    session_id = fresh_id("cancel-resuming")
    model = HangingModel(hang_at=2)  # the call after the approved tool ran
    janitor = AgentOrchestrator(runner=AgentRunner(model=model), default_agent="janitor")
    pending = await janitor.run("delete file /srv/old.log", session_id=session_id)
    assert isinstance(pending, PendingApproval)
    resuming = asyncio.create_task(janitor.approve(pending.run_id, pending.approval_id))
    await model.wait_entered()
    await cancel(resuming)
    store = open_approval_store()
    try:
        stored = await store.load(pending.run_id)
    finally:
        await store.aclose()
    assert stored is not None
    assert stored.status == "done"  # not left "resuming" by the cancellation
    await assert_next_turn_starts_at_once(session_id)
