"""Tasks over the sample sales database (`agents_core.tools.sales_database`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from prefect import task
from prefect.cache_policies import NONE as NO_CACHE

from agents_core.tools.sales_database import Dimension, Metric, ensure_sales_database, sales_summary


@task(name="Ensure Sales Database", cache_policy=NO_CACHE, retries=1)
def ensure_sales_database_task() -> str:
    """Create ``<DATA_DIR>/sales.db`` unless an up-to-date one exists; returns its path."""
    return str(ensure_sales_database())


# NO_CACHE: a sqlite3 connection cannot be hashed into a cache key (Prefect would log a HashError).
@task(name="Fetch Sales Summary", cache_policy=NO_CACHE)
def fetch_sales_summary_task(
    conn: sqlite3.Connection, dimension: Dimension, metric: Metric = "revenue", top_n: int = 5
) -> dict[str, Any]:
    """Total `metric` per `dimension`, highest first (`sales_summary` on an open connection)."""
    return sales_summary(conn, dimension, metric, top_n)


@task(name="Build Sales Report")
def build_sales_report_task(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from several summaries: the headline of each, then each one's rows."""
    return {
        "metric": summaries[0]["metric"] if summaries else None,
        "headlines": [summary["summary"] for summary in summaries],
        "by": {summary["dimension"]: summary for summary in summaries},
    }
