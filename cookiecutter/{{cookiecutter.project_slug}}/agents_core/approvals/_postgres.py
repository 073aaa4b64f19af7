"""Paused runs in PostgreSQL: two tables beside the session tables, SQLAlchemy Core on asyncpg."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Column, Float, MetaData, String, Table, Text, delete, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from agents_core.approvals.store import ENDED_STATUSES, StoredRun
from agents_core.utils.tasks import runs_to_end

_KEEP_SECONDS = 86_400
"""Finished or expired pauses are deleted a day after they expire (replays meanwhile get 409)."""

_metadata = MetaData()
_runs = Table(
    "agents_core_paused_runs",
    _metadata,
    Column("run_id", String, primary_key=True),
    Column("session_id", String, nullable=False),
    Column("payload", Text, nullable=False),
    Column("digest", String, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("status", String, nullable=False),
    Column("owner", String, nullable=True),
)
_approvals = Table(
    "agents_core_approvals",
    _metadata,
    Column("approval_id", String, primary_key=True),
    Column("run_id", String, nullable=False, index=True),
    Column("position", Float, nullable=False),
    Column("status", String, nullable=False),
    Column("reason", Text, nullable=True),
)


_created: set[str] = set()
"""URLs whose tables this process has created (or found)."""


class PostgresApprovalStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Any = create_async_engine(url, pool_size=2, max_overflow=2)

    async def _ensure(self) -> None:
        if self.url not in _created:
            async with self.engine.begin() as conn:
                await conn.run_sync(_metadata.create_all)
                # A table created before paused runs had owners gets the column.
                await conn.execute(
                    text(f"ALTER TABLE {_runs.name} ADD COLUMN IF NOT EXISTS owner VARCHAR")
                )
            _created.add(self.url)

    @runs_to_end
    async def save(self, run: StoredRun) -> None:
        await self._ensure()
        old = time.time() - _KEEP_SECONDS
        async with self.engine.begin() as conn:
            stale = select(_runs.c.run_id).where(_runs.c.expires_at < old)
            await conn.execute(delete(_approvals).where(_approvals.c.run_id.in_(stale)))
            await conn.execute(delete(_runs).where(_runs.c.expires_at < old))
            await conn.execute(delete(_runs).where(_runs.c.run_id == run.run_id))
            await conn.execute(
                _runs.insert().values(
                    run_id=run.run_id,
                    session_id=run.session_id,
                    payload=run.payload,
                    digest=run.digest,
                    expires_at=run.expires_at,
                    status=run.status,
                    owner=run.owner,
                )
            )
            if run.approvals:
                ids = list(run.approvals)
                await conn.execute(delete(_approvals).where(_approvals.c.approval_id.in_(ids)))
                await conn.execute(
                    _approvals.insert(),
                    [
                        {
                            "approval_id": aid,
                            "run_id": run.run_id,
                            "position": time.time() + index * 1e-6,
                            "status": status,
                            "reason": reason,
                        }
                        for index, (aid, (status, reason)) in enumerate(run.approvals.items())
                    ],
                )

    @runs_to_end
    async def load(self, run_id: str) -> StoredRun | None:
        await self._ensure()
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(_runs).where(_runs.c.run_id == run_id))).first()
            if row is None:
                return None
            run = StoredRun(
                run_id=row.run_id,
                session_id=row.session_id,
                payload=row.payload,
                digest=row.digest,
                expires_at=row.expires_at,
                status=row.status,
                owner=row.owner,
            )
            query = (
                select(_approvals.c.approval_id, _approvals.c.status, _approvals.c.reason)
                .where(_approvals.c.run_id == run_id)
                .order_by(_approvals.c.position)
            )
            for aid, status, reason in (await conn.execute(query)).all():
                run.approvals[aid] = (status, reason)
            return run

    @runs_to_end
    async def decide(self, run_id: str, approval_id: str, status: str, reason: str | None) -> str:
        await self._ensure()
        async with self.engine.begin() as conn:
            query = (
                select(_approvals.c.status)
                .where(_approvals.c.approval_id == approval_id, _approvals.c.run_id == run_id)
                .with_for_update()
            )
            old = (await conn.execute(query)).scalar_one_or_none()
            if old is None:
                return "unknown"
            if old == "pending":
                await conn.execute(
                    update(_approvals)
                    .where(_approvals.c.approval_id == approval_id)
                    .values(status=status, reason=reason)
                )
            return str(old)

    @runs_to_end
    async def transition(self, run_id: str, old: str, new: str) -> bool:
        await self._ensure()
        values: dict[str, Any] = {"status": new}
        if new in ENDED_STATUSES:
            values["payload"] = ""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(_runs)
                .where(_runs.c.run_id == run_id, _runs.c.status == old)
                .values(**values)
            )
            return bool(result.rowcount == 1)

    @runs_to_end
    async def aclose(self) -> None:
        await self.engine.dispose()
