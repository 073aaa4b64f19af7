"""Sales tasks over the sample database, called directly (`.fn()`)."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from agents_core.tools.sales_database import connect_read_only
from workflows_core.tasks import (
    build_sales_report_task,
    ensure_sales_database_task,
    fetch_sales_summary_task,
)


def test_sales_report_from_two_summaries(data_dir: Path) -> None:
    database = ensure_sales_database_task.fn()
    assert Path(database) == data_dir / "sales.db"
    with closing(connect_read_only(database)) as conn:
        summaries = [
            fetch_sales_summary_task.fn(conn, "region", "revenue", 2),
            fetch_sales_summary_task.fn(conn, "channel", "revenue", 2),
        ]

    report = build_sales_report_task.fn(summaries)

    assert report["metric"] == "revenue"
    assert report["headlines"][0].startswith("North has the highest revenue by region")
    assert set(report["by"]) == {"region", "channel"}
    assert len(report["by"]["region"]["rows"]) == 2
