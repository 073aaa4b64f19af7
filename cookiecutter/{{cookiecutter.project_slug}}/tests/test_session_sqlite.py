"""The session contract on SQLite (the embedded default), always run."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from tests.session_contract import InsertRaw, SessionContract


@pytest.fixture
def session_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'contract.db'}"


@pytest.fixture
def insert_raw(data_dir: Path) -> InsertRaw:
    async def insert(session_id: str, raw: str) -> None:
        with sqlite3.connect(data_dir / "contract.db") as conn:
            conn.execute(
                "INSERT INTO agent_messages (session_id, message_data) VALUES (?, ?)",
                (session_id, raw),
            )
        conn.close()

    return insert


class TestSQLiteSessions(SessionContract):
    """Every contract test on a SQLite file."""


# -- one shared connection per database file (issue 16) -------------------------------------------


async def test_closing_a_session_keeps_the_file_open_for_the_next_one(data_dir: Path) -> None:
    from agents_core import AgentSession
    from agents_core.utils import user_message

    url = f"sqlite:///{data_dir / 'shared.db'}"
    async with AgentSession("first", url=url) as first:
        await first.add_items([user_message("one")])
    # Closing the last connection to a WAL database would checkpoint it and delete the WAL.
    assert (data_dir / "shared.db-wal").exists()
    async with AgentSession("second", url=url) as second:
        await second.add_items([user_message("two")])
        assert [i["content"] for i in await second.get_items()] == ["two"]  # type: ignore[typeddict-item]
    async with AgentSession("first", url=url) as again:
        assert [i["content"] for i in await again.get_items()] == ["one"]  # type: ignore[typeddict-item]


async def test_a_database_file_replaced_meanwhile_is_reopened(data_dir: Path) -> None:
    from agents_core import AgentSession
    from agents_core.utils import user_message

    url = f"sqlite:///{data_dir / 'replaced.db'}"
    async with AgentSession("s", url=url) as session:
        await session.add_items([user_message("old")])
    _remove_database(data_dir / "replaced.db")  # e.g. a test or an operator clearing the dir
    async with AgentSession("s", url=url) as session:
        await session.add_items([user_message("new")])
    # Written to the new file, not to the removed one a cached connection still points at.
    with sqlite3.connect(data_dir / "replaced.db") as conn:
        rows = conn.execute("SELECT message_data FROM agent_messages").fetchall()
    conn.close()
    assert [row[0] for row in rows] == ['{"role": "user", "content": "new"}']


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def test_idle_database_files_stay_within_the_bound(data_dir: Path) -> None:
    from agents_core import AgentSession
    from agents_core.session import _sqlite_databases
    from agents_core.utils import user_message

    for n in range(_sqlite_databases.MAX_OPEN_DATABASES + 4):
        async with AgentSession("s", url=f"sqlite:///{data_dir / f'many-{n}.db'}") as session:
            await session.add_items([user_message(str(n))])
    # Idle files only: a store that is still open (another test's unclosed session) keeps its own.
    idle = [db for db in _sqlite_databases._open.values() if db.users <= 0]
    assert len(idle) <= _sqlite_databases.MAX_OPEN_DATABASES
    mine = [path for path in _sqlite_databases._open if path.rsplit("/", 1)[-1].startswith("many-")]
    assert 0 < len(mine) <= _sqlite_databases.MAX_OPEN_DATABASES


async def test_a_turn_cancelled_while_taking_its_ticket_gives_it_back(data_dir: Path) -> None:
    import asyncio

    from agents_core import AgentSession

    url = f"sqlite:///{data_dir / 'cancel.db'}"
    async with AgentSession("s", url=url) as session:

        async def enter() -> None:
            async with session.turn("hi"):
                pass

        task = asyncio.create_task(enter())
        await asyncio.sleep(0)  # the ticket insert is under way in a worker thread
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # Without the give-back the ticket would hold the session for its 15 s lease.
        async with session.turn("next", wait_seconds=2):
            pass
