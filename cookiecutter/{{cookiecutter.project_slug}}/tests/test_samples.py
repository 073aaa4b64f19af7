"""The sample agents end to end: routed by intent, answered through real tools, offline."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from agents_core import AgentRunner, GuardrailTripped, OfflineModel, RoutingOrchestrator
from agents_core.approvals import PendingApproval
from agents_core.config import get_settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def orchestrator() -> RoutingOrchestrator:
    return RoutingOrchestrator(runner=AgentRunner(model=OfflineModel()))


def recorded_open_meteo(request: httpx.Request) -> httpx.Response:
    name = "geocoding_paris" if request.url.host.startswith("geocoding") else "forecast_paris"
    return httpx.Response(200, content=(FIXTURES / f"open_meteo_{name}.json").read_bytes())


async def test_data_question_is_answered_by_a_real_query(
    orchestrator: RoutingOrchestrator, data_dir: Path
) -> None:
    result = await orchestrator.run("Which region had the highest revenue?")
    assert result["intent"] == "data"
    assert result["agent"] == "data_analyst"
    with sqlite3.connect(data_dir / "sales.db") as db:
        region, revenue = db.execute(
            "SELECT region, SUM(revenue) AS total FROM sales GROUP BY region ORDER BY total DESC"
        ).fetchone()
    answer = result["result"]
    # One sentence from the tool's figures, not a dump of the tool result (issue 10).
    assert answer.startswith(f"{region} had the highest revenue: {revenue:,.2f} (")
    assert "\n" not in answer


async def test_sql_question_runs_read_only_sql(
    orchestrator: RoutingOrchestrator, data_dir: Path
) -> None:
    result = await orchestrator.run(
        "For the sales data, run: SELECT channel, COUNT(*) AS orders FROM sales GROUP BY channel"
    )
    assert result["agent"] == "data_analyst"
    with sqlite3.connect(data_dir / "sales.db") as db:
        channel, orders = db.execute(
            "SELECT channel, COUNT(*) FROM sales GROUP BY channel ORDER BY channel"
        ).fetchone()
    assert f"channel {channel}, orders {orders}" in result["result"]


SQL_QUESTION = (
    "Run this SQL query on the sales data: "
    "SELECT channel, COUNT(*) AS orders FROM sales GROUP BY channel"
)


async def test_require_sql_approval_pauses_the_routed_run_until_approved(
    orchestrator: RoutingOrchestrator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUIRE_SQL_APPROVAL", "true")
    get_settings.cache_clear()

    pending = await orchestrator.run(SQL_QUESTION)

    assert isinstance(pending, PendingApproval)
    assert (pending.agent, pending.tool) == ("data_analyst", "run_sql_query")
    assert pending.arguments_dict()["sql"].startswith("SELECT channel, COUNT(*)")
    # Another process's orchestrator resumes it: the router's choice is replayed, the analyst
    # runs the query, the synthesizer answers.
    fresh = RoutingOrchestrator(runner=AgentRunner(model=OfflineModel()))
    result = await fresh.approve(pending.run_id, pending.approval_id)
    assert result["intent"] == "data"
    assert result["agent"] == "data_analyst"
    assert result["result"].startswith("The run sql query tool returned 3 rows: channel Online")


async def test_a_rejected_sql_query_is_answered_as_not_approved(
    orchestrator: RoutingOrchestrator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUIRE_SQL_APPROVAL", "true")
    get_settings.cache_clear()
    pending = await orchestrator.run(SQL_QUESTION)
    assert isinstance(pending, PendingApproval)

    result = await orchestrator.reject(pending.run_id, pending.approval_id, "too costly")

    assert result["result"] == (
        "I did not run the run sql query tool: the call was not approved (reason: too costly)."
    )


async def test_sql_queries_need_no_approval_by_default(
    orchestrator: RoutingOrchestrator,
) -> None:
    assert get_settings().require_sql_approval is False
    result = await orchestrator.run(SQL_QUESTION)
    assert isinstance(result, dict)


async def test_a_destructive_request_is_refused_by_the_guardrail(
    orchestrator: RoutingOrchestrator, data_dir: Path
) -> None:
    with pytest.raises(GuardrailTripped) as caught:
        await orchestrator.run("Please DROP TABLE sales in the sales database")
    assert caught.value.guardrail == "sql_read_only"
    assert caught.value.agent == "data_analyst"


async def test_weather_question_uses_the_weather_service(
    orchestrator: RoutingOrchestrator,
) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorded_open_meteo)) as client:
        result = await orchestrator.run(
            "What's the weather in Paris?", {"metadata": {"http_client": client}}
        )
    assert result["intent"] == "weather"
    assert result["agent"] == "weather_assistant"
    assert result["result"].startswith("In Paris, France it is 9.4 °C and overcast")


async def test_weather_without_network_says_so_and_invents_nothing(
    orchestrator: RoutingOrchestrator,
) -> None:
    result = await orchestrator.run("What's the weather in Paris?")
    answer = result["result"]
    assert "could not" in answer.lower()
    assert "temperature_c" not in answer
