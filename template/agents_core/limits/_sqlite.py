"""Usage counters in the session database file (one table beside the SDK's)."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from agents_core.session._sqlite_transactions import SQLiteTransactions

USAGE_TABLE = "agents_core_usage"


class SQLiteUsageStore:
    """Each operation opens a short connection and runs in one `BEGIN IMMEDIATE` transaction."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._database = SQLiteTransactions(path, _create)

    async def add(self, principal_id: str, window: str, amount: int, keep_seconds: int) -> int:
        def work(conn: sqlite3.Connection) -> int:
            now = time.time()
            conn.execute(f"DELETE FROM {USAGE_TABLE} WHERE expires_at < ?", (now,))
            row = conn.execute(
                f"INSERT INTO {USAGE_TABLE} (principal_id, period, amount, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (principal_id, period) "
                "DO UPDATE SET amount = amount + excluded.amount RETURNING amount",
                (principal_id, window, amount, now + keep_seconds),
            ).fetchone()
            return int(row[0])

        return await asyncio.to_thread(self._database.call, work)

    async def read(self, principal_id: str, windows: list[str]) -> list[int]:
        def work(conn: sqlite3.Connection) -> list[int]:
            found = dict(
                conn.execute(
                    f"SELECT period, amount FROM {USAGE_TABLE} WHERE principal_id = ? AND period "
                    f"IN ({', '.join('?' for _ in windows)})",
                    (principal_id, *windows),
                ).fetchall()
            )
            return [int(found.get(window, 0)) for window in windows]

        return await asyncio.to_thread(self._database.call, work)

    async def aclose(self) -> None:
        return None


def _create(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {USAGE_TABLE} (principal_id TEXT NOT NULL, period TEXT NOT "
        "NULL, amount INTEGER NOT NULL, expires_at REAL NOT NULL, "
        "PRIMARY KEY (principal_id, period))"
    )
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS idx_{USAGE_TABLE}_expires ON {USAGE_TABLE} (expires_at)"
    )
