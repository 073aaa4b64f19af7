"""The SDK's SQLiteSession plus trimming, replacement and metadata in the same database file."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from typing import Any

from agents.items import TResponseInputItem
from agents.memory import SQLiteSession
from agents.memory.session import _await_mutation

from agents_core.session._lock import ticket_lock
from agents_core.session._store import SessionMetadata, decode_item

META_TABLE = "agents_core_sessions"
LOCK_TABLE = "agents_core_session_turns"


class SQLiteStore(SQLiteSession):
    """`SQLiteSession` with the `SessionStore` operations.

    Uses the SDK's private `_locked_connection()` and `_insert_items()` (openai-agents is pinned
    to a minor version) so that `:memory:` databases and the SDK's thread locks are shared.
    """

    def __init__(self, session_id: str, db_path: str) -> None:
        super().__init__(session_id, db_path=db_path)
        with self._locked_connection() as conn:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {META_TABLE} (session_id TEXT PRIMARY KEY, "
                "created_at REAL NOT NULL, updated_at REAL NOT NULL, title TEXT, user_id TEXT)"
            )
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS idx_{META_TABLE}_user "
                f"ON {META_TABLE} (user_id, updated_at)"
            )
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {LOCK_TABLE} (ticket INTEGER PRIMARY KEY "
                "AUTOINCREMENT, session_id TEXT NOT NULL, owner TEXT NOT NULL, "
                "expires_at REAL NOT NULL)"
            )
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS idx_{LOCK_TABLE}_session "
                f"ON {LOCK_TABLE} (session_id, ticket)"
            )
            conn.commit()

    async def _run(self, work: Any) -> Any:
        def call() -> Any:
            with self._write_connection() as conn:
                result = work(conn)
                conn.commit()
                return result

        return await asyncio.to_thread(call)

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        # Same query as the SDK, but an undecodable row is logged, not skipped silently.
        table = self.messages_table

        def read(conn: sqlite3.Connection) -> list[Any]:
            if limit is None:
                sql = f"SELECT message_data FROM {table} WHERE session_id = ? ORDER BY id"
                return conn.execute(sql, (self.session_id,)).fetchall()
            sql = f"SELECT message_data FROM {table} WHERE session_id = ? ORDER BY id DESC LIMIT ?"
            return conn.execute(sql, (self.session_id, max(limit, 0))).fetchall()[::-1]

        items: list[TResponseInputItem] = []
        for (raw,) in await self._run(read):
            try:
                items.append(decode_item(raw, self.session_id))
            except (ValueError, TypeError):
                continue
        return items

    async def count(self) -> int:
        sql = f"SELECT COUNT(*) FROM {self.messages_table} WHERE session_id = ?"
        rows = await self._run(lambda conn: conn.execute(sql, (self.session_id,)).fetchone())
        return int(rows[0])

    async def trim(self, keep: int) -> None:
        table = self.messages_table
        sql = (
            f"DELETE FROM {table} WHERE session_id = ? AND id <= ("
            f"SELECT id FROM {table} WHERE session_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)"
        )
        await self._run(lambda conn: conn.execute(sql, (self.session_id, self.session_id, keep)))

    async def replace(self, items: list[TResponseInputItem]) -> None:
        sql = f"DELETE FROM {self.messages_table} WHERE session_id = ?"

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(sql, (self.session_id,))
            if items:
                self._insert_items(conn, items)

        await self._run(work)

    async def save_metadata(self, metadata: SessionMetadata) -> None:
        await self._run(lambda conn: _upsert_metadata(conn, metadata))

    async def append(self, items: list[TResponseInputItem], metadata: SessionMetadata) -> int:
        """Items, metadata and the new count in one transaction (one thread hop, one commit)."""
        self._check_not_closed()
        count_sql = f"SELECT COUNT(*) FROM {self.messages_table} WHERE session_id = ?"

        def work(conn: sqlite3.Connection) -> int:
            self._insert_items(conn, items)
            _upsert_metadata(conn, metadata)
            return int(conn.execute(count_sql, (self.session_id,)).fetchone()[0])

        return int(await _await_mutation(self._run(work)))

    async def load_metadata(self) -> SessionMetadata | None:
        sql = (
            "SELECT session_id, created_at, updated_at, title, user_id "
            f"FROM {META_TABLE} WHERE session_id = ?"
        )
        row = await self._run(lambda conn: conn.execute(sql, (self.session_id,)).fetchone())
        return SessionMetadata(*row) if row else None

    async def list_metadata(
        self, *, user_id: str | None = None, limit: int = 100
    ) -> list[SessionMetadata]:
        sql = (
            "SELECT session_id, created_at, updated_at, title, user_id FROM "
            f"{META_TABLE} WHERE (? IS NULL OR user_id = ?) ORDER BY updated_at DESC LIMIT ?"
        )
        rows = await self._run(lambda conn: conn.execute(sql, (user_id, user_id, limit)).fetchall())
        return [SessionMetadata(*row) for row in rows]

    # -- the turn lock: a ticket queue in the same database file ---------------------------------

    @contextlib.asynccontextmanager
    async def lock(self, wait: float) -> AsyncIterator[None]:
        async with ticket_lock(self, self.session_id, wait):
            yield

    async def take_ticket(self, owner: str, lease: float) -> int:
        sql = f"INSERT INTO {LOCK_TABLE} (session_id, owner, expires_at) VALUES (?, ?, ?)"
        values = (self.session_id, owner, time.time() + lease)
        cursor = await self._run(lambda conn: conn.execute(sql, values))
        return int(cursor.lastrowid)

    async def is_first(self, owner: str, ticket: int, lease: float) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            now = time.time()
            conn.execute(
                f"DELETE FROM {LOCK_TABLE} WHERE session_id = ? AND expires_at < ?",
                (self.session_id, now),
            )
            conn.execute(
                f"UPDATE {LOCK_TABLE} SET expires_at = ? WHERE ticket = ?", (now + lease, ticket)
            )
            row = conn.execute(
                f"SELECT MIN(ticket) FROM {LOCK_TABLE} WHERE session_id = ?", (self.session_id,)
            ).fetchone()
            return bool(row[0] == ticket)

        return bool(await self._run(work))

    async def refresh_ticket(self, owner: str, ticket: int, lease: float) -> None:
        sql = f"UPDATE {LOCK_TABLE} SET expires_at = ? WHERE ticket = ?"
        await self._run(lambda conn: conn.execute(sql, (time.time() + lease, ticket)))

    async def drop_ticket(self, owner: str, ticket: int) -> None:
        sql = f"DELETE FROM {LOCK_TABLE} WHERE ticket = ?"
        await self._run(lambda conn: conn.execute(sql, (ticket,)))

    async def aclose(self) -> None:
        self.close()


def _upsert_metadata(conn: sqlite3.Connection, metadata: SessionMetadata) -> None:
    """Insert or update a session's metadata row (created_at is kept from the first save)."""
    conn.execute(
        f"INSERT INTO {META_TABLE} (session_id, created_at, updated_at, title, user_id) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET "
        "updated_at = excluded.updated_at, "
        f"title = COALESCE(excluded.title, {META_TABLE}.title), "
        f"user_id = COALESCE(excluded.user_id, {META_TABLE}.user_id)",
        (
            metadata.session_id,
            metadata.created_at,
            metadata.updated_at,
            metadata.title,
            metadata.user_id,
        ),
    )
