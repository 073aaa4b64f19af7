"""The session contract on a real Redis server (AGENTS_TEST_REDIS_URL; started by CI)."""

from __future__ import annotations

import pytest
import redis.asyncio as redis_asyncio

from tests.conftest import server_url
from tests.session_contract import InsertRaw, SessionContract

pytestmark = pytest.mark.server_backend


@pytest.fixture
def session_url() -> str:
    return server_url("redis")


@pytest.fixture
def insert_raw(session_url: str) -> InsertRaw:
    async def insert(session_id: str, raw: str) -> None:
        client = redis_asyncio.from_url(session_url)
        try:
            # The SDK's key layout: <prefix>:<session id>:messages, a list.
            await client.rpush(f"agents:session:{session_id}:messages", raw)
        finally:
            await client.aclose()

    return insert


class TestRedisSessions(SessionContract):
    """Every contract test on Redis."""
