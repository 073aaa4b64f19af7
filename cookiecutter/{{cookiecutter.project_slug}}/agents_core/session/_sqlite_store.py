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

from agents_core.principals import LOCAL_PRINCIPAL_ID
from agents_core.session._lock import ticket_lock
from agents_core.session._sqlite_databases import (
    SQLiteDatabase,
    acquire_database,
    release_database,
)
from agents_core.session._sqlite_tables import LOCK_TABLE, META_TABLE, create_tables
from agents_core.session._store import SessionMetadata, decode_item
from agents_core.utils.tasks import run_to_end

_COLUMNS = "session_id, created_at, updated_at, title, user_id, owner"


class SQLiteStore(SQLiteSession):
    """`SQLiteSession` with the `SessionStore` operations.

    Uses the SDK's private `_locked_connection()`, `_get_connection()` and `_insert_items()`
    (openai-agents is pinned to a minor version) so that `:memory:` databases and the SDK's
    per-file thread lock are shared. A database file is used through one connection per process
    that outlives the store (see `_sqlite_databases`): a store's work needs no connection of its
    own (only the SDK's short schema check at construction), and closing it does not checkpoint
    the WAL.
    """

    def __init__(self, session_id: str, db_path: str) -> None:
        self._database: SQLiteDatabase | None = None
        super().__init__(session_id, db_path=db_path)
        if self._is_memory_db:
            with self._locked_connection() as conn:
                create_tables(conn)
                conn.commit()
        else:
            # One connection per database file and process, kept open across sessions.
            self._database = acquire_database(str(db_path))

    def _get_connection(self) -> sqlite3.Connection:
        if self._database is None:
            return super()._get_connection()
        self._check_not_closed()
        return self._database.connection

    def _invalidate_connection(self, conn: sqlite3.Connection) -> None:
        # A shared connection that could not roll back is closed for every store using it.
        if self._database is not None and conn is self._database.connection:
            self._database.invalidate()
            self._closed = True
            return
        super()._invalidate_connection(conn)

    def close(self) -> None:
        """Close this store; the database's shared connection stays open for the next one."""
        super().close()  # releases the SDK's per-file lock (it holds no connection of its own)
        database, self._database = self._database, None
        if database is not None:
            release_database(database)

    async def _run(self, work: Any) -> Any:
        def call() -> Any:
            with self._write_connection() as conn:
                result = work(conn)
                conn.commit()
                return result

        # To its end even if the caller is cancelled: no thread goes on using the connection
        # after the caller has closed the store.
        return await run_to_end(asyncio.to_thread(call))

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
        sql = f"SELECT {_COLUMNS} FROM {META_TABLE} WHERE session_id = ?"
        row = await self._run(lambda conn: conn.execute(sql, (self.session_id,)).fetchone())
        return SessionMetadata(*row) if row else None

    async def delete_metadata(self) -> None:
        sql = f"DELETE FROM {META_TABLE} WHERE session_id = ?"
        await self._run(lambda conn: conn.execute(sql, (self.session_id,)))

    async def list_metadata(
        self, *, user_id: str | None = None, owner: str | None = None, limit: int = 100
    ) -> list[SessionMetadata]:
        sql = (
            f"SELECT {_COLUMNS} FROM {META_TABLE} WHERE (? IS NULL OR user_id = ?) "
            "AND (? IS NULL OR owner = ? OR (owner IS NULL AND ? = ?)) "
            "ORDER BY updated_at DESC LIMIT ?"
        )
        args = (user_id, user_id, owner, owner, owner, LOCAL_PRINCIPAL_ID, limit)
        rows = await self._run(lambda conn: conn.execute(sql, args).fetchall())
        return [SessionMetadata(*row) for row in rows]

    # -- the turn lock: a ticket queue in the same database file ---------------------------------

    @contextlib.asynccontextmanager
    async def lock(self, wait: float) -> AsyncIterator[None]:
        async with ticket_lock(self, self.session_id, wait):
            yield

    async def take_ticket(self, owner: str, lease: float) -> tuple[int, bool]:
        insert = f"INSERT INTO {LOCK_TABLE} (session_id, owner, expires_at) VALUES (?, ?, ?)"

        def work(conn: sqlite3.Connection) -> tuple[int, bool]:
            # One transaction (one commit): take the ticket and look whether it is first.
            cursor = conn.execute(insert, (self.session_id, owner, time.time() + lease))
            ticket = int(cursor.lastrowid or 0)
            return ticket, self._is_first(conn, ticket, lease)

        taken: tuple[int, bool] = await self._run(work)
        return taken

    async def is_first(self, owner: str, ticket: int, lease: float) -> bool:
        return bool(await self._run(lambda conn: self._is_first(conn, ticket, lease)))

    def _is_first(self, conn: sqlite3.Connection, ticket: int, lease: float) -> bool:
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

    async def refresh_ticket(self, owner: str, ticket: int, lease: float) -> None:
        sql = f"UPDATE {LOCK_TABLE} SET expires_at = ? WHERE ticket = ?"
        await self._run(lambda conn: conn.execute(sql, (time.time() + lease, ticket)))

    async def drop_ticket(self, owner: str, ticket: int) -> None:
        sql = f"DELETE FROM {LOCK_TABLE} WHERE ticket = ?"
        await self._run(lambda conn: conn.execute(sql, (ticket,)))

    async def aclose(self) -> None:
        self.close()


def _upsert_metadata(conn: sqlite3.Connection, metadata: SessionMetadata) -> None:
    """Insert or update a session's metadata row (created_at and owner kept from the first save)."""
    conn.execute(
        f"INSERT INTO {META_TABLE} ({_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET "
        "updated_at = excluded.updated_at, "
        f"title = COALESCE(excluded.title, {META_TABLE}.title), "
        f"user_id = COALESCE(excluded.user_id, {META_TABLE}.user_id), "
        # The first owner stays: a session is never handed to another principal.
        f"owner = COALESCE({META_TABLE}.owner, excluded.owner)",
        (
            metadata.session_id,
            metadata.created_at,
            metadata.updated_at,
            metadata.title,
            metadata.user_id,
            metadata.owner,
        ),
    )
