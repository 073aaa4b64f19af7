"""A PostgreSQL database written before owners existed gains the `owner` columns on first use,
and what it holds stays readable as `local`'s (a private database, created and dropped here)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from agents_core import AgentOrchestrator, Principal, SessionNotFound
from agents_core.approvals import open_approval_store
from agents_core.session import list_sessions, read_session
from agents_core.session.backends import asyncpg_url
from tests.conftest import server_url

pytestmark = pytest.mark.server_backend

OLD_TABLES = (
    "CREATE TABLE agents_core_sessions (session_id VARCHAR PRIMARY KEY, created_at FLOAT NOT "
    "NULL, updated_at FLOAT NOT NULL, title VARCHAR, user_id VARCHAR)",
    "INSERT INTO agents_core_sessions VALUES ('old-1', 1.0, 2.0, 'Old', NULL)",
    "CREATE TABLE agents_core_paused_runs (run_id VARCHAR PRIMARY KEY, session_id VARCHAR NOT "
    "NULL, payload TEXT NOT NULL, digest VARCHAR NOT NULL, expires_at FLOAT NOT NULL, "
    "status VARCHAR NOT NULL)",
)


async def execute(url: str, *statements: str, autocommit: bool = False) -> None:
    engine = create_async_engine(
        asyncpg_url(url), isolation_level="AUTOCOMMIT" if autocommit else None
    )
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
async def old_database() -> AsyncIterator[str]:
    """The URL of a new database holding the tables as they were before owners."""
    base = server_url("postgres")
    name = f"agents_old_{uuid.uuid4().hex[:12]}"
    await execute(base, f'CREATE DATABASE "{name}"', autocommit=True)
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        await execute(url, *OLD_TABLES)
        yield url
    finally:
        await execute(base, f'DROP DATABASE "{name}" WITH (FORCE)', autocommit=True)


async def test_an_old_database_gains_owners_and_stays_readable_as_locals(
    old_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = old_database
    found = await list_sessions(url)
    assert [(m.session_id, m.title, m.owner) for m in found] == [("old-1", "Old", None)]
    assert await list_sessions(url, principal=Principal("alice")) == []
    with pytest.raises(SessionNotFound):
        await read_session("old-1", principal=Principal("alice"), url=url)
    assert await read_session("old-1", url=url) == []
    run_id = uuid.uuid4().hex
    await execute(
        url,
        f"INSERT INTO agents_core_paused_runs VALUES ('{run_id}', 'old-1', '', 'd', 1.0, 'done')",
    )
    store = open_approval_store(url)
    try:
        stored = await store.load(run_id)
    finally:
        await store.aclose()
    assert stored is not None
    assert (stored.owner, stored.status) == (None, "done")
    # New sessions in the old database are stored with their owner.
    monkeypatch.setenv("SESSION_URL", url)
    from agents_core.config import get_settings

    get_settings.cache_clear()
    await AgentOrchestrator().run("What is 1 + 1?", session_id="new-1", principal=Principal("bob"))
    assert [m.owner for m in await list_sessions(url, principal=Principal("bob"))] == ["bob"]
