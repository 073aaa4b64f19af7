"""The sample database is never rebuilt over a user's change."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from agents_core.tools.sales_database import ensure_sales_database


def test_a_database_the_user_changed_is_kept(data_dir: Path) -> None:
    path = ensure_sales_database()
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DELETE FROM sales WHERE region = 'North'")  # the user's own edit

    ensure_sales_database()

    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sales WHERE region = 'North'").fetchone() == (0,)


def test_a_database_the_project_did_not_build_is_kept(data_dir: Path) -> None:
    path = data_dir / "sales.db"
    data_dir.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE sales (id INTEGER)")  # the user's own database

    assert ensure_sales_database() == path

    with closing(sqlite3.connect(path)) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(sales)")]
    assert columns == ["id"]
