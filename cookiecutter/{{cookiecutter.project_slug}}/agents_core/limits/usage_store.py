"""Where usage is counted: the session store's backend (SESSION_URL), shared by every process.

A counter is one integer per (principal, window): `m:<minute number>` counts runs in a minute
(minutes since the epoch), `d:<YYYY-MM-DD>` counts model tokens in a UTC day. Every change is
one atomic increment of the backend (Redis `INCRBY`, an SQL upsert), so two processes counting
at once never lose a count. SQLite keeps the counters in the session database file, Redis under
`agents_core:usage:*` (with an expiry), PostgreSQL in a table beside the session tables.
Expired windows are deleted as new ones are counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from agents_core.config import get_settings
from agents_core.session.backends import require_backend

MINUTE_KEEP_SECONDS = 120
"""A minute's request counter is kept this long after it starts (then deleted)."""
DAY_KEEP_SECONDS = 2 * 86_400
"""A day's token counter is kept this long after the day starts."""


class UsageStore(Protocol):
    """Counters of one backend; each method is one atomic operation (or one transaction)."""

    async def add(self, principal_id: str, window: str, amount: int, keep_seconds: int) -> int:
        """Add `amount` to the counter of (`principal_id`, `window`); returns its new value."""

    async def read(self, principal_id: str, windows: list[str]) -> list[int]:
        """The counters of `windows` for `principal_id` (0 for a window never counted)."""

    async def aclose(self) -> None: ...


def open_usage_store(url: str | None = None) -> UsageStore:
    """The usage store on the session backend at `url` (SESSION_URL by default)."""
    url = url or get_settings().resolved_session_url
    scheme = require_backend(url)
    if scheme == "sqlite":
        from agents_core.limits._sqlite import SQLiteUsageStore
        from agents_core.session.backends import sqlite_path

        path = sqlite_path(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteUsageStore(path)
    if scheme in ("redis", "rediss"):
        from agents_core.limits._redis import RedisUsageStore

        return RedisUsageStore(url)
    from agents_core.limits._postgres import PostgresUsageStore
    from agents_core.session.backends import asyncpg_url

    return PostgresUsageStore(asyncpg_url(url))
