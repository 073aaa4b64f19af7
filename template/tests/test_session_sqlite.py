"""The session contract on SQLite (the embedded default), always run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.session_contract import InsertRaw, SessionContract


@pytest.fixture
def session_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'contract.db'}"


@pytest.fixture
def insert_raw(data_dir: Path) -> InsertRaw:
    async def insert(session_id: str, raw: str) -> None:
        with sqlite3.connect(data_dir / "contract.db") as conn:
            conn.execute(
                "INSERT INTO agent_messages (session_id, message_data) VALUES (?, ?)",
                (session_id, raw),
            )
        conn.close()

    return insert


class TestSQLiteSessions(SessionContract):
    """Every contract test on a SQLite file."""
