"""Usage counters in Redis: one key per (window, principal), `INCRBY` plus an expiry."""

from __future__ import annotations

from typing import Any

PREFIX = "agents_core:usage"


def _key(principal_id: str, window: str) -> str:
    # The window (`m:<digits>` or `d:<date>`, one `:` each) comes first and the principal id
    # last, so no principal id (which may hold `:`) can name another principal's counter.
    return f"{PREFIX}:{window}:{principal_id}"


class RedisUsageStore:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis_asyncio

        self._redis: Any = redis_asyncio.from_url(url)

    async def add(self, principal_id: str, window: str, amount: int, keep_seconds: int) -> int:
        key = _key(principal_id, window)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incrby(key, amount)
            pipe.expire(key, keep_seconds)  # a window's keys are its own: refreshing is harmless
            value, _ = await pipe.execute()
        return int(value)

    async def read(self, principal_id: str, windows: list[str]) -> list[int]:
        values = await self._redis.mget([_key(principal_id, window) for window in windows])
        return [int(value) if value is not None else 0 for value in values]

    async def aclose(self) -> None:
        await self._redis.aclose()
