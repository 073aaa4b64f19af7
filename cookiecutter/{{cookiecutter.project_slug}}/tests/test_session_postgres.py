"""The session contract on a real PostgreSQL server (AGENTS_TEST_POSTGRES_URL; started by CI)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from agents_core.session.backends import asyncpg_url
from tests.conftest import server_url
from tests.session_contract import InsertRaw, SessionContract

pytestmark = pytest.mark.server_backend


@pytest.fixture
def session_url() -> str:
    return server_url("postgres")


@pytest.fixture
def insert_raw(session_url: str) -> InsertRaw:
    async def insert(session_id: str, raw: str) -> None:
        engine = create_async_engine(asyncpg_url(session_url))
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text("INSERT INTO agent_messages (session_id, message_data) VALUES (:s, :m)"),
                    {"s": session_id, "m": raw},
                )
        finally:
            await engine.dispose()

    return insert


class TestPostgresSessions(SessionContract):
    """Every contract test on PostgreSQL."""
