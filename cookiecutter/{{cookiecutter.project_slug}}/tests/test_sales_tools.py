"""The sample sales database: its data, its read-only access, its guardrails and its tools."""

import json
import shutil
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, cast, get_args

import pytest
from agents import Agent, FunctionTool, RunConfig, Runner, ToolCallOutputItem
from agents.testing import ScriptedModel, assistant_message, function_call
from agents.tool_context import ToolContext
from agents.tool_guardrails import ToolInputGuardrailData

from agents_core.guardrails.sql_guardrails import (
    check_sql_query,
    check_sql_read_only,
    sql_read_only_tool_guardrail,
)
from agents_core.models.context import AgentContext
from agents_core.registry import get_guardrail_registry, get_tool_registry
from agents_core.tools.sales import run_sql_query, sales_report
from agents_core.tools.sales_database import (
    CHANNELS,
    DATASET_VERSION,
    PRODUCTS,
    REGIONS,
    ROW_COUNT,
    Dimension,
    Metric,
    connect_read_only,
    ensure_sales_database,
    generate_sales_rows,
    read_only_authorizer,
    run_read_only_query,
    sales_summary,
    schema_text,
)

COLUMNS = ["id", "order_date", "region", "product", "channel", "units", "unit_price", "revenue"]


@pytest.fixture
def sales_db(data_dir: Path) -> Path:
    return ensure_sales_database()


@pytest.fixture
def read_only(sales_db: Path) -> Iterator[sqlite3.Connection]:
    with closing(connect_read_only(sales_db)) as conn:
        yield conn


def plain_rows(path: Path) -> list[tuple[Any, ...]]:
    """Every row, read without any of the code under test."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT * FROM sales ORDER BY id").fetchall()


def assert_intact(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sales").fetchone() == (ROW_COUNT,)
        assert conn.execute("PRAGMA user_version").fetchone() == (DATASET_VERSION,)
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        assert tables == [("sales",)]


# --- the data set -------------------------------------------------------------------------


def test_database_is_created_in_the_data_dir(data_dir: Path) -> None:
    path = ensure_sales_database()

    assert path == data_dir / "sales.db"
    rows = plain_rows(path)
    assert len(rows) == ROW_COUNT == 620
    assert {row[2] for row in rows} == set(REGIONS)
    assert {row[3] for row in rows} == set(PRODUCTS)
    assert {row[4] for row in rows} == set(CHANNELS)
    assert sorted({row[1][:7] for row in rows}) == [f"2025-{month:02d}" for month in range(1, 13)]
    assert all(row[7] == round(row[5] * row[6], 2) for row in rows)


def test_data_set_is_deterministic(sales_db: Path) -> None:
    rows = generate_sales_rows()

    assert rows == generate_sales_rows()
    assert plain_rows(sales_db) == rows
    # Golden values: they change only if the generator changes (then bump DATASET_VERSION).
    assert rows[0] == (1, "2025-01-01", "North", "Monitor", "Retail", 1, 288.0, 288.0)
    assert round(sum(row[7] for row in rows), 2) == 969538.0
    assert sum(row[5] for row in rows) == 5260


def test_ensure_is_idempotent_and_rebuilds_only_its_own_outdated_file(data_dir: Path) -> None:
    path = ensure_sales_database()
    first = path.stat()

    assert ensure_sales_database() == path
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)

    marker = path.with_name(path.name + ".built")
    built = json.loads(marker.read_text(encoding="utf-8"))
    marker.write_text(json.dumps({**built, "version": 0}), encoding="utf-8")  # an older data set
    ensure_sales_database()
    assert path.stat().st_ino != first.st_ino  # rebuilt: the project built it, nobody changed it
    assert_intact(path)
    assert sorted(data_dir.iterdir()) == [path, marker]  # no temporary file left behind


def test_schema_text_names_every_column_and_value(read_only: sqlite3.Connection) -> None:
    text = schema_text()

    columns = [row[0] for row in read_only.execute("SELECT * FROM sales LIMIT 1").description]
    assert columns == COLUMNS
    for word in [*columns, *REGIONS, *PRODUCTS, *CHANNELS, str(ROW_COUNT)]:
        assert word in text


# --- sales_summary ------------------------------------------------------------------------


def independent_summary(path: Path, dimension: str, metric: str) -> list[tuple[str, float]]:
    """The same report computed in Python from the raw rows, highest first."""
    totals: dict[str, float] = defaultdict(float)
    for _, order_date, region, product, channel, units, _, revenue in plain_rows(path):
        label = {"region": region, "product": product, "channel": channel}.get(
            dimension, order_date[:7]
        )
        totals[label] += {"revenue": revenue, "units": units, "orders": 1}[metric]
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


@pytest.mark.parametrize("metric", get_args(Metric))
@pytest.mark.parametrize("dimension", get_args(Dimension))
def test_sales_summary_matches_an_independent_computation(
    sales_db: Path, read_only: sqlite3.Connection, dimension: Dimension, metric: Metric
) -> None:
    expected = independent_summary(sales_db, dimension, metric)

    report = sales_summary(read_only, dimension, metric, top_n=3)

    assert [row[dimension] for row in report["rows"]] == [label for label, _ in expected[:3]]
    assert [row[metric] for row in report["rows"]] == pytest.approx(
        [value for _, value in expected[:3]], abs=0.01
    )
    assert report["total"] == pytest.approx(sum(value for _, value in expected), abs=0.01)
    assert report["groups"] == len(expected)
    assert report["truncated"] == (len(expected) > 3)
    top_share = 100 * expected[0][1] / sum(value for _, value in expected)
    assert report["rows"][0]["share_pct"] == pytest.approx(top_share, abs=0.05)


@pytest.mark.parametrize(
    ("dimension", "metric", "top_n", "message"),
    [
        ("region; DROP TABLE sales", "revenue", 5, "Unknown dimension"),
        ("region", "revenue) FROM sales --", 5, "Unknown metric"),
        ("region", "revenue", 0, "top_n must be"),
        ("month", "units", 51, "top_n must be"),
    ],
)
def test_sales_summary_accepts_only_known_names(
    sales_db: Path,
    read_only: sqlite3.Connection,
    dimension: str,
    metric: str,
    top_n: int,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        sales_summary(read_only, cast(Dimension, dimension), cast(Metric, metric), top_n)
    assert_intact(sales_db)


# --- the read-only connection -------------------------------------------------------------

WRITES = [
    "INSERT INTO sales VALUES (9999, '2025-01-01', 'North', 'Mouse', 'Online', 1, 1.0, 1.0)",
    "UPDATE sales SET revenue = 0",
    "DELETE FROM sales",
    "DROP TABLE sales",
    "CREATE TABLE notes (x)",
    "CREATE TEMP TABLE notes (x)",
    "ATTACH DATABASE 'other.db' AS other",
    "PRAGMA query_only = OFF",
    "PRAGMA writable_schema = ON",
    "PRAGMA user_version = 7",
    "BEGIN IMMEDIATE",
    "VACUUM",
]


@pytest.mark.parametrize("statement", WRITES)
def test_read_only_connection_refuses_writes_passed_directly(
    sales_db: Path, read_only: sqlite3.Connection, statement: str
) -> None:
    # SQLite says "not authorized", or "authorization denied" for VACUUM.
    with pytest.raises(sqlite3.DatabaseError, match=r"not authorized|authorization denied"):
        read_only.execute(statement)

    assert_intact(sales_db)
    assert not Path("other.db").exists()  # the tests run in a temporary working directory


def test_mode_ro_alone_refuses_writes(sales_db: Path) -> None:
    with closing(connect_read_only(sales_db)) as conn:
        conn.set_authorizer(None)  # remove the first two layers...
        conn.execute("PRAGMA query_only = OFF")
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM sales")  # ...the file itself is still read-only
    assert_intact(sales_db)


def test_query_only_is_on(sales_db: Path) -> None:
    with closing(connect_read_only(sales_db)) as conn:
        conn.set_authorizer(None)  # the authorizer denies every PRAGMA, even reading one
        assert conn.execute("PRAGMA query_only").fetchone() == (1,)


def test_authorizer_alone_refuses_writes(sales_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(sales_db, copy)
    with closing(sqlite3.connect(copy)) as conn:  # a writable connection
        conn.set_authorizer(read_only_authorizer)
        assert conn.execute("SELECT COUNT(*) FROM sales").fetchone() == (ROW_COUNT,)
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            conn.execute("DELETE FROM sales")
    assert_intact(copy)


def test_connect_read_only_never_creates_a_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"

    with pytest.raises(FileNotFoundError, match="ensure_sales_database"):
        connect_read_only(missing)
    assert not missing.exists()


# --- run_read_only_query ------------------------------------------------------------------


def test_query_returns_columns_and_rows(sales_db: Path, read_only: sqlite3.Connection) -> None:
    north = sum(1 for row in plain_rows(sales_db) if row[2] == "North")

    result = run_read_only_query(
        read_only,
        "SELECT region, COUNT(*) AS orders FROM sales GROUP BY region ORDER BY orders DESC;",
    )

    assert result["columns"] == ["region", "orders"]
    assert result["rows"][0] == ["North", north]
    assert (result["row_count"], result["truncated"]) == (4, False)


def test_query_stops_at_max_rows(read_only: sqlite3.Connection) -> None:
    result = run_read_only_query(read_only, "SELECT id FROM sales ORDER BY id", max_rows=10)

    assert result["rows"] == [[number] for number in range(1, 11)]
    assert (result["row_count"], result["truncated"]) == (10, True)


def test_query_returns_blobs_as_hex(read_only: sqlite3.Connection) -> None:
    assert run_read_only_query(read_only, "SELECT x'00ff' AS b")["rows"] == [["00ff"]]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("DROP TABLE sales", "Only read-only SELECT statements are allowed"),
        ("/* hello */ PRAGMA writable_schema = ON", "starts with PRAGMA"),
        ("SELECT 1; DROP TABLE sales", "Only one SQL statement"),
        ("SELECT * FROM sales; SELECT 1", "Only one SQL statement"),
        ("WITH gone AS (SELECT 1) DELETE FROM sales", "Refused: the statement would change"),
        ("SELECT * FROM sales_backup", "no such table: sales_backup"),
        ("   ", "The query is empty"),
        ("SELECT zeroblob(2000000)", "string or blob too big"),
    ],
)
def test_query_refuses_writes_and_reports_invalid_sql(
    sales_db: Path, read_only: sqlite3.Connection, sql: str, message: str
) -> None:
    result = run_read_only_query(read_only, sql)

    assert list(result) == ["error"]
    assert message in result["error"]
    assert_intact(sales_db)


def test_a_runaway_query_is_interrupted(read_only: sqlite3.Connection) -> None:
    started = time.monotonic()

    result = run_read_only_query(
        read_only, "SELECT COUNT(*) FROM sales a, sales b, sales c", timeout_seconds=0.1
    )

    assert "ran longer than 0.1 seconds" in result["error"]
    assert time.monotonic() - started < 5
    assert run_read_only_query(read_only, "SELECT 1")["rows"] == [[1]]  # still usable


# --- guardrails ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "DROP TABLE sales",
        "delete from sales where region = 'North'",
        "UPDATE sales SET revenue = 0 WHERE id = 3",
        "insert into sales values (1, '2025-01-01')",
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "pragma writable_schema = 1",
        "REPLACE INTO sales VALUES (1)",
        "truncate table sales",
        "create table notes (x text)",
        "Please delete all sales rows from the North region",
        "drop the sales table",
        "Can you remove all orders from the database?",
        "I want to update the prices of laptops",
        "Show revenue by region. Then wipe the data.",
    ],
)
def test_user_guardrail_refuses_requests_to_change_data(text: str) -> None:
    ok, message = check_sql_read_only(AgentContext(), text)

    assert not ok
    assert "Only read-only questions" in message


@pytest.mark.parametrize(
    "text",
    [
        "What were total sales by region?",
        "Which product sold the most units in March?",
        "How many orders were dropped or deleted last year?",
        "What was the update on sales in the West?",
        "Can you update me on sales by channel?",
        "Select the top 5 products by revenue",
        "SELECT product, SUM(units) FROM sales GROUP BY product",
        "Attach the revenue report to my summary",
        "Show the drop in revenue between November and December",
    ],
)
def test_user_guardrail_accepts_questions(text: str) -> None:
    ok, _ = check_sql_read_only(AgentContext(), text)

    assert ok


def test_user_guardrail_is_registered() -> None:
    definition = get_guardrail_registry().get("sql_read_only")

    assert definition.check is check_sql_read_only


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM sales WHERE product = 'Drop-in; DELETE FROM sales'",
        "select replace(product, 'o', '0') from sales",
        "WITH t AS (SELECT region FROM sales) SELECT * FROM t",
        "SELECT 1 -- update later",
    ],
)
def test_sql_check_accepts_selects(sql: str) -> None:
    assert check_sql_query(sql)[0]


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM sales",
        "select 1; drop table sales",
        "REPLACE INTO sales VALUES (1)",
        "WITH t AS (SELECT 1) UPDATE sales SET units = 0",
        "PRAGMA table_info(sales)",
        "-- just a comment",
    ],
)
def test_sql_check_refuses_anything_else(sql: str) -> None:
    ok, message = check_sql_query(sql)

    assert not ok
    assert "Refused" in message


def guardrail_data(arguments: str) -> ToolInputGuardrailData:
    context = ToolContext(
        context=AgentContext(),
        tool_name="run_sql_query",
        tool_call_id="call_sql_1",
        tool_arguments=arguments,
    )
    return ToolInputGuardrailData(context=context, agent=Agent(name="analyst"))


async def test_tool_input_guardrail_rejects_a_drop() -> None:
    assert run_sql_query.tool_input_guardrails == [sql_read_only_tool_guardrail]

    refused = await sql_read_only_tool_guardrail.run(guardrail_data('{"sql": "DROP TABLE sales"}'))
    allowed = await sql_read_only_tool_guardrail.run(
        guardrail_data('{"sql": "SELECT COUNT(*) FROM sales"}')
    )
    garbled = await sql_read_only_tool_guardrail.run(guardrail_data("DROP TABLE sales"))

    assert refused.behavior["type"] == "reject_content"
    assert "DROP" in refused.behavior.get("message", "")
    assert allowed.behavior["type"] == "allow"
    assert garbled.behavior["type"] == "reject_content"


async def test_a_run_never_executes_a_refused_statement(data_dir: Path) -> None:
    model = ScriptedModel(
        [
            [function_call("run_sql_query", {"sql": "DROP TABLE sales"}, call_id="call_drop")],
            [assistant_message("I can only read the sales data.")],
        ]
    )
    agent = Agent[AgentContext](name="analyst", model=model, tools=[run_sql_query])

    result = await Runner.run(
        agent,
        "Drop the sales table",
        context=AgentContext(),
        run_config=RunConfig(tracing_disabled=True),
    )

    outputs = [item.output for item in result.new_items if isinstance(item, ToolCallOutputItem)]
    assert len(outputs) == 1
    assert "Refused" in str(outputs[0])
    assert not (data_dir / "sales.db").exists()  # the tool body never ran


# --- the registered tools -----------------------------------------------------------------


def tool_context(context: AgentContext, name: str, arguments: str) -> ToolContext[AgentContext]:
    return ToolContext(
        context=context, tool_name=name, tool_call_id=f"call_{name}", tool_arguments=arguments
    )


async def test_sales_report_tool_reports_and_records(data_dir: Path) -> None:
    context = AgentContext()
    arguments = '{"dimension": "region", "metric": "revenue", "top_n": 2}'

    result = json.loads(
        await sales_report.on_invoke_tool(
            tool_context(context, "sales_report", arguments), arguments
        )
    )  # tools answer JSON

    with closing(connect_read_only(data_dir / "sales.db")) as conn:  # created on first use
        assert result == sales_summary(conn, "region", "revenue", 2)
    assert [row["region"] for row in result["rows"]] == ["North", "South"]
    assert context.query_results[0]["tool"] == "sales_report"
    assert context.query_results[0]["rows"] == result["rows"]
    assert context.discovered_items["sales_report"][0]["rows"] == result["rows"]


async def test_sales_report_tool_explains_a_bad_top_n(data_dir: Path) -> None:
    arguments = '{"dimension": "month", "metric": "orders", "top_n": 500}'

    result = json.loads(
        await sales_report.on_invoke_tool(
            tool_context(AgentContext(), "sales_report", arguments), arguments
        )
    )  # tools answer JSON

    assert list(result) == ["error"]
    assert "top_n must be a whole number from 1 to 50" in result["error"]


async def test_run_sql_query_tool_answers_and_records(data_dir: Path) -> None:
    context = AgentContext()
    arguments = '{"sql": "SELECT COUNT(*) AS n FROM sales WHERE channel = \'Online\'"}'
    online = sum(1 for row in generate_sales_rows() if row[4] == "Online")

    result = json.loads(
        await run_sql_query.on_invoke_tool(
            tool_context(context, "run_sql_query", arguments), arguments
        )
    )  # tools answer JSON

    assert result == {"columns": ["n"], "rows": [[online]], "row_count": 1, "truncated": False}
    assert context.query_results[0]["arguments"] == {
        "sql": "SELECT COUNT(*) AS n FROM sales WHERE channel = 'Online'"
    }


async def test_run_sql_query_tool_refuses_writes_without_its_guardrail(data_dir: Path) -> None:
    # on_invoke_tool skips the SDK's tool guardrails: the connection alone must refuse.
    context = AgentContext()
    arguments = '{"sql": "WITH x AS (SELECT 1) DELETE FROM sales"}'

    result = json.loads(
        await run_sql_query.on_invoke_tool(
            tool_context(context, "run_sql_query", arguments), arguments
        )
    )  # tools answer JSON

    assert "Refused" in result["error"]
    assert context.query_results == []
    assert_intact(data_dir / "sales.db")


def test_tools_are_registered_as_database_tools() -> None:
    registry = get_tool_registry()

    for name, tool in (("sales_report", sales_report), ("run_sql_query", run_sql_query)):
        definition = registry.get(name)
        assert isinstance(definition.tool, FunctionTool)
        assert definition.tool is tool
        assert definition.category == "database"
    assert "grouped by region, product, month or channel" in sales_report.description
