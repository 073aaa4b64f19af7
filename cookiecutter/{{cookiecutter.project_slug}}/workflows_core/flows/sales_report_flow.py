"""Atomic flow over the sample sales database: fetch -> process -> save, as the spec shows it."""

from __future__ import annotations

from contextlib import closing
from typing import Any, get_args

from prefect import flow

from agents_core.tools.sales_database import Dimension, Metric, connect_read_only
from workflows_core.tasks.dataset_tasks import save_report_task
from workflows_core.tasks.sales_tasks import (
    build_sales_report_task,
    ensure_sales_database_task,
    fetch_sales_summary_task,
)


@flow(name="Sales Report", log_prints=True)
async def sales_report_flow(
    dimensions: list[Dimension] | None = None, metric: Metric = "revenue", top_n: int = 5
) -> dict[str, Any]:
    """Total `metric` by each dimension of the sales database, saved as one JSON report.

    Args:
        dimensions: Any of region, product, month, channel; empty means all four.
        metric: revenue, units or orders.
        top_n: Groups per dimension, highest first.

    Returns:
        ``{"success": True, "report": {"metric", "headlines", "by"}, "path"}``; the report is
        saved as ``<DATA_DIR>/workflows/reports/sales-<metric>.json``.
    """
    chosen: list[Dimension] = list(dimensions or get_args(Dimension))
    database = ensure_sales_database_task()
    # One read-only connection for the fetches: the tasks run in this flow's thread.
    with closing(connect_read_only(database)) as conn:
        summaries = [
            fetch_sales_summary_task(conn, dimension, metric, top_n) for dimension in chosen
        ]
    report = build_sales_report_task(summaries)
    path = save_report_task(f"sales-{metric}", report)
    for headline in report["headlines"]:
        print(headline)
    return {"success": True, "report": report, "path": path}
