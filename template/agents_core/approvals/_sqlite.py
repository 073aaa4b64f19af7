"""Paused runs in the session database file (two tables beside the SDK's)."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from agents_core.approvals.store import ENDED_STATUSES, StoredRun
from agents_core.session._sqlite_transactions import SQLiteTransactions
from agents_core.utils.tasks import runs_to_end

RUNS_TABLE = "agents_core_paused_runs"
APPROVALS_TABLE = "agents_core_approvals"
_KEEP_SECONDS = 86_400
"""Finished or expired pauses are deleted a day after they expire (replays meanwhile get 409)."""


class SQLiteApprovalStore:
    """Each operation opens a short connection and runs in one `BEGIN IMMEDIATE` transaction."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._database = SQLiteTransactions(path, _create)

    @runs_to_end
    async def save(self, run: StoredRun) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"DELETE FROM {APPROVALS_TABLE} WHERE run_id IN (SELECT run_id FROM {RUNS_TABLE} "
                "WHERE expires_at < ?)",
                (time.time() - _KEEP_SECONDS,),
            )
            conn.execute(
                f"DELETE FROM {RUNS_TABLE} WHERE expires_at < ?", (time.time() - _KEEP_SECONDS,)
            )
            conn.execute(
                f"INSERT OR REPLACE INTO {RUNS_TABLE} (run_id, session_id, payload, digest, "
                "expires_at, status, owner) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.session_id,
                    run.payload,
                    run.digest,
                    run.expires_at,
                    run.status,
                    run.owner,
                ),
            )
            conn.executemany(
                f"INSERT OR REPLACE INTO {APPROVALS_TABLE} (approval_id, run_id, status, reason) "
                "VALUES (?, ?, ?, ?)",
                [(aid, run.run_id, st, reason) for aid, (st, reason) in run.approvals.items()],
            )

        await asyncio.to_thread(self._database.call, work)

    @runs_to_end
    async def load(self, run_id: str) -> StoredRun | None:
        def work(conn: sqlite3.Connection) -> StoredRun | None:
            row = conn.execute(
                "SELECT run_id, session_id, payload, digest, expires_at, status, owner "
                f"FROM {RUNS_TABLE} WHERE run_id = ?",
                (run_id,),
            ).fetchone()
            if row is None:
                return None
            run_id_, session_id, payload, digest, expires_at, status, owner = row
            run = StoredRun(run_id_, session_id, payload, digest, expires_at, status, owner=owner)
            for aid, status, reason in conn.execute(
                f"SELECT approval_id, status, reason FROM {APPROVALS_TABLE} WHERE run_id = ? "
                "ORDER BY rowid",
                (run_id,),
            ):
                run.approvals[aid] = (status, reason)
            return run

        return await asyncio.to_thread(self._database.call, work)

    @runs_to_end
    async def decide(self, run_id: str, approval_id: str, status: str, reason: str | None) -> str:
        def work(conn: sqlite3.Connection) -> str:
            row = conn.execute(
                f"SELECT status FROM {APPROVALS_TABLE} WHERE approval_id = ? AND run_id = ?",
                (approval_id, run_id),
            ).fetchone()
            if row is None:
                return "unknown"
            if row[0] == "pending":
                conn.execute(
                    f"UPDATE {APPROVALS_TABLE} SET status = ?, reason = ? WHERE approval_id = ?",
                    (status, reason, approval_id),
                )
            return str(row[0])

        return await asyncio.to_thread(self._database.call, work)

    @runs_to_end
    async def transition(self, run_id: str, old: str, new: str) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                f"UPDATE {RUNS_TABLE} SET status = ? WHERE run_id = ? AND status = ?",
                (new, run_id, old),
            )
            if cursor.rowcount and new in ENDED_STATUSES:
                conn.execute(f"UPDATE {RUNS_TABLE} SET payload = '' WHERE run_id = ?", (run_id,))
            return cursor.rowcount == 1

        return await asyncio.to_thread(self._database.call, work)

    @runs_to_end
    async def aclose(self) -> None:
        return None


def _create(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} (run_id TEXT PRIMARY KEY, session_id TEXT NOT "
        "NULL, payload TEXT NOT NULL, digest TEXT NOT NULL, expires_at REAL NOT NULL, "
        "status TEXT NOT NULL, owner TEXT)"
    )
    columns = {row[1] for row in conn.execute(f"PRAGMA table_info({RUNS_TABLE})")}
    if "owner" not in columns:  # a database written before paused runs had owners
        conn.execute(f"ALTER TABLE {RUNS_TABLE} ADD COLUMN owner TEXT")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {APPROVALS_TABLE} (approval_id TEXT PRIMARY KEY, "
        "run_id TEXT NOT NULL, status TEXT NOT NULL, reason TEXT)"
    )
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS idx_{APPROVALS_TABLE}_run ON {APPROVALS_TABLE} (run_id)"
    )
