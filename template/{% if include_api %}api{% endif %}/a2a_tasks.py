"""Where the A2A door keeps its tasks: beside the sessions, so any API process can answer them.

The a2a-sdk's `DatabaseTaskStore` (SQLAlchemy, async) on the session backend's database:

| SESSION_URL             | A2A tasks                                                        |
|-------------------------|------------------------------------------------------------------|
| `sqlite:///path.db`     | table `a2a_tasks` in the same file (aiosqlite)                   |
| `postgresql://...`      | table `a2a_tasks` in the same database (asyncpg)                 |
| `sqlite:///:memory:`    | this process's memory (`InMemoryTaskStore`): nothing to share    |
| `redis://...`           | this process's memory: the SDK has no Redis task store           |

A follow-up (`tasks/get`, the answer to an `input-required` task, `tasks/cancel`) may then reach
another process than the one that ran the task, as REST approvals already could. Each row keeps
its owner (the principal): the store reads and lists only the caller's tasks, so another
principal's task id is `TaskNotFoundError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from a2a.server.tasks import InMemoryTaskStore, TaskStore

from agents_core.session.backends import asyncpg_url, require_backend, sqlite_path

A2A_TASKS_TABLE = "a2a_tasks"


@dataclass
class A2ATaskStore:
    """The store, where it lives (for logs and docs), and its engine to dispose at shutdown."""

    store: TaskStore
    where: str
    engine: Any = None

    async def aclose(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()


def open_a2a_task_store(session_url: str) -> A2ATaskStore:
    """The A2A task store on the database `session_url` names (memory where none is shared)."""
    scheme = require_backend(session_url)
    if scheme == "sqlite":
        path = sqlite_path(session_url)
        if path == ":memory:":
            return A2ATaskStore(InMemoryTaskStore(), "memory")
        # aiosqlite waits on the file's lock like the sessions' sqlite3 connections do.
        return _database(f"sqlite+aiosqlite:///{path}", {"timeout": 30}, f"{path}")
    if scheme in ("redis", "rediss"):
        return A2ATaskStore(InMemoryTaskStore(), "memory")
    return _database(asyncpg_url(session_url), {}, "postgresql")


def _database(url: str, connect_args: dict[str, Any], where: str) -> A2ATaskStore:
    from a2a.server.tasks.database_task_store import DatabaseTaskStore
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, connect_args=connect_args)
    store = DatabaseTaskStore(engine, table_name=A2A_TASKS_TABLE)
    return A2ATaskStore(store, f"{A2A_TASKS_TABLE} in {where}", engine)
