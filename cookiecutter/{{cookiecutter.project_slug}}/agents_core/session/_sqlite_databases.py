"""Open SQLite session databases: one connection per database file and process, reused.

Every `AgentSession` on a SQLite file used to open its own connection and close it at the end
of the run; closing the last connection to a WAL database checkpoints it and deletes the WAL
(several fsyncs, ~2-10 ms a run here). A store now borrows the file's shared connection
from this cache instead (the SDK's per-file lock serializes its use across threads), and the
connection stays open when the store closes.

Bounded: at most `MAX_OPEN_DATABASES` files stay open (3 descriptors each: the database, its
WAL and its shared-memory file); the least recently used idle one is closed first, so a test
suite that gives every test its own data dir does not run out of descriptors. A file that was
deleted or replaced since it was opened is reopened (its old connection would write to the
removed file). Connections are closed at exit, and never used across a fork.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from agents.memory import SQLiteSession

from agents_core.session._sqlite_tables import create_tables

MAX_OPEN_DATABASES = 8
"""Idle database files kept open per process (in use ones are never closed under a store)."""


@dataclass(eq=False)
class SQLiteDatabase:
    """One open database file, shared by the stores on it."""

    path: str
    connection: sqlite3.Connection
    identity: tuple[int, int]
    """(device, inode) of the file when opened."""
    users: int = 0
    stale: bool = False
    """Out of the cache (replaced file, evicted or invalidated): closed when its last user
    releases it."""
    closed: bool = field(default=False, repr=False)

    def invalidate(self) -> None:
        """Close the connection for every user (it could not roll back) and forget it."""
        with _guard:
            _forget(self)
            self._close()

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            self.connection.close()


_guard = threading.Lock()
_open: OrderedDict[str, SQLiteDatabase] = OrderedDict()
_pid = os.getpid()


def acquire_database(path: str) -> SQLiteDatabase:
    """The open database at `path` (opened, tables created, if needed); release it when done."""
    global _pid
    key = os.path.realpath(os.path.expanduser(path))
    with _guard:
        if _pid != os.getpid():  # a forked child: the parent's connections are not ours
            _open.clear()
            _pid = os.getpid()
        database = _open.get(key)
        if database is not None and _identity(key) != database.identity:
            _forget(database)  # the file was deleted or replaced since it was opened
            database = None
        if database is None:
            database = _connect(key)
            _open[key] = database
        _open.move_to_end(key)
        database.users += 1
        _evict_idle()
        return database


def release_database(database: SQLiteDatabase) -> None:
    """A store is done with `database` (it stays open unless it left the cache)."""
    with _guard:
        database.users -= 1
        if database.stale and database.users <= 0:
            database._close()


def close_databases() -> None:
    """Close every idle database now (those in use close when their last store does)."""
    with _guard:
        for database in list(_open.values()):
            _forget(database)


def _connect(key: str) -> SQLiteDatabase:
    connection = sqlite3.connect(key, check_same_thread=False)
    try:
        SQLiteSession._configure_connection(connection)  # WAL, as the SDK's own connections
        create_tables(connection)
        connection.commit()
        identity = _identity(key)
    except BaseException:
        connection.close()
        raise
    assert identity is not None  # just opened (created if missing)
    return SQLiteDatabase(key, connection, identity)


def _identity(key: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(key)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _forget(database: SQLiteDatabase) -> None:
    """Take `database` out of the cache (the guard is held); close it if nobody uses it."""
    if _open.get(database.path) is database:
        del _open[database.path]
    database.stale = True
    if database.users <= 0:
        database._close()


def _evict_idle() -> None:
    idle = [database for database in _open.values() if database.users <= 0]
    for database in idle[: max(0, len(_open) - MAX_OPEN_DATABASES)]:
        _forget(database)


atexit.register(close_databases)
