"""Usage counters in PostgreSQL: one table beside the session tables, SQLAlchemy Core on asyncpg."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import BigInteger, Column, Float, MetaData, String, Table, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import create_async_engine

_metadata = MetaData()
_usage = Table(
    "agents_core_usage",
    _metadata,
    Column("principal_id", String, primary_key=True),
    Column("period", String, primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

_created: set[str] = set()
"""URLs whose table this process has created (or found)."""


class PostgresUsageStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Any = create_async_engine(url, pool_size=1, max_overflow=1)

    async def _ensure(self) -> None:
        if self.url not in _created:
            async with self.engine.begin() as conn:
                await conn.run_sync(_metadata.create_all)
            _created.add(self.url)

    async def add(self, principal_id: str, window: str, amount: int, keep_seconds: int) -> int:
        await self._ensure()
        now = time.time()
        row = insert(_usage).values(
            principal_id=principal_id, period=window, amount=amount, expires_at=now + keep_seconds
        )
        upsert = row.on_conflict_do_update(
            index_elements=[_usage.c.principal_id, _usage.c.period],
            set_={"amount": _usage.c.amount + row.excluded.amount},
        ).returning(_usage.c.amount)
        # Rows another transaction is deleting are skipped: two cleanups never wait on each other.
        expired = (
            select(_usage.c.principal_id, _usage.c.period)
            .where(_usage.c.expires_at < now)
            .limit(500)
            .with_for_update(skip_locked=True)
        )
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(_usage).where(tuple_(_usage.c.principal_id, _usage.c.period).in_(expired))
            )
            value = (await conn.execute(upsert)).scalar_one()
        return int(value)

    async def read(self, principal_id: str, windows: list[str]) -> list[int]:
        await self._ensure()
        query = select(_usage.c.period, _usage.c.amount).where(
            _usage.c.principal_id == principal_id, _usage.c.period.in_(windows)
        )
        async with self.engine.connect() as conn:
            found = {row.period: int(row.amount) for row in (await conn.execute(query)).all()}
        return [found.get(window, 0) for window in windows]

    async def aclose(self) -> None:
        await self.engine.dispose()
