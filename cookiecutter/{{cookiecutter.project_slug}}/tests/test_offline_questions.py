"""A new user's questions to each sample agent, offline: the right answer or an honest "not
offline", never another question's answer. Expected figures come from the test's own SQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agents_core import AgentRunner, OfflineModel, RoutingOrchestrator
from agents_core.mcp import close_mcp_servers
from agents_core.tools.sales_database import ensure_sales_database
from agents_core.tools.weather import describe_weather_code

CANNOT = "I can't answer that offline"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def orchestrator() -> RoutingOrchestrator:
    return RoutingOrchestrator(runner=AgentRunner(model=OfflineModel()))


@pytest.fixture
def db(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(ensure_sales_database())


@pytest.fixture(autouse=True)
async def _close_servers() -> AsyncIterator[None]:
    yield
    await close_mcp_servers()


def one(db: sqlite3.Connection, sql: str, *args: Any) -> Any:
    return db.execute(sql, args).fetchone()


def money(value: float) -> str:
    return f"{value:,.2f}"


async def ask(orchestrator: RoutingOrchestrator, question: str, session: str | None = None) -> Any:
    result = await orchestrator.run(question, session_id=session)
    assert isinstance(result, dict), result
    return result


async def ask_with(
    orchestrator: RoutingOrchestrator, question: str, context: dict[str, Any]
) -> Any:
    result = await orchestrator.run(question, context)
    assert isinstance(result, dict), result
    return result


async def test_lowest_region_last_quarter_is_the_last_quarter_of_the_data(
    orchestrator: RoutingOrchestrator, db: sqlite3.Connection
) -> None:
    (last,) = one(db, "SELECT MAX(order_date) FROM sales")
    assert last == "2025-12-31"
    region, revenue = one(
        db,
        "SELECT region, SUM(revenue) AS r FROM sales WHERE order_date BETWEEN '2025-10-01' "
        "AND '2025-12-31' GROUP BY region ORDER BY r ASC LIMIT 1",
    )
    assert (region, round(revenue, 2)) == ("West", 47975.25)  # the figure
    result = await ask(orchestrator, "Which region had the lowest revenue last quarter?")
    assert result["agent"] == "data_analyst"
    assert result["result"].startswith(
        f"West had the lowest revenue in Q4 2025 (2025-10-01 to 2025-12-31): {money(revenue)}"
    )


@pytest.mark.parametrize(
    ("question", "sql", "expected"),
    [
        ("How many orders in total?", "SELECT COUNT(*) FROM sales", "Orders in total: {0:,}."),
        (
            "What was the revenue in March?",
            "SELECT ROUND(SUM(revenue), 2) FROM sales WHERE order_date LIKE '2025-03-%'",
            "Revenue in March 2025 (2025-03-01 to 2025-03-31): {0:,.2f}.",
        ),
        (
            "How many units did West sell in Q2?",
            "SELECT SUM(units) FROM sales WHERE region = 'West' AND order_date BETWEEN "
            "'2025-04-01' AND '2025-06-30'",
            "Units for West in Q2 2025 (2025-04-01 to 2025-06-30): {0:,}.",
        ),
        (
            "Laptop revenue between 2025-02-01 and 2025-03-15",
            "SELECT ROUND(SUM(revenue), 2) FROM sales WHERE product = 'Laptop' AND order_date "
            "BETWEEN '2025-02-01' AND '2025-03-15'",
            "Revenue for Laptop from 2025-02-01 to 2025-03-15: {0:,.2f}.",
        ),
        (
            "What is the revenue year to date?",
            "SELECT ROUND(SUM(revenue), 2) FROM sales",
            "Revenue in 2025 to date (2025-01-01 to 2025-12-31): {0:,.2f}.",
        ),
        (
            "Orders last month",
            "SELECT COUNT(*) FROM sales WHERE order_date LIKE '2025-12-%'",
            "Orders in December 2025 (2025-12-01 to 2025-12-31): {0:,}.",
        ),
        (
            "What was the average order value in 2025?",
            "SELECT ROUND(AVG(revenue), 2) FROM sales",
            "Average order value in 2025 (2025-01-01 to 2025-12-31): {0:,.2f}.",
        ),
    ],
)
async def test_totals_with_windows_and_filters(
    orchestrator: RoutingOrchestrator,
    db: sqlite3.Connection,
    question: str,
    sql: str,
    expected: str,
) -> None:
    (value,) = one(db, sql)
    result = await ask(orchestrator, question)
    assert result["agent"] == "data_analyst"
    assert result["result"] == expected.format(value)


async def test_top_n_products_by_revenue_names_them_all(
    orchestrator: RoutingOrchestrator, db: sqlite3.Connection
) -> None:
    rows = db.execute(
        "SELECT product, ROUND(SUM(revenue), 2) AS r FROM sales GROUP BY product "
        "ORDER BY r DESC LIMIT 3"
    ).fetchall()
    shown = "; ".join(f"{product} {money(value)}" for product, value in rows)
    for question in ("Show me the top 3 products", "What are the top 3 products by revenue?"):
        result = await ask(orchestrator, question)
        assert result["result"] == f"Top 3 products by revenue: {shown}."


async def test_bottom_n_by_units_last_month(
    orchestrator: RoutingOrchestrator, db: sqlite3.Connection
) -> None:
    rows = db.execute(
        "SELECT product, SUM(units) AS u FROM sales WHERE order_date LIKE '2025-12-%' "
        "GROUP BY product ORDER BY u ASC LIMIT 2"
    ).fetchall()
    result = await ask(orchestrator, "What were the bottom 2 products by units last month?")
    shown = "; ".join(f"{product} {units:,}" for product, units in rows)
    assert result["result"] == (
        f"Bottom 2 products by units in December 2025 (2025-12-01 to 2025-12-31): {shown}."
    )


async def test_average_order_value_by_month_is_not_an_order_count(
    orchestrator: RoutingOrchestrator, db: sqlite3.Connection
) -> None:
    rows = db.execute(
        "SELECT substr(order_date, 1, 7) AS m, ROUND(AVG(revenue), 2) FROM sales GROUP BY m "
        "ORDER BY m"
    ).fetchall()
    result = await ask(orchestrator, "What was the average order value by month?")
    shown = "; ".join(f"{month} {money(value)}" for month, value in rows)
    assert result["result"] == f"Average order value by month: {shown}."


async def test_share_by_region_and_trend_by_quarter(
    orchestrator: RoutingOrchestrator, db: sqlite3.Connection
) -> None:
    (total,) = one(db, "SELECT SUM(revenue) FROM sales")
    rows = db.execute(
        "SELECT region, SUM(revenue) AS r FROM sales GROUP BY region ORDER BY r DESC"
    ).fetchall()
    result = await ask(orchestrator, "What share of revenue did each region have?")
    shown = "; ".join(f"{r} {money(v)} ({round(100 * v / total, 1):g}%)" for r, v in rows)
    assert result["result"] == f"Revenue by region: {shown}."
    quarters = db.execute(
        "SELECT (CAST(substr(order_date, 6, 2) AS INTEGER) + 2) / 3 AS q, SUM(revenue) FROM sales "
        "GROUP BY q ORDER BY q"
    ).fetchall()
    result = await ask(orchestrator, "Revenue trend by quarter")
    shown = "; ".join(f"2025-Q{q} {money(v)}" for q, v in quarters)
    assert result["result"] == f"Revenue by quarter: {shown}."


async def test_comparison_of_two_regions(
    orchestrator: RoutingOrchestrator, db: sqlite3.Connection
) -> None:
    figures = dict(
        db.execute(
            "SELECT region, ROUND(SUM(revenue), 2) FROM sales WHERE region IN ('North', 'South') "
            "AND order_date BETWEEN '2025-07-01' AND '2025-09-30' GROUP BY region"
        ).fetchall()
    )
    result = await ask(orchestrator, "Compare North and South revenue in Q3")
    answer = result["result"]
    assert f"North {money(figures['North'])}" in answer
    assert f"South {money(figures['South'])}" in answer
    assert f"ahead by {money(figures['North'] - figures['South'])}" in answer


async def test_follow_up_and_the_lowest_keeps_the_question(
    orchestrator: RoutingOrchestrator, db: sqlite3.Connection
) -> None:
    high = one(
        db,
        "SELECT region, SUM(revenue) AS r FROM sales WHERE order_date >= '2025-10-01' "
        "GROUP BY region ORDER BY r DESC LIMIT 1",
    )
    low = one(
        db,
        "SELECT region, SUM(revenue) AS r FROM sales WHERE order_date >= '2025-10-01' "
        "GROUP BY region ORDER BY r ASC LIMIT 1",
    )
    first = await ask(orchestrator, "Which region had the highest revenue last quarter?")
    assert first["result"].startswith(f"{high[0]} had the highest revenue in Q4 2025")
    second = await ask(orchestrator, "And the lowest?", session=first["session_id"])
    assert second["agent"] == "data_analyst"
    assert second["result"].startswith(
        f"{low[0]} had the lowest revenue in Q4 2025 (2025-10-01 to 2025-12-31): {money(low[1])}"
    )


@pytest.mark.parametrize(
    "question", ["Which customers bought the most?", "What is the revenue per customer?"]
)
async def test_a_data_question_it_cannot_parse_is_refused_honestly(
    orchestrator: RoutingOrchestrator, question: str
) -> None:
    result = await ask(orchestrator, question)
    assert result["agent"] == "data_analyst"
    assert result["result"].startswith(CANNOT)
    assert "OPENAI_API_KEY" in result["result"]
    assert result["result"].count(".") <= 1 or result["result"].endswith("model.")


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What is 2 to the power of 10?", "2 ** 10 = 1024."),
        ("What is 15% of 80?", "(15 / 100 * 80) = 12."),
        ("What is the square root of 144?", "(144 ** 0.5) = 12."),
        ("What is (2 + 3) * 4?", "(2 + 3) * 4 = 20."),
        ("What is 7 times 6?", "7 * 6 = 42."),
        ("What is 1,000 divided by 8?", "1000 / 8 = 125."),
    ],
)
async def test_calculator_phrasings(
    orchestrator: RoutingOrchestrator, question: str, answer: str
) -> None:
    result = await ask(orchestrator, question)
    assert result["agent"] == "assistant"
    assert result["result"] == answer


async def test_arithmetic_follow_up_and_what_was_asked_first(
    orchestrator: RoutingOrchestrator,
) -> None:
    first = await ask(orchestrator, "What is 2 to the power of 10?")
    session = first["session_id"]
    second = await ask(orchestrator, "Add 10 to that", session=session)
    assert second["agent"] == "assistant"  # not the notes keeper
    assert second["result"] == "1024 + 10 = 1034."
    third = await ask(orchestrator, "What did I ask you first?", session=session)
    assert third["result"] == 'You first asked: "What is 2 to the power of 10?"'


async def test_a_question_no_agent_understands_says_so(orchestrator: RoutingOrchestrator) -> None:
    result = await ask(orchestrator, "Write me a poem about the sea")
    assert result["agent"] == "assistant"
    assert result["result"].startswith(CANNOT)
    assert "OPENAI_API_KEY" in result["result"]


def open_meteo_tokyo(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host.startswith("geocoding"):
            name = "geocoding_tokyo"
        else:
            name = "daily_tokyo" if "daily" in request.url.params else "forecast_paris"
        return httpx.Response(200, content=(FIXTURES / f"open_meteo_{name}.json").read_bytes())

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("question", "index", "day"),
    [
        ("Will it rain in Tokyo tomorrow?", 1, "tomorrow"),
        ("Weather in Tokyo on Sunday", 6, "sunday"),
    ],
)
async def test_weather_on_a_coming_day_comes_from_the_daily_forecast(
    orchestrator: RoutingOrchestrator, question: str, index: int, day: str
) -> None:
    daily = json.loads((FIXTURES / "open_meteo_daily_tokyo.json").read_text())["daily"]
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=open_meteo_tokyo(seen)) as client:
        result = await ask_with(orchestrator, question, {"metadata": {"http_client": client}})
    assert result["agent"] == "weather_assistant"
    assert seen[0].url.params["name"] == "Tokyo"
    assert "daily" in seen[1].url.params
    date = daily["time"][index]
    assert result["result"] == (
        f"In Tokyo, Japan {day} ({date}): "
        f"{describe_weather_code(daily['weather_code'][index])}, "
        f"{daily['temperature_2m_min'][index]:g} to {daily['temperature_2m_max'][index]:g} °C, "
        f"{daily['precipitation_sum'][index]:g} mm of precipitation "
        f"({daily['precipitation_probability_max'][index]}% chance) (Open-Meteo forecast)."
    )


async def test_weather_today_is_the_current_weather(orchestrator: RoutingOrchestrator) -> None:
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=open_meteo_tokyo(seen)) as client:
        result = await ask_with(
            orchestrator, "What's the weather in Tokyo?", {"metadata": {"http_client": client}}
        )
    assert "current" in seen[1].url.params
    assert result["result"].startswith("In Tokyo, Japan it is 9.4 °C and overcast")


async def test_weather_for_a_time_it_has_no_forecast_for_is_refused(
    orchestrator: RoutingOrchestrator,
) -> None:
    result = await ask(orchestrator, "Will it rain in Tokyo next week?")
    assert result["agent"] == "weather_assistant"
    assert result["result"].startswith(CANNOT)
    assert "°C" not in result["result"]


@pytest.mark.slow
async def test_add_a_note_titles_it_and_a_new_process_lists_it(
    orchestrator: RoutingOrchestrator,
) -> None:
    added = await ask(orchestrator, "Add a note: buy milk")
    assert added["agent"] == "notes_keeper"
    assert "Saved note 'buy milk'" in added["result"]
    await close_mcp_servers()  # the next run starts a new server process, as a new `chat` does
    listed = await ask(
        RoutingOrchestrator(runner=AgentRunner(model=OfflineModel())), "List my notes."
    )
    assert "buy milk" in listed["result"]
    read = await ask(orchestrator, "Read the note buy milk")
    assert "buy milk" in read["result"]
    deleted = await ask(orchestrator, "Delete the note buy milk")
    assert "Deleted note 'buy milk'" in deleted["result"]
    listed = await ask(orchestrator, "List my notes")
    assert "buy milk" not in listed["result"]


@pytest.mark.slow
async def test_notes_belong_to_the_principal_of_the_run(data_dir: Path) -> None:
    from agents_core import Principal

    orchestrator = RoutingOrchestrator(runner=AgentRunner(model=OfflineModel()))
    alice, bob = Principal("alice"), Principal("bob")
    await orchestrator.run("Add a note titled 'secret' saying alice only", principal=alice)
    mine = await orchestrator.run("List my notes", principal=alice)
    theirs = await orchestrator.run("List my notes", principal=bob)
    assert "secret" in mine["result"]
    assert "secret" not in theirs["result"]
    refused = await orchestrator.run("Read the note secret", principal=bob)
    assert "alice only" not in refused["result"]
    assert "No note titled 'secret'" in refused["result"]


async def test_a_weather_follow_up_keeps_the_city(orchestrator: RoutingOrchestrator) -> None:
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=open_meteo_tokyo(seen)) as client:
        context = {"metadata": {"http_client": client}}
        first = await orchestrator.run("What's the weather in Tokyo?", context)
        second = await orchestrator.run("And tomorrow?", context, session_id=first["session_id"])
    assert second["agent"] == "weather_assistant"
    assert second["result"].startswith("In Tokyo, Japan tomorrow (2025-11-25): slight rain")
