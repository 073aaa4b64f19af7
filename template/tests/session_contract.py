"""Behaviour every session backend must have; `test_session_<backend>.py` runs it on one backend.

A subclass provides two fixtures: `session_url` (where sessions are stored) and `insert_raw`
(writes a raw, possibly undecodable, stored item behind the SDK's back).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import pytest

from agents_core.core import AgentRunner
from agents_core.exceptions import SessionBusyError
from agents_core.llm import OfflineModel
from agents_core.session import AgentSession, list_sessions
from agents_core.session.agent_session import SUMMARY_PREFIX
from agents_core.utils import assistant_message, item_role, item_text, user_message

InsertRaw = Callable[[str, str], Awaitable[None]]

PROJECT_ROOT = Path(__file__).resolve().parents[1]

WRITER = """
import asyncio, sys
from agents_core.session import AgentSession
from agents_core.utils import assistant_message, user_message

async def main() -> None:
    async with AgentSession(sys.argv[1], url=sys.argv[2], title="restart") as session:
        await session.add_items([user_message("before restart"), assistant_message("kept")])

asyncio.run(main())
"""


# Takes the turn lock of a session with a short lease, then dies without releasing it.
DIES_HOLDING_THE_LOCK = """
import asyncio, os, signal, sys
from agents_core.session import AgentSession, _lock

_lock.LEASE_SECONDS = 0.5

async def main() -> None:
    session = AgentSession(sys.argv[1], url=sys.argv[2])
    async with session.turn("never stored"):
        print("holding", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


def fresh_id(prefix: str) -> str:
    """A session id no other test (or earlier run on the same server) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def texts(items: Sequence[object]) -> list[str]:
    return [item_text(item) for item in items]


class SessionContract:
    """The behaviour tests; subclasses choose the backend."""

    async def test_add_get_pop_clear(self, session_url: str) -> None:
        async with AgentSession(fresh_id("basics"), url=session_url) as session:
            await session.add_items([user_message("hello"), assistant_message("hi")])
            await session.add_items([user_message("bye")])
            assert texts(await session.get_items()) == ["hello", "hi", "bye"]
            assert texts(await session.get_items(limit=2)) == ["hi", "bye"]
            popped = await session.pop_item()
            assert popped is not None
            assert item_text(popped) == "bye"
            assert await session.count_items() == 2
            await session.clear_session()
            assert await session.get_items() == []

    @pytest.mark.slow
    def test_history_survives_a_process_restart(self, session_url: str, tmp_path: Path) -> None:
        session_id = fresh_id("restart")
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        subprocess.run(
            [sys.executable, "-c", WRITER, session_id, session_url],
            cwd=tmp_path,
            env=env,
            check=True,
            timeout=120,
        )

        async def read() -> list[str]:
            async with AgentSession(session_id, url=session_url) as session:
                stored = await session.load_metadata()
                assert stored is not None
                assert stored.title == "restart"
                return texts(await session.get_items())

        assert asyncio.run(read()) == ["before restart", "kept"]

    async def test_concurrent_sessions_lose_nothing_and_keep_order(self, session_url: str) -> None:
        sessions, batches, per_batch = 50, 10, 10
        prefix = fresh_id("load")

        async def writer(number: int) -> None:
            async with AgentSession(f"{prefix}-{number}", url=session_url) as session:
                for batch in range(batches):
                    await session.add_items(
                        [
                            user_message(f"{number}:{batch * per_batch + i}")
                            for i in range(per_batch)
                        ]
                    )

        await asyncio.gather(*(writer(n) for n in range(sessions)))
        for number in range(sessions):
            async with AgentSession(f"{prefix}-{number}", url=session_url) as session:
                expected = [f"{number}:{i}" for i in range(batches * per_batch)]
                assert texts(await session.get_items()) == expected

    async def test_a_session_id_is_isolated_from_every_other(self, session_url: str) -> None:
        base = fresh_id("iso")
        ids = [base, f"{base}-2", f"{base}:x", f"{base}.y"]
        for session_id in ids:
            async with AgentSession(session_id, url=session_url) as session:
                await session.add_items([user_message(f"only {session_id}")])
        for session_id in ids:
            async with AgentSession(session_id, url=session_url) as session:
                assert texts(await session.get_items()) == [f"only {session_id}"]
        async with AgentSession(ids[1], url=session_url) as session:
            await session.clear_session()
        async with AgentSession(ids[0], url=session_url) as session:
            assert texts(await session.get_items()) == [f"only {base}"]

    async def test_an_undecodable_item_is_skipped_with_a_warning(
        self, session_url: str, insert_raw: InsertRaw, caplog: pytest.LogCaptureFixture
    ) -> None:
        session_id = fresh_id("corrupt")
        async with AgentSession(session_id, url=session_url) as session:
            await session.add_items([user_message("before")])
            await insert_raw(session_id, "{not json")
            await session.add_items([assistant_message("after")])
            with caplog.at_level(logging.WARNING, logger="agents_core.session"):
                assert texts(await session.get_items()) == ["before", "after"]
            assert "undecodable stored item" in caplog.text
            assert session_id in caplog.text

    async def test_max_items_trims_storage(self, session_url: str) -> None:
        session_id = fresh_id("trim")
        async with AgentSession(session_id, url=session_url, max_items=5) as session:
            for turn in range(6):
                await session.add_items([user_message(f"q{turn}"), assistant_message(f"a{turn}")])
            # Storage itself holds 4 items (a count of stored rows, not a bounded read).
            assert await session.count_items() == 4
        async with AgentSession(session_id, url=session_url, max_items=1000) as reopened:
            assert texts(await reopened.get_items()) == ["q4", "a4", "q5", "a5"]

    async def test_summarize_replaces_old_items_with_one_summary(self, session_url: str) -> None:
        session_id = fresh_id("summary")
        runner = AgentRunner(model=OfflineModel())
        async with AgentSession(session_id, url=session_url, max_items=20) as session:
            for turn in range(4):
                await session.add_items([user_message(f"q{turn}"), assistant_message(f"a{turn}")])
            assert session.needs_summarization() is False
            await session.add_items([user_message("last question")])
            summary = await session.summarize(runner=runner)
            assert summary
            stored = await session.get_items()
            assert len(stored) == 2
            assert item_role(stored[0]) == "assistant"
            assert item_text(stored[0]).startswith(SUMMARY_PREFIX)
            assert texts(stored)[1] == "last question"
            # Nothing old left: a second summarize has nothing to do.
            assert await session.summarize(runner=runner) is None

    async def test_metadata_is_stored_and_listable(self, session_url: str) -> None:
        user = fresh_id("user")
        first_id, second_id = fresh_id("meta-a"), fresh_id("meta-b")
        async with AgentSession(first_id, url=session_url, user_id=user, title="First") as s:
            await s.add_items([user_message("one")])
        async with AgentSession(second_id, url=session_url, user_id=user) as s:
            await s.add_items([user_message("two")])
            await s.set_title("Second")
        async with AgentSession(fresh_id("meta-other"), url=session_url, user_id="other") as s:
            await s.add_items([user_message("not listed")])

        listed = await list_sessions(session_url, user_id=user)
        assert [m.session_id for m in listed] == [second_id, first_id]
        assert [m.title for m in listed] == ["Second", "First"]
        assert all(m.user_id == user and m.created_at <= m.updated_at for m in listed)

        async with AgentSession(first_id, url=session_url) as reopened:
            stored = await reopened.load_metadata()
            assert stored is not None
            assert stored.title == "First"
            assert reopened.metadata["user_id"] == user

    async def test_the_first_turn_titles_the_session_and_delete_forgets_it(
        self, session_url: str
    ) -> None:
        user = fresh_id("user")
        session_id = fresh_id("titled")
        first = AgentSession(session_id, url=session_url, user_id=user)
        async with first, first.turn("  What is\n2 + 2?  " + "x" * 100) as turn:
            turn.set_answer("4")
        later = AgentSession(session_id, url=session_url)  # as a later process would
        async with later, later.turn("And 3 * 5?") as turn:
            turn.set_answer("15")
        (listed,) = await list_sessions(session_url, user_id=user)
        assert listed.title is not None
        assert listed.title.startswith("What is 2 + 2? xxx")  # one line, the first message's
        assert len(listed.title) == 80
        assert listed.title.endswith("…")

        async with AgentSession(session_id, url=session_url) as session:
            await session.delete()
            assert await session.load_metadata() is None
            assert await session.get_items() == []
        assert await list_sessions(session_url, user_id=user) == []

    async def test_structured_outputs_are_stored_as_text(self, session_url: str) -> None:
        async with AgentSession(fresh_id("json"), url=session_url) as session:
            await session.add_items([assistant_message(json.dumps({"category": "math"}))])
            assert texts(await session.get_items()) == ["category: math"]

    # -- turns: one at a time per session, stored whole or not at all --------------------------

    async def test_a_turn_is_stored_whole_or_not_at_all(self, session_url: str) -> None:
        async with AgentSession(fresh_id("turn"), url=session_url) as session:
            async with session.turn("first") as turn:
                assert await turn.get_items() == [user_message("first")]
                await turn.add_items([assistant_message("draft")])
                turn.set_answer("one")

            async def failing_turn() -> None:
                async with session.turn("second") as turn:
                    await turn.add_items([assistant_message("half")])
                    raise RuntimeError("the model failed")

            with pytest.raises(RuntimeError):
                await failing_turn()
            assert texts(await session.get_items()) == ["first", "one"]

    async def test_turns_on_one_session_wait_for_each_other(self, session_url: str) -> None:
        session_id = fresh_id("serial")

        async def one_turn(index: int) -> None:
            async with (
                AgentSession(session_id, url=session_url) as session,
                session.turn(f"q{index}") as turn,
            ):
                seen = len(turn.history)
                await asyncio.sleep(0.01)  # give another turn the chance to interleave
                turn.set_answer(f"a{index} after {seen}")

        await asyncio.gather(*(one_turn(i) for i in range(6)))
        async with AgentSession(session_id, url=session_url) as session:
            stored = texts(await session.get_items())
        questions = stored[0::2]
        assert sorted(questions) == [f"q{i}" for i in range(6)]
        for position, (question, answer) in enumerate(zip(questions, stored[1::2], strict=True)):
            # Each answer follows its own question, and each turn saw every turn before it.
            assert answer == f"a{question[1:]} after {2 * position}"

    async def test_a_busy_session_fails_after_the_wait(self, session_url: str) -> None:
        session_id = fresh_id("busy")
        async with (
            AgentSession(session_id, url=session_url) as holder,
            holder.turn("long turn"),
            AgentSession(session_id, url=session_url) as other,
        ):
            with pytest.raises(SessionBusyError, match="is busy") as caught:
                await other.turn("waits", wait_seconds=0.3).__aenter__()
            assert 0.3 <= caught.value.waited < 5
        async with AgentSession(session_id, url=session_url) as later:
            async with later.turn("after") as turn:
                turn.set_answer("free again")
            assert texts(await later.get_items()) == ["long turn", "after", "free again"]

    @pytest.mark.slow
    async def test_a_killed_holder_does_not_wedge_the_session(self, session_url: str) -> None:
        session_id = fresh_id("killed")
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", DIES_HOLDING_THE_LOCK, session_id, session_url],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            env=dict(os.environ),
            timeout=120,
            check=False,
        )
        assert done.stdout == "holding\n", done.stderr
        async with AgentSession(session_id, url=session_url) as session:
            async with session.turn("next", wait_seconds=10) as turn:
                turn.set_answer("not wedged")
            assert texts(await session.get_items()) == ["next", "not wedged"]
