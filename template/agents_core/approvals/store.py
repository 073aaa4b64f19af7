"""Where paused runs and their approvals are kept: the session store's backend (SESSION_URL).

A paused run is one record (its id, its owner, its session, the JSON payload the orchestrator
needs to finish it, a SHA-256 digest of that payload, its expiry and a status) plus one row per
approval. Each decision is a compare-and-set from `pending`, so of two concurrent decisions
on one approval exactly one wins; resuming is a compare-and-set of the run from `paused` to
`resuming`, so one process resumes it. SQLite keeps them in the session database file, Redis
under `agents_core:approvals:*`, PostgreSQL in two tables beside the session tables.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from agents_core.config import get_settings
from agents_core.session.backends import require_backend

RUN_STATUSES = ("paused", "resuming", "done", "expired", "cancelled")
ENDED_STATUSES = ("done", "expired", "cancelled")
"""Statuses of a run that has ended: its payload is cleared (nothing can resume it)."""
APPROVAL_STATUSES = ("pending", "approved", "rejected", "expired")


def digest(payload: str) -> str:
    """The payload's SHA-256 (hex): a record whose payload no longer matches it is refused."""
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class StoredRun:
    """A paused run as stored."""

    run_id: str
    session_id: str
    payload: str
    digest: str
    expires_at: float
    status: str = "paused"
    approvals: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """approval id -> (status, rejection reason)."""
    owner: str | None = None
    """Id of the principal whose run paused (None: stored before owners, `local`'s)."""


class ApprovalStore(Protocol):
    """Storage of paused runs; every method is one atomic operation of the backend."""

    async def save(self, run: StoredRun) -> None:
        """Store a newly paused run (replacing an earlier pause of the same run id)."""

    async def load(self, run_id: str) -> StoredRun | None: ...

    async def decide(self, run_id: str, approval_id: str, status: str, reason: str | None) -> str:
        """Set a pending approval's status; returns the status it had before (`pending`: won),
        or `unknown` when the run has no such approval."""

    async def transition(self, run_id: str, old: str, new: str) -> bool:
        """Set the run's status to `new` if it is `old`; True when it did."""

    async def aclose(self) -> None: ...


def open_approval_store(url: str | None = None) -> ApprovalStore:
    """The approval store on the session backend at `url` (SESSION_URL by default)."""
    url = url or get_settings().resolved_session_url
    scheme = require_backend(url)
    if scheme == "sqlite":
        from agents_core.approvals._sqlite import SQLiteApprovalStore
        from agents_core.session.backends import sqlite_path

        path = sqlite_path(url)
        if path != ":memory:":  # a fresh data directory (a cancel before any run)
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteApprovalStore(path)
    if scheme in ("redis", "rediss"):
        from agents_core.approvals._redis import RedisApprovalStore

        return RedisApprovalStore(url)
    from agents_core.approvals._postgres import PostgresApprovalStore
    from agents_core.session.backends import asyncpg_url

    return PostgresApprovalStore(asyncpg_url(url))
