"""Who owns what: sessions and paused runs are their creator's; others are told they do not exist.

Every test runs on each session backend the project was made for (`backend_url`): the rule
lives in agents_core (store and orchestrator), so every door inherits it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import pytest

from agents_core import (
    AgentDefinition,
    AgentOrchestrator,
    AgentRunner,
    AgentSession,
    OfflineModel,
    Principal,
    SessionNotFound,
    register_agent,
    register_tool,
)
from agents_core.approvals import PendingApproval, open_approval_store
from agents_core.approvals.paused_run import paused_workflow
from agents_core.exceptions import ApprovalError
from agents_core.principals import ADMIN_ROLE, LOCAL
from agents_core.session import delete_session, list_sessions, read_session
from agents_core.utils.messages import item_text, user_message

pytestmark = pytest.mark.usefixtures("backend_url")

ALICE = Principal("alice")
BOB = Principal("bob")
ROOT = Principal("root", frozenset({ADMIN_ROLE}))


def fresh_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def texts(session_id: str) -> list[str]:
    async with AgentSession(session_id) as session:
        return [item_text(item) for item in await session.get_items()]


async def owner_of(session_id: str) -> str | None:
    async with AgentSession(session_id) as session:
        stored = await session.load_metadata()
    assert stored is not None
    return stored.owner


async def alices_session() -> str:
    session_id = fresh_id("alice")
    await AgentOrchestrator().run("What is 1 + 1?", session_id=session_id, principal=ALICE)
    return session_id


# -- sessions --------------------------------------------------------------------------------


async def test_a_run_stores_its_principal_as_the_sessions_owner() -> None:
    session_id = await alices_session()
    assert await owner_of(session_id) == "alice"
    items = await read_session(session_id, principal=ALICE)
    assert next(item_text(item) for item in items) == "What is 1 + 1?"


async def test_another_principal_is_told_the_session_does_not_exist() -> None:
    session_id = await alices_session()
    unknown = fresh_id("never")
    with pytest.raises(SessionNotFound) as foreign:
        await read_session(session_id, principal=BOB)
    with pytest.raises(SessionNotFound) as missing:
        await read_session(unknown, principal=BOB)
    # The same error, word for word but the id: whether it exists is not revealed.
    assert str(foreign.value).replace(session_id, "ID") == str(missing.value).replace(unknown, "ID")
    assert foreign.value.session_id == session_id


async def test_delete_of_another_principals_session_is_not_found_and_deletes_nothing() -> None:
    session_id = await alices_session()
    before = await texts(session_id)
    with pytest.raises(SessionNotFound):
        await delete_session(session_id, principal=BOB)
    with pytest.raises(SessionNotFound):
        await delete_session(fresh_id("never"), principal=BOB)
    assert await texts(session_id) == before
    await delete_session(session_id, principal=ALICE)
    # Deleted by its owner, it is gone: nothing to read, not listed, for alice as for anyone.
    with pytest.raises(SessionNotFound):
        await read_session(session_id, principal=ALICE)
    assert session_id not in {m.session_id for m in await list_sessions(principal=ALICE)}


async def test_each_principal_lists_only_its_own_sessions_and_admin_lists_all() -> None:
    mine = await alices_session()
    theirs = fresh_id("bob")
    await AgentOrchestrator().run("What is 3 + 3?", session_id=theirs, principal=BOB)
    alice_ids = {m.session_id for m in await list_sessions(principal=ALICE, limit=10_000)}
    bob_ids = {m.session_id for m in await list_sessions(principal=BOB, limit=10_000)}
    root_ids = {m.session_id for m in await list_sessions(principal=ROOT, limit=10_000)}
    assert mine in alice_ids
    assert theirs not in alice_ids
    assert theirs in bob_ids
    assert mine not in bob_ids
    assert {mine, theirs} <= root_ids
    assert {m.owner for m in await list_sessions(principal=BOB, limit=10_000)} == {"bob"}


async def test_continuing_another_principals_session_fails_before_any_model_call() -> None:
    session_id = await alices_session()
    before = await texts(session_id)
    model = OfflineModel()
    orchestrator = AgentOrchestrator(runner=AgentRunner(model=model))
    with pytest.raises(SessionNotFound):
        await orchestrator.run("What is 5 + 5?", session_id=session_id, principal=BOB)
    events = [
        event
        async for event in orchestrator.stream(
            "What is 5 + 5?", session_id=session_id, principal=BOB
        )
    ]
    assert [event.type for event in events] == ["run_start", "error", "done"]
    assert events[1].data["code"] == "SessionNotFound"
    assert model.calls == 0
    assert await texts(session_id) == before
    assert await owner_of(session_id) == "alice"
    with pytest.raises(SessionNotFound):
        await orchestrator.authorize_session(session_id, BOB)
    await orchestrator.authorize_session(session_id, ALICE)  # no error
    await orchestrator.authorize_session(fresh_id("new"), BOB)  # a new id is free


async def test_admin_reads_and_continues_any_session_and_the_owner_stays() -> None:
    session_id = await alices_session()
    assert await read_session(session_id, principal=ROOT)
    await AgentOrchestrator().run("What is 4 + 4?", session_id=session_id, principal=ROOT)
    assert await owner_of(session_id) == "alice"
    assert "What is 4 + 4?" in await texts(session_id)
    with pytest.raises(SessionNotFound):
        await read_session(session_id, principal=BOB)


async def test_two_principals_creating_one_new_session_id_at_once_one_wins() -> None:
    session_id = fresh_id("race")
    orchestrator = AgentOrchestrator()
    results = await asyncio.gather(
        orchestrator.run("What is 1 + 1?", session_id=session_id, principal=ALICE),
        orchestrator.run("What is 2 + 2?", session_id=session_id, principal=BOB),
        return_exceptions=True,
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1, results
    assert isinstance(failed[0], SessionNotFound), results
    winner = "bob" if isinstance(results[0], SessionNotFound) else "alice"
    assert await owner_of(session_id) == winner
    stored = await texts(session_id)
    asked = {"alice": "What is 1 + 1?", "bob": "What is 2 + 2?"}
    loser = "alice" if winner == "bob" else "bob"
    assert stored[0] == asked[winner]
    assert asked[loser] not in stored


async def test_sessions_written_before_owners_belong_to_local() -> None:
    session_id = fresh_id("legacy")
    async with AgentSession(session_id) as session:  # no owner: as stored before owners
        await session.add_items([user_message("old question")])
    assert await owner_of(session_id) is None
    assert await texts(session_id) == ["old question"]
    assert [item_text(i) for i in await read_session(session_id)] == ["old question"]
    with pytest.raises(SessionNotFound):
        await read_session(session_id, principal=ALICE)
    local_ids = {m.session_id for m in await list_sessions(principal=LOCAL, limit=10_000)}
    alice_ids = {m.session_id for m in await list_sessions(principal=ALICE, limit=10_000)}
    assert session_id in local_ids
    assert session_id not in alice_ids
    # An admin's turn on it keeps it local's.
    await AgentOrchestrator().run("What is 6 + 6?", session_id=session_id, principal=ROOT)
    assert await owner_of(session_id) == "local"


async def test_items_stored_without_metadata_belong_to_local() -> None:
    session_id = fresh_id("raw")
    async with AgentSession(session_id) as session:
        await session.backend.add_items([user_message("written by the SDK directly")])
    with pytest.raises(SessionNotFound):
        await AgentOrchestrator().run("What is 1 + 1?", session_id=session_id, principal=BOB)
    await AgentOrchestrator().run("What is 1 + 1?", session_id=session_id)  # local: fine
    assert await owner_of(session_id) == "local"


# -- paused runs -----------------------------------------------------------------------------

DELETED: list[str] = []
QUERY = "delete file /srv/notes.txt"


@pytest.fixture
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


def janitor_run() -> AgentOrchestrator:
    return AgentOrchestrator(default_agent="janitor")


async def alices_pause(session_id: str | None = None) -> PendingApproval:
    pending = await janitor_run().run(
        QUERY, session_id=session_id or fresh_id("pause"), principal=ALICE
    )
    assert isinstance(pending, PendingApproval), pending
    return pending


async def run_status(run_id: str) -> tuple[str, dict[str, tuple[str, str | None]]]:
    store = open_approval_store()
    try:
        stored = await store.load(run_id)
    finally:
        await store.aclose()
    assert stored is not None
    return stored.status, stored.approvals


@pytest.mark.usefixtures("janitor")
async def test_a_session_whose_first_turn_paused_stays_its_principals() -> None:
    session_id = fresh_id("first-turn-paused")
    pending = await alices_pause(session_id)
    with pytest.raises(SessionNotFound):
        await janitor_run().run("What is 2 + 2?", session_id=session_id, principal=BOB)
    with pytest.raises(SessionNotFound):
        await AgentOrchestrator().authorize_session(session_id, BOB)
    done = await janitor_run().approve(pending.run_id, pending.approval_id, principal=ALICE)
    assert not isinstance(done, PendingApproval)
    async with AgentSession(session_id) as session:
        stored = await session.load_metadata()
    assert stored is not None
    assert stored.owner == "alice"


@pytest.mark.usefixtures("janitor")
async def test_another_principal_cannot_approve_or_reject_and_the_run_stays_paused() -> None:
    pending = await alices_pause()
    with pytest.raises(ApprovalError) as approving:
        await janitor_run().approve(pending.run_id, pending.approval_id, principal=BOB)
    with pytest.raises(ApprovalError) as rejecting:
        await janitor_run().reject(pending.run_id, pending.approval_id, "no", principal=BOB)
    # As for a run id that never paused.
    assert approving.value.kind == rejecting.value.kind == "unknown"
    with pytest.raises(ApprovalError) as never:
        await janitor_run().approve(uuid.uuid4().hex, pending.approval_id, principal=BOB)
    assert never.value.kind == "unknown"
    assert await paused_workflow(pending.run_id, BOB) is None
    assert await paused_workflow(pending.run_id, ALICE) is not None
    status, approvals = await run_status(pending.run_id)
    assert status == "paused"
    assert approvals[pending.approval_id][0] == "pending"
    assert DELETED == []
    outcome = await janitor_run().approve(pending.run_id, pending.approval_id, principal=ALICE)
    assert not isinstance(outcome, PendingApproval)
    assert DELETED == [QUERY]  # the offline model passes the whole message as the path


@pytest.mark.usefixtures("janitor")
async def test_admin_decides_any_paused_run_which_resumes_as_its_owner() -> None:
    session_id = fresh_id("pause")
    pending = await alices_pause(session_id)
    outcome = await janitor_run().approve(pending.run_id, pending.approval_id, principal=ROOT)
    assert isinstance(outcome, dict)
    assert outcome["session_id"] == session_id
    assert await owner_of(session_id) == "alice"
    assert len(DELETED) == 1


@pytest.mark.usefixtures("janitor")
async def test_a_paused_run_stored_without_owner_is_locals() -> None:
    pending = await janitor_run().run(QUERY, session_id=fresh_id("pause"))  # local
    store = open_approval_store()
    try:
        stored = await store.load(pending.run_id)
        assert stored is not None
        assert stored.owner == "local"
        stored.owner = None  # as written before paused runs had owners
        await store.save(stored)
    finally:
        await store.aclose()
    with pytest.raises(ApprovalError):
        await janitor_run().approve(pending.run_id, pending.approval_id, principal=ALICE)
    await janitor_run().approve(pending.run_id, pending.approval_id)  # local
    assert len(DELETED) == 1


# -- databases written before owners (SQLite; the server backends add the column alike) -----


async def test_an_old_sqlite_database_gains_the_owner_columns_and_stays_readable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    run_id = uuid.uuid4().hex
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE agents_core_sessions (session_id TEXT PRIMARY KEY, "
            "created_at REAL NOT NULL, updated_at REAL NOT NULL, title TEXT, user_id TEXT)"
        )
        conn.execute("INSERT INTO agents_core_sessions VALUES ('old-1', 1.0, 2.0, 'Old', NULL)")
        conn.execute(
            "CREATE TABLE agents_core_paused_runs (run_id TEXT PRIMARY KEY, session_id TEXT NOT "
            "NULL, payload TEXT NOT NULL, digest TEXT NOT NULL, expires_at REAL NOT NULL, "
            "status TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT INTO agents_core_paused_runs VALUES (?, 'old-1', '', 'd', 1.0, 'done')",
            (run_id,),
        )
    conn.close()
    url = f"sqlite:///{path}"
    found = await list_sessions(url, principal=LOCAL)
    assert [(m.session_id, m.title, m.owner) for m in found] == [("old-1", "Old", None)]
    assert await list_sessions(url, principal=ALICE) == []
    with pytest.raises(SessionNotFound):
        await read_session("old-1", principal=ALICE, url=url)
    assert await read_session("old-1", url=url) == []
    store = open_approval_store(url)
    try:
        stored = await store.load(run_id)
    finally:
        await store.aclose()
    assert stored is not None
    assert stored.owner is None
    assert stored.status == "done"
