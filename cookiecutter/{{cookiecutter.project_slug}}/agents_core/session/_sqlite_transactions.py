"""Short transactions on a SQLite database file, for the stores beside the session tables.

Each call opens a connection, runs one `BEGIN IMMEDIATE` transaction and closes it; the tables
are created on the first call. `:memory:` is one private database per process (as the SDK's
`SQLiteSession` has), shared by the stores and serialized by a lock.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_memory: sqlite3.Connection | None = None
_memory_lock = threading.Lock()


class SQLiteTransactions:
    """Runs `work(connection)` in one transaction of the database at `path` (in a thread)."""

    def __init__(self, path: str, create: Callable[[sqlite3.Connection], None]) -> None:
        self.path = path
        self._create = create
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        global _memory
        if self.path == ":memory:":
            if _memory is None:
                _memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            return _memory
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work`'s result, committed; rolled back when it raises. Blocking: run it in a thread."""
        in_memory = self.path == ":memory:"
        with _memory_lock if in_memory else contextlib.nullcontext():
            conn = self._connect()
            try:
                if not self._ready:
                    self._create(conn)
                    self._ready = True
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return result
            finally:
                if not in_memory:
                    conn.close()
