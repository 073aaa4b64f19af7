"""Sample tools on the sales database: a fixed report and one read-only SQL query.

Both find the database at ``<DATA_DIR>/sales.db`` (settings read at call time), create it if it
is missing, and run the blocking SQLite work in a worker thread so the event loop stays free.
"""

import asyncio
import sqlite3
from contextlib import closing
from typing import Any

from agents import RunContextWrapper, function_tool

from agents_core.config import get_settings
from agents_core.guardrails.sql_guardrails import sql_read_only_tool_guardrail
from agents_core.models.context import AgentContext
from agents_core.registry import register_tool
from agents_core.tools.sales_database import (
    MAX_TOP_N,
    Dimension,
    Metric,
    connect_read_only,
    ensure_sales_database,
    run_read_only_query,
    sales_summary,
)

SQL_MAX_ROWS = 100
"""Most rows `run_sql_query` returns; the result says when there were more."""


def _report(dimension: Dimension, metric: Metric, top_n: int) -> dict[str, Any]:
    path = ensure_sales_database()
    # A connection belongs to the thread that opened it: open, use and close it here.
    with closing(connect_read_only(path)) as conn:
        return sales_summary(conn, dimension, metric, top_n)


def _query(sql: str) -> dict[str, Any]:
    path = ensure_sales_database()
    with closing(connect_read_only(path)) as conn:
        return run_read_only_query(conn, sql, max_rows=SQL_MAX_ROWS)


def _sql_needs_approval(arguments: dict[str, Any]) -> bool:
    """REQUIRE_SQL_APPROVAL=true: every query waits for a human (read at call time)."""
    return get_settings().require_sql_approval


def _database_error(exc: Exception) -> dict[str, Any]:
    return {"error": f"The sales database could not be opened or read ({exc}). No data."}


@register_tool(
    name="sales_report",
    description=(
        "Total sales revenue, units or orders grouped by region, product, month or channel, "
        "highest first"
    ),
    category="database",
    parameters_description=(
        "dimension: region | product | month | channel; metric: revenue | units | orders "
        f"(default revenue); top_n: groups to return, 1 to {MAX_TOP_N} (default 5)"
    ),
    returns_description=(
        "dict with rows [{<dimension>, <metric>, share_pct}], total, groups, truncated; "
        "or {'error': ...}"
    ),
)
@function_tool
async def sales_report(
    ctx: RunContextWrapper[AgentContext],
    dimension: Dimension,
    metric: Metric = "revenue",
    top_n: int = 5,
) -> dict[str, Any]:
    """Total sales per region, product, month or channel, highest first.

    Args:
        dimension: What to group by: region, product, month (YYYY-MM) or channel.
        metric: What to total: revenue (dollars), units, or orders (number of orders).
        top_n: How many groups to return, highest first.
    """
    try:
        result = await asyncio.to_thread(_report, dimension, metric, top_n)
    except ValueError as exc:
        return {"error": str(exc)}
    except (sqlite3.Error, OSError) as exc:
        return _database_error(exc)
    context = ctx.context
    if isinstance(context, AgentContext):
        arguments = {"dimension": dimension, "metric": metric, "top_n": top_n}
        context.add_query_result({"tool": "sales_report", "arguments": arguments, **result})
        context.add_discovered_item(
            "sales_report", {"dimension": dimension, "metric": metric, "rows": result["rows"]}
        )
    return result


@register_tool(
    name="run_sql_query",
    description="Run one read-only SQL SELECT statement on the sales database",
    category="database",
    parameters_description="sql (str): one SELECT statement on the table `sales`",
    returns_description=(
        f"dict with columns, rows (at most {SQL_MAX_ROWS}), row_count, truncated; "
        "or {'error': ...} for a refused or invalid statement"
    ),
    needs_approval=_sql_needs_approval,
)
@function_tool(tool_input_guardrails=[sql_read_only_tool_guardrail])
async def run_sql_query(ctx: RunContextWrapper[AgentContext], sql: str) -> dict[str, Any]:
    """Run one read-only SQL SELECT statement on the sales database.

    Args:
        sql: One SELECT statement on the table `sales`, e.g.
            SELECT region, SUM(revenue) FROM sales GROUP BY region.
    """
    try:
        result = await asyncio.to_thread(_query, sql)
    except (sqlite3.Error, OSError) as exc:
        return _database_error(exc)
    context = ctx.context
    if "error" not in result and isinstance(context, AgentContext):
        context.add_query_result({"tool": "run_sql_query", "arguments": {"sql": sql}, **result})
    return result
