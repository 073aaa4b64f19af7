"""The tables agents_core adds to a SQLite session database (next to the SDK's own)."""

from __future__ import annotations

import sqlite3

META_TABLE = "agents_core_sessions"
LOCK_TABLE = "agents_core_session_turns"


def create_tables(conn: sqlite3.Connection) -> None:
    """Create the metadata and turn-lock tables if missing (the caller commits)."""
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {META_TABLE} (session_id TEXT PRIMARY KEY, "
        "created_at REAL NOT NULL, updated_at REAL NOT NULL, title TEXT, user_id TEXT, owner TEXT)"
    )
    columns = {row[1] for row in conn.execute(f"PRAGMA table_info({META_TABLE})")}
    if "owner" not in columns:  # a database written before sessions had owners
        conn.execute(f"ALTER TABLE {META_TABLE} ADD COLUMN owner TEXT")
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS idx_{META_TABLE}_owner ON {META_TABLE} (owner, updated_at)"
    )
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS idx_{META_TABLE}_user ON {META_TABLE} (user_id, updated_at)"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {LOCK_TABLE} (ticket INTEGER PRIMARY KEY "
        "AUTOINCREMENT, session_id TEXT NOT NULL, owner TEXT NOT NULL, "
        "expires_at REAL NOT NULL)"
    )
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS idx_{LOCK_TABLE}_session ON {LOCK_TABLE} (session_id, ticket)"
    )
