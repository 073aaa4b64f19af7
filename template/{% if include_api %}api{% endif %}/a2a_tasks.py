"""Where the A2A door keeps its tasks: beside the sessions, so any API process can answer them.

The a2a-sdk's `DatabaseTaskStore` (SQLAlchemy, async) on the session backend's database:

| SESSION_URL             | A2A tasks                                                        |
|-------------------------|------------------------------------------------------------------|
| `sqlite:///dir/x.db`    | table `a2a_tasks` in `dir/a2a_tasks.db`, beside it (aiosqlite)   |
| `postgresql://...`      | table `a2a_tasks` in the same database (asyncpg)                 |
| `sqlite:///:memory:`    | this process's memory (`InMemoryTaskStore`): nothing to share    |
| `redis://...`           | this process's memory: the SDK has no Redis task store           |
| (`A2A_TASK_STORE=memory`) | this process's memory, whatever the sessions                   |

SQLite: a file of its own (WAL, `synchronous=NORMAL`), so the sessions' turn locks and the
tasks' writes never wait on each other. PostgreSQL: the same database, a small pool. While a
task runs, its process keeps it in memory (`RunningInMemory`): two writes per task. The cost
remains: measured, 0.6 to 0.7 of the in-memory store's requests/s on the offline model
(`bench/a2a_door.py`); a single API process may take `A2A_TASK_STORE=memory`.

A follow-up (`tasks/get`, the answer to an `input-required` task, `tasks/cancel`) may then reach
another process than the one that ran the task, as REST approvals already could. Each row keeps
its owner (the principal): the store reads and lists only the caller's tasks, so another
principal's task id is `TaskNotFoundError`.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from a2a.server.context import ServerCallContext
from a2a.server.models import create_task_model
from a2a.server.tasks import InMemoryTaskStore, TaskStore
from a2a.server.tasks.database_task_store import DatabaseTaskStore
from a2a.types.a2a_pb2 import ListTasksRequest, ListTasksResponse, Task, TaskState
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from agents_core.session.backends import asyncpg_url, require_backend, sqlite_path

A2A_TASKS_TABLE = "a2a_tasks"
A2A_TASKS_FILE = "a2a_tasks.db"
"""The SQLite file of the tasks, in the sessions file's directory."""


@dataclass
class A2ATaskStore:
    """The store, where it lives (for logs and docs), and its engine to dispose at shutdown."""

    store: TaskStore
    where: str
    engine: Any = None

    async def aclose(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()


def open_a2a_task_store(session_url: str, kind: str = "shared") -> A2ATaskStore:
    """The A2A task store on the database `session_url` names (memory where none is shared,
    or when `kind` (A2A_TASK_STORE) is "memory")."""
    scheme = require_backend(session_url)
    if kind == "memory":
        return A2ATaskStore(InMemoryTaskStore(), "memory")
    if scheme == "sqlite":
        path = sqlite_path(session_url)
        if path == ":memory:":
            return A2ATaskStore(InMemoryTaskStore(), "memory")
        file = Path(path).parent / A2A_TASKS_FILE
        file.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            f"sqlite+aiosqlite:///{file}",
            connect_args={"timeout": 30},  # seconds to wait on another process's write
            pool_size=4,  # writers queue on the file's lock (WAL), readers do not
            max_overflow=0,
        )
        event.listen(engine.sync_engine, "connect", _wal)
        return _database(engine, str(file))
    if scheme in ("redis", "rediss"):
        return A2ATaskStore(InMemoryTaskStore(), "memory")
    engine = create_async_engine(asyncpg_url(session_url), pool_size=2, max_overflow=4)
    return _database(engine, "postgresql")


def _wal(connection: Any, _record: Any) -> None:
    """Readers of other processes do not wait on a write."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # No fsync at each commit (WAL stays consistent; a power cut may lose the last ones).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class OnceInitializedStore(DatabaseTaskStore):
    """The SDK's store, creating its table once: the SDK's own check is not guarded, so
    concurrent first requests (or two processes starting) raced to `CREATE TABLE`."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._initializing = asyncio.Lock()

    async def initialize(self) -> None:
        async with self._initializing:
            if self._initialized:
                return
            try:
                await super().initialize()
            except DBAPIError:  # another process created it between the check and CREATE
                await super().initialize()


class RunningInMemory(TaskStore):
    """The database for every state a follow-up may ask about; memory while the task runs.

    The SDK saves a task at each of its events (submitted, working, the answer, the end) and
    reads it back in between: a database round trip each, and a streaming client waits for
    them. Here the states another process may be asked about are written through (`submitted`,
    so the task exists everywhere at once; `input-required` and the other interrupted states;
    the final ones, with their artifacts); in between, the process running the task keeps its
    updates in memory and answers its own reads from there (another process reads `submitted`
    meanwhile). Two writes per task instead of four, no reads while it runs.
    """

    def __init__(self, database: TaskStore) -> None:
        self.database = database
        self.memory = InMemoryTaskStore()
        self._running: set[str] = set()

    async def save(self, task: Task, context: ServerCallContext) -> None:
        state = task.status.state
        if state == TaskState.TASK_STATE_WORKING and task.id in self._running:
            await self.memory.save(task, context)
            return
        await self.database.save(task, context)
        if state in _RUNNING_STATES:
            self._running.add(task.id)
            await self.memory.save(task, context)
        elif task.id in self._running:  # paused or ended: later reads go to the database
            self._running.discard(task.id)
            await self.memory.delete(task.id, context)

    async def get(self, task_id: str, context: ServerCallContext) -> Task | None:
        if task_id in self._running:
            task = await self.memory.get(task_id, context)  # None for another principal
            if task is not None:
                return task
        return await self.database.get(task_id, context)

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        return await self.database.list(params, context)

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        if task_id in self._running:
            self._running.discard(task_id)
            await self.memory.delete(task_id, context)
        await self.database.delete(task_id, context)


_RUNNING_STATES = frozenset({TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING})


def _database(engine: AsyncEngine, where: str) -> A2ATaskStore:
    store = OnceInitializedStore(engine)  # table_name= would declare a model class per store
    store.task_model = _task_model()
    return A2ATaskStore(RunningInMemory(store), f"{A2A_TASKS_TABLE} in {where}", engine)


@functools.cache
def _task_model() -> Any:
    """The SDK's task model on our table, declared once per process on a declarative base of
    its own (on the SDK's base it would clash with the SDK's own `TaskModel` class name)."""

    class A2ATasksBase(DeclarativeBase):
        pass

    return create_task_model(A2A_TASKS_TABLE, A2ATasksBase)
