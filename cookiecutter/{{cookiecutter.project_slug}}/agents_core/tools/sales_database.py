"""Sample data: a small deterministic SQLite sales database, and safe ways to read it.

Safety does not rest on inspecting SQL text. `connect_read_only` opens the file read-only
(``mode=ro``), sets ``PRAGMA query_only`` and installs an authorizer that lets SQLite itself
refuse every action except reading tables and calling functions. The guardrails that look at
text (`agents_core.guardrails.sql_guardrails`) only give earlier, friendlier refusals.
"""

import calendar
import functools
import hashlib
import json
import logging
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, Final, Literal, get_args

from agents_core.config import get_settings

Dimension = Literal["region", "product", "month", "channel"]
Metric = Literal["revenue", "units", "orders"]

SALES_DB_FILENAME: Final = "sales.db"
DATASET_VERSION: Final = 1
"""Stored as ``PRAGMA user_version``; bump it when the generated data change, to rebuild."""
BUILD_MARKER_SUFFIX: Final = ".built"
"""``sales.db.built`` beside the database: the version and checksum of the file the project built.
A database whose checksum differs was changed by someone: it is never rebuilt over."""

logger = logging.getLogger(__name__)
SEED: Final = 42
YEAR: Final = 2025
REGIONS: Final = ("North", "South", "East", "West")
REGION_WEIGHTS: Final = (4, 3, 2, 1)  # uneven on purpose, so that reports have a clear ranking
CHANNELS: Final = ("Online", "Retail", "Partner")
CHANNEL_WEIGHTS: Final = (5, 3, 2)
# product -> (list price, largest quantity of one order)
PRODUCTS: Final[dict[str, tuple[float, int]]] = {
    "Laptop": (1200.0, 5),
    "Monitor": (320.0, 8),
    "Headset": (150.0, 12),
    "Keyboard": (85.0, 20),
    "Mouse": (40.0, 30),
}
DISCOUNTS: Final = (0.0, 0.0, 0.0, 0.05, 0.10)
ORDERS_PER_MONTH: Final = (40, 38, 45, 48, 50, 52, 47, 44, 55, 58, 65, 78)  # busy year end
ROW_COUNT: Final = sum(ORDERS_PER_MONTH)

MAX_ROWS_LIMIT: Final = 1000
MAX_SQL_CHARS: Final = 10_000
MAX_VALUE_BYTES: Final = 1_000_000
MAX_TOP_N: Final = 50
DEFAULT_QUERY_TIMEOUT_SECONDS: Final = 5.0

_CREATE_TABLE = """
CREATE TABLE sales (
    id INTEGER PRIMARY KEY,
    order_date TEXT NOT NULL,
    region TEXT NOT NULL,
    product TEXT NOT NULL,
    channel TEXT NOT NULL,
    units INTEGER NOT NULL CHECK (units > 0),
    unit_price REAL NOT NULL CHECK (unit_price > 0),
    revenue REAL NOT NULL
)
"""

# Whitelisted SQL fragments: `sales_summary` only ever concatenates these constants.
_DIMENSION_SQL: Final[dict[str, str]] = {
    "region": "region",
    "product": "product",
    "channel": "channel",
    "month": "substr(order_date, 1, 7)",
}
_METRIC_SQL: Final[dict[str, str]] = {
    "revenue": "ROUND(SUM(revenue), 2)",
    "units": "SUM(units)",
    "orders": "COUNT(*)",
}

SalesRow = tuple[int, str, str, str, str, int, float, float]


def generate_sales_rows(seed: int = SEED) -> list[SalesRow]:
    """The data set: one row per order of `YEAR`, identical for the same seed.

    Args:
        seed: Seed of `random.Random`; the default gives the documented data set.

    Returns:
        Rows (id, order_date, region, product, channel, units, unit_price, revenue) by date.
    """
    rng = random.Random(seed)
    products = list(PRODUCTS)
    drafts: list[tuple[str, str, str, str, int, float, float]] = []
    for month, orders in enumerate(ORDERS_PER_MONTH, start=1):
        days_in_month = calendar.monthrange(YEAR, month)[1]
        for _ in range(orders):
            day = rng.randint(1, days_in_month)
            region = rng.choices(REGIONS, weights=REGION_WEIGHTS)[0]
            product = rng.choice(products)
            channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
            list_price, max_units = PRODUCTS[product]
            units = rng.randint(1, max_units)
            unit_price = round(list_price * (1 - rng.choice(DISCOUNTS)), 2)
            revenue = round(units * unit_price, 2)
            order_date = f"{YEAR:04d}-{month:02d}-{day:02d}"
            drafts.append((order_date, region, product, channel, units, unit_price, revenue))
    # sorted() is stable: orders of the same day keep their generation order.
    drafts.sort(key=lambda draft: draft[0])
    return [(index, *draft) for index, draft in enumerate(drafts, start=1)]


@functools.cache
def _rows_to_insert(seed: int) -> tuple[SalesRow, ...]:
    # Generated once per process: every fresh DATA_DIR (each test's) builds its own database.
    return tuple(generate_sales_rows(seed))


def default_sales_db_path() -> Path:
    """``<DATA_DIR>/sales.db``, with the settings read now."""
    return get_settings().data_dir / SALES_DB_FILENAME


def build_sales_database(path: Path, seed: int = SEED) -> None:
    """Write the data set into a new SQLite file at `path` (which must not exist)."""
    with closing(sqlite3.connect(path)) as conn:
        with conn:  # one transaction: commit on success, roll back on error
            conn.execute(_CREATE_TABLE)
            conn.executemany(
                "INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _rows_to_insert(seed)
            )
        # PRAGMA does not take parameters; DATASET_VERSION is an int constant.
        conn.execute(f"PRAGMA user_version = {int(DATASET_VERSION)}")


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _marker(path: Path) -> Path:
    return path.with_name(path.name + BUILD_MARKER_SUFFIX)


def _needs_build(path: Path) -> bool:
    """Missing, or built by the project, unchanged since, and of an older DATASET_VERSION."""
    if not path.exists():
        return True
    try:
        built = json.loads(_marker(path).read_text(encoding="utf-8"))
        ours = built["sha256"] == _checksum(path)
        version = built["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no (readable) marker: not built by the project, so not ours to replace
    if not ours:
        logger.info("%s was changed since the project built it: kept as it is", path.name)
        return False
    return bool(version != DATASET_VERSION)


def ensure_sales_database(path: Path | None = None) -> Path:
    """Create the sales database when missing or outdated; return its path.

    A database the project did not build, or changed since (its checksum differs from the one
    in ``sales.db.built``), is never replaced. The file is built under a temporary name and
    renamed into place, so a reader never sees a half-written database, even with several
    processes starting at once.

    Args:
        path: Where the database lives; None means ``<DATA_DIR>/sales.db``.
    """
    target = Path(path) if path is not None else default_sales_db_path()
    if not _needs_build(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        build_sales_database(temporary)
        marker = {"version": DATASET_VERSION, "sha256": _checksum(temporary)}
        os.replace(temporary, target)
        _marker(target).write_text(json.dumps(marker) + "\n", encoding="utf-8")
    finally:
        temporary.unlink(missing_ok=True)
    return target


_FIRST_DATE: Final = f"{YEAR:04d}-01-01"
_LAST_DATE: Final = f"{YEAR:04d}-12-31"


def schema_text() -> str:
    """A description of the sales table for the instructions of agents that write SQL."""
    return "\n".join(
        [
            f"SQLite table `sales`: one row per order, {ROW_COUNT} orders placed in {YEAR}, "
            f"from {_FIRST_DATE} to {_LAST_DATE} (the data's last date: 'last month' or 'last "
            "quarter' means the last one in the data).",
            "Columns:",
            "- id INTEGER PRIMARY KEY: order number, 1 to " + str(ROW_COUNT),
            f"- order_date TEXT: ISO date 'YYYY-MM-DD', e.g. '{YEAR}-03-14'; "
            "month: substr(order_date, 1, 7) gives 'YYYY-MM'",
            "- region TEXT: one of " + _quoted(REGIONS),
            "- product TEXT: one of " + _quoted(PRODUCTS),
            "- channel TEXT: one of " + _quoted(CHANNELS),
            "- units INTEGER: units sold in the order, e.g. 3",
            "- unit_price REAL: price of one unit after discount, in dollars, e.g. 1140.0",
            "- revenue REAL: units * unit_price, in dollars, e.g. 3420.0",
            "An order count is COUNT(*). Only read-only SELECT statements are allowed.",
        ]
    )


def _quoted(values: Any) -> str:
    return ", ".join(f"'{value}'" for value in values)


_ALLOWED_ACTIONS: Final = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}
)


def read_only_authorizer(
    action: int, arg1: str | None, arg2: str | None, db_name: str | None, source: str | None
) -> int:
    """SQLite authorizer: allow reading tables and calling functions, deny everything else.

    SQLite asks it while compiling each statement, so writes, schema changes, ATTACH,
    PRAGMA and transactions fail with "not authorized" whatever the SQL text looks like.
    """
    return sqlite3.SQLITE_OK if action in _ALLOWED_ACTIONS else sqlite3.SQLITE_DENY


def connect_read_only(path: Path | str) -> sqlite3.Connection:
    """Open an existing SQLite file so that no statement can change anything.

    Three independent layers: the file is opened with ``mode=ro``, ``PRAGMA query_only`` is
    on, and `read_only_authorizer` denies every action except reads. Limits also cap the SQL
    length and the size of one value, and forbid ATTACH.

    Raises:
        FileNotFoundError: There is no file at `path` (``mode=ro`` never creates one).
    """
    file = Path(path).resolve()
    if not file.is_file():
        raise FileNotFoundError(f"No database at {file}; call ensure_sales_database() first.")
    # as_uri() percent-encodes the path, so '?' or '#' in a directory name stay part of it.
    conn = sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA query_only = ON")  # before the authorizer, which denies PRAGMA
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_CHARS)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.set_authorizer(read_only_authorizer)
    except BaseException:
        conn.close()
        raise
    return conn


def sales_summary(
    conn: sqlite3.Connection, dimension: Dimension, metric: Metric = "revenue", top_n: int = 5
) -> dict[str, Any]:
    """Total `metric` per value of `dimension`, highest first.

    The SQL is assembled only from the whitelisted fragments of `_DIMENSION_SQL` and
    `_METRIC_SQL`; `top_n` is a bound parameter. No caller text reaches the SQL.

    Args:
        conn: Connection to the sales database (read-only is fine).
        dimension: region, product, month ('YYYY-MM') or channel.
        metric: revenue (dollars), units, or orders (count of rows).
        top_n: How many groups to return, 1 to `MAX_TOP_N`.

    Returns:
        summary (one sentence on the top group), dimension, metric,
        rows [{<dimension>: label, <metric>: value, "share_pct": %}],
        total (over all groups), groups (number of groups), top_n and truncated.

    Raises:
        ValueError: Unknown dimension or metric, or top_n out of range.
    """
    if dimension not in _DIMENSION_SQL:
        raise ValueError(
            f"Unknown dimension {dimension!r}; choose one of {', '.join(get_args(Dimension))}."
        )
    if metric not in _METRIC_SQL:
        raise ValueError(f"Unknown metric {metric!r}; choose one of {', '.join(get_args(Metric))}.")
    if isinstance(top_n, bool) or not isinstance(top_n, int) or not 1 <= top_n <= MAX_TOP_N:
        raise ValueError(f"top_n must be a whole number from 1 to {MAX_TOP_N}, got {top_n!r}.")
    group_sql = _DIMENSION_SQL[dimension]
    value_sql = _METRIC_SQL[metric]
    rows = conn.execute(
        f"SELECT {group_sql} AS label, {value_sql} AS value FROM sales "
        "GROUP BY label ORDER BY value DESC, label ASC LIMIT ?",
        (top_n,),
    ).fetchall()
    total, groups = conn.execute(
        f"SELECT {value_sql}, COUNT(DISTINCT {group_sql}) FROM sales"
    ).fetchone()
    summary = "No sales recorded."
    if rows:
        label, value = rows[0]
        amount = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
        share = round(100 * value / total, 1) if total else 0.0
        summary = (
            f"{label} has the highest {metric} by {dimension}: {amount} ({share}% of the total)."
        )
    return {
        "summary": summary,
        "dimension": dimension,
        "metric": metric,
        "rows": [
            {
                dimension: label,
                metric: value,
                "share_pct": round(100 * value / total, 1) if total else 0.0,
            }
            for label, value in rows
        ],
        "total": total if total is not None else 0,
        "groups": groups,
        "top_n": top_n,
        "truncated": groups > len(rows),
    }


def run_read_only_query(
    conn: sqlite3.Connection,
    sql: str,
    max_rows: int = 100,
    timeout_seconds: float = DEFAULT_QUERY_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """Run one SELECT statement and return at most `max_rows` rows, or an error to show.

    Use a connection from `connect_read_only`: it is what refuses writes. The checks here only
    turn failures into messages a model can act on.

    Args:
        conn: Connection from `connect_read_only`.
        sql: One SQL statement (a trailing semicolon is fine).
        max_rows: Most rows returned, 1 to `MAX_ROWS_LIMIT`; more set ``truncated``.
        timeout_seconds: The statement is interrupted after this long (e.g. a cross join).

    Returns:
        {"columns", "rows", "row_count", "truncated"} or {"error": message}.
    """
    if not 1 <= max_rows <= MAX_ROWS_LIMIT:
        raise ValueError(f"max_rows must be from 1 to {MAX_ROWS_LIMIT}, got {max_rows}.")
    text = sql.strip()
    if not text:
        return {"error": "The query is empty. Send one SQL SELECT statement."}
    if len(text) > MAX_SQL_CHARS:
        return {"error": f"The query is longer than {MAX_SQL_CHARS} characters."}
    first_word = next(_words(text), "")
    if first_word not in ("select", "with"):
        return {
            "error": f"Only read-only SELECT statements are allowed (this one starts with "
            f"{first_word.upper() or 'nothing'}). The database cannot be changed."
        }
    deadline = time.monotonic() + timeout_seconds
    # SQLite calls the handler every 10,000 virtual machine steps; non-zero aborts the query.
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        with closing(conn.execute(text)) as cursor:
            fetched = cursor.fetchmany(max_rows + 1)
            columns = [column[0] for column in cursor.description or ()]
    except sqlite3.ProgrammingError as exc:
        if "one statement" in str(exc):
            return {"error": "Only one SQL statement can run at a time; send a single SELECT."}
        return {"error": f"The query could not run: {exc}."}
    except sqlite3.DatabaseError as exc:
        return {"error": _explain_database_error(exc, timeout_seconds)}
    finally:
        conn.set_progress_handler(None, 0)
    truncated = len(fetched) > max_rows
    rows = [[_json_value(value) for value in row] for row in fetched[:max_rows]]
    return {"columns": columns, "rows": rows, "row_count": len(rows), "truncated": truncated}


def _explain_database_error(exc: sqlite3.DatabaseError, timeout_seconds: float) -> str:
    message = str(exc)
    if "authoriz" in message or "readonly" in message:  # VACUUM: "authorization denied"
        return (
            "Refused: the statement would change the database or use a feature that is not "
            "allowed. Only read-only SELECT queries on the sales table can run."
        )
    if "interrupted" in message:
        return (
            f"The query ran longer than {timeout_seconds:g} seconds and was stopped. "
            "Aggregate or filter more (GROUP BY, WHERE, LIMIT)."
        )
    return f"The query failed: {message}. Check table and column names against the schema."


def _words(sql: str) -> Iterator[str]:
    """Lower-cased words of `sql` outside comments (enough to find the first keyword)."""
    index = 0
    while index < len(sql):
        char = sql[index]
        if sql.startswith("--", index):
            end = sql.find("\n", index)
            index = len(sql) if end < 0 else end + 1
        elif sql.startswith("/*", index):
            end = sql.find("*/", index + 2)
            index = len(sql) if end < 0 else end + 2
        elif char.isalpha() or char == "_":
            start = index
            while index < len(sql) and (sql[index].isalnum() or sql[index] == "_"):
                index += 1
            yield sql[start:index].lower()
        else:
            index += 1


def _json_value(value: Any) -> Any:
    """SQLite values as JSON-friendly values (a BLOB becomes hex text)."""
    return value.hex() if isinstance(value, bytes) else value
