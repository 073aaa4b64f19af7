"""The SDK's SQLAlchemySession (PostgreSQL through asyncpg) plus trimming and metadata."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator
from typing import Any

from agents.extensions.memory.sqlalchemy_session import SQLAlchemySession
from agents.items import TResponseInputItem
from agents.memory.session import _await_mutation
from sqlalchemy import (
    Column,
    Float,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from agents_core.exceptions import SessionBusyError
from agents_core.principals import LOCAL_PRINCIPAL_ID
from agents_core.session._store import SessionMetadata, decode_item
from agents_core.utils.tasks import run_to_end

META_TABLE = "agents_core_sessions"

_owner_column_added: set[str] = set()
"""Database URLs whose metadata table this process has given the `owner` column."""


class SQLStore(SQLAlchemySession):
    """`SQLAlchemySession` with the `SessionStore` operations, all as SQLAlchemy expressions.

    The metadata table joins the SDK's `MetaData` (private `_metadata`, `_messages`, `_session()`
    and `_lock_session()`; openai-agents is pinned to a minor version), so the SDK's
    `create_tables` creates it too and every change runs in one transaction under the SDK's
    row lock of the session. The turn lock is a session-level advisory lock on a connection of
    its own, so it ends with that connection if the process dies.
    """

    def __init__(self, session_id: str, *, engine: Any) -> None:
        super().__init__(session_id, engine=engine, create_tables=True)
        self._meta = Table(
            META_TABLE,
            self._metadata,
            Column("session_id", String, primary_key=True),
            Column("created_at", Float, nullable=False),
            Column("updated_at", Float, nullable=False, index=True),
            Column("title", String, nullable=True),
            Column("user_id", String, nullable=True, index=True),
            Column("owner", String, nullable=True, index=True),
        )

    @classmethod
    def open(cls, session_id: str, url: str) -> SQLStore:
        # Small pool: one session object serves one conversation.
        engine = create_async_engine(url, pool_size=2, max_overflow=4, pool_pre_ping=False)
        return cls(session_id, engine=engine)

    async def _ensure_tables(self) -> None:
        await super()._ensure_tables()
        url = self.engine.url.render_as_string(hide_password=False)
        if url in _owner_column_added:
            return
        async with self.engine.begin() as conn:
            # A table created before sessions had owners gets the column (found once per process).
            await conn.execute(
                text(f"ALTER TABLE {META_TABLE} ADD COLUMN IF NOT EXISTS owner VARCHAR")
            )
            await conn.execute(
                text(f"CREATE INDEX IF NOT EXISTS ix_{META_TABLE}_owner ON {META_TABLE} (owner)")
            )
        _owner_column_added.add(url)

    async def _deserialize_item(self, item: str) -> TResponseInputItem:
        return decode_item(item, self.session_id)

    async def count(self) -> int:
        await self._ensure_tables()
        messages = self._messages
        async with self._session() as sess:
            query = select(func.count()).where(messages.c.session_id == self.session_id)
            return int((await sess.execute(query)).scalar_one())

    async def trim(self, keep: int) -> None:
        await self._ensure_tables()
        messages = self._messages
        newest_dropped = (
            select(messages.c.id)
            .where(messages.c.session_id == self.session_id)
            .order_by(messages.c.id.desc())
            .limit(1)
            .offset(keep)
            .scalar_subquery()
        )
        async with self._session() as sess, sess.begin():
            if await self._lock_session(sess):
                await sess.execute(
                    delete(messages).where(
                        messages.c.session_id == self.session_id, messages.c.id <= newest_dropped
                    )
                )

    async def replace(self, items: list[TResponseInputItem]) -> None:
        await self._ensure_tables()
        messages = self._messages
        rows = [
            {"session_id": self.session_id, "message_data": await self._serialize_item(item)}
            for item in items
        ]
        async with self._session() as sess, sess.begin():
            await self._lock_session(sess, create=True)
            await sess.execute(delete(messages).where(messages.c.session_id == self.session_id))
            if rows:
                await sess.execute(insert(messages), rows)

    async def save_metadata(self, metadata: SessionMetadata) -> None:
        await self._ensure_tables()
        async with self._session() as sess, sess.begin():
            await sess.execute(self._upsert_metadata(metadata))

    async def append(self, items: list[TResponseInputItem], metadata: SessionMetadata) -> int:
        """Items, metadata and the new count in one transaction (one commit, 2-3 statements)."""
        await self._ensure_tables()
        rows = [await self._serialize_item(item) for item in items]

        async def write() -> int:
            async with self._session() as sess, sess.begin():
                await self._lock_session(sess, create=True)  # as the SDK's add_items
                result = await sess.execute(
                    self._append_statement,
                    {
                        "sid": self.session_id,
                        "items": rows,
                        "created": metadata.created_at,
                        "updated": metadata.updated_at,
                        "title": metadata.title,
                        "user_id": metadata.user_id,
                        "owner": metadata.owner,
                    },
                )
                return int(result.scalar_one())

        return int(await _await_mutation(write()))

    @functools.cached_property
    def _append_statement(self) -> Any:
        """One statement after the SDK's row lock: the SDK's insert and updated_at touch, the
        metadata upsert, and the count of items afterwards (rows keep the list's order)."""
        messages, sessions = self._messages.name, self._sessions.name
        return text(
            f"WITH added AS (INSERT INTO {messages} (session_id, message_data) "
            "SELECT :sid, item FROM unnest(CAST(:items AS text[])) WITH ORDINALITY AS t(item, n) "
            "ORDER BY n RETURNING 1), "
            f"touched AS (UPDATE {sessions} SET updated_at = CURRENT_TIMESTAMP "
            "WHERE session_id = :sid), "
            f"meta AS (INSERT INTO {META_TABLE} (session_id, created_at, updated_at, title, "
            "user_id, owner) VALUES (:sid, :created, :updated, :title, :user_id, :owner) "
            "ON CONFLICT (session_id) DO UPDATE SET updated_at = excluded.updated_at, "
            f"title = COALESCE(excluded.title, {META_TABLE}.title), "
            f"user_id = COALESCE(excluded.user_id, {META_TABLE}.user_id), "
            f"owner = COALESCE({META_TABLE}.owner, excluded.owner)) "
            f"SELECT (SELECT count(*) FROM {messages} WHERE session_id = :sid) "
            "+ (SELECT count(*) FROM added)"
        )

    def _upsert_metadata(self, metadata: SessionMetadata) -> Any:
        meta = self._meta
        statement = pg_insert(meta).values(
            session_id=metadata.session_id,
            created_at=metadata.created_at,
            updated_at=metadata.updated_at,
            title=metadata.title,
            user_id=metadata.user_id,
            owner=metadata.owner,
        )
        return statement.on_conflict_do_update(
            index_elements=[meta.c.session_id],
            set_={
                "updated_at": statement.excluded.updated_at,
                "title": func.coalesce(statement.excluded.title, meta.c.title),
                "user_id": func.coalesce(statement.excluded.user_id, meta.c.user_id),
                "owner": func.coalesce(meta.c.owner, statement.excluded.owner),  # first stays
            },
        )

    async def load_metadata(self) -> SessionMetadata | None:
        found = await self._select_metadata(self._meta.c.session_id == self.session_id, 1)
        return found[0] if found else None

    async def delete_metadata(self) -> None:
        await self._ensure_tables()
        meta = self._meta
        async with self._session() as sess, sess.begin():
            await sess.execute(delete(meta).where(meta.c.session_id == self.session_id))

    async def list_metadata(
        self, *, user_id: str | None = None, owner: str | None = None, limit: int = 100
    ) -> list[SessionMetadata]:
        meta = self._meta
        conditions = []
        if user_id is not None:
            conditions.append(meta.c.user_id == user_id)
        if owner is not None:
            owned = meta.c.owner == owner
            if owner == LOCAL_PRINCIPAL_ID:  # sessions written before owners are local's
                owned = or_(owned, meta.c.owner.is_(None))
            conditions.append(owned)
        return await self._select_metadata(and_(*conditions) if conditions else None, limit)

    async def _select_metadata(self, condition: Any, limit: int) -> list[SessionMetadata]:
        await self._ensure_tables()
        meta = self._meta
        query = select(
            meta.c.session_id,
            meta.c.created_at,
            meta.c.updated_at,
            meta.c.title,
            meta.c.user_id,
            meta.c.owner,
        )
        if condition is not None:
            query = query.where(condition)
        query = query.order_by(meta.c.updated_at.desc()).limit(limit)
        async with self._session() as sess:
            rows = (await sess.execute(query)).all()
        return [SessionMetadata(*row) for row in rows]

    @contextlib.asynccontextmanager
    async def lock(self, wait: float) -> AsyncIterator[None]:
        key = {"key": f"agents_core:turn:{self.session_id}"}
        start = time.monotonic()
        conn = await run_to_end(self.engine.connect().start())
        taking = asyncio.ensure_future(_take_lock(conn, key, wait))
        try:
            await asyncio.shield(taking)
        except asyncio.CancelledError:
            # Cancelled while waiting: the connection is dropped (its server session ends, and
            # with it the wait and any lock), to its end before CancelledError goes on.
            await run_to_end(_drop(conn, taking))
            raise
        except DBAPIError as error:
            await run_to_end(conn.close())
            if _is_lock_timeout(error):
                waited = round(time.monotonic() - start, 3)
                raise SessionBusyError(self.session_id, waited) from None
            raise
        except BaseException:
            await run_to_end(_unlock(conn, key))
            raise
        try:
            yield
        finally:
            await run_to_end(_unlock(conn, key))

    async def aclose(self) -> None:
        await self.engine.dispose()


async def _take_lock(conn: Any, key: dict[str, str], wait: float) -> None:
    async with conn.begin():
        # PostgreSQL queues waiters of one advisory lock in arrival order.
        await conn.execute(
            text("SELECT set_config('lock_timeout', :ms, true)"),
            {"ms": f"{max(1, int(wait * 1000))}ms"},
        )
        await conn.execute(text("SELECT pg_advisory_lock(hashtextextended(:key, 0))"), key)


async def _drop(conn: Any, taking: asyncio.Future[None]) -> None:
    try:
        await conn.invalidate()
    finally:
        await asyncio.gather(taking, return_exceptions=True)
        await conn.close()


async def _unlock(conn: Any, key: dict[str, str]) -> None:
    """Release the advisory lock and give the connection back (or drop it if that fails)."""
    try:
        await conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"), key)
        await conn.commit()
    except BaseException:
        # A connection that may still hold the lock never goes back to the pool.
        await conn.invalidate()
        raise
    finally:
        await conn.close()


def _is_lock_timeout(error: DBAPIError) -> bool:
    cause = error.orig
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code == "55P03" or "lock timeout" in str(cause).lower()
