"""Flows run for real, on the session's Prefect server (tests/workflows/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows_core import (
    InvalidParametersError,
    UnknownFlowError,
    UnknownTriggerSourceError,
    agent_analysis_flow,
    get_flow,
    list_flows,
    orchestrate_data_workflow,
    parallel_agent_analysis_flow,
    run_flow,
)

# slow: flows on the Prefect server
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]

RECORDS = [{"region": "North", "amount": 3}, {"region": "South", "amount": 4}]


async def test_agent_analysis_flow_returns_the_answer_and_session() -> None:
    result = await agent_analysis_flow("What is 6 * 7?", agent="assistant")

    assert result["success"] is True
    assert "42" in result["analysis"]["text"]
    assert result["analysis"]["session_id"]


async def test_a_failing_task_fails_the_flow_with_the_tasks_error() -> None:
    # An unknown agent is now refused before the flow starts (check_parameters); a guardrail's
    # refusal still happens inside the run.
    state = await agent_analysis_flow("my key is sk-abcdefghijklmnopqrstuvwx", return_state=True)

    assert state.is_failed()
    assert "Guardrail 'no_secrets' refused the input" in str(state.message)
    outcome = await run_flow("agent-analysis", {"query": "my key is sk-abcdefghijklmnopqrstuvwx"})
    assert (outcome.ok, outcome.state) == (False, "Failed")
    assert outcome.error is not None
    assert outcome.error.startswith("GuardrailTripped: Guardrail 'no_secrets'")


async def test_fan_out_returns_one_result_per_query_in_order() -> None:
    queries = [f"What is {n} + {n}?" for n in range(5)]

    result = await parallel_agent_analysis_flow(queries, agent="assistant", max_concurrency=3)

    assert result["count"] == 5
    assert [r["text"] for r in result["results"]] == [f"{n} + {n} = {2 * n}." for n in range(5)]
    assert len({r["session_id"] for r in result["results"]}) == 5


@pytest.mark.parametrize(
    ("trigger_source", "steps"),
    [
        ("upload", ["upload", "process", "analyze"]),
        ("api", ["process", "analyze"]),
        ("scheduled", ["analyze"]),
    ],
)
async def test_master_flow_routes_by_trigger_source(
    trigger_source: str, steps: list[str], data_dir: Path
) -> None:
    dataset = data_dir / "workflows" / "datasets" / "sales"
    if trigger_source != "upload":  # earlier steps ran before
        dataset.mkdir(parents=True)
        (dataset / "raw.json").write_text(json.dumps(RECORDS), encoding="utf-8")
        (dataset / "processed.json").write_text(
            json.dumps({"records": 1, "fields": {}}), encoding="utf-8"
        )
    records = RECORDS if trigger_source == "upload" else None

    outcome = await run_flow(
        "master-data-orchestration",
        {"data_id": "sales", "trigger_source": trigger_source, "records": records},
    )

    assert outcome.ok, outcome.error
    assert outcome.result["steps"] == steps
    assert outcome.result["results"]["analyze"]["analysis"]["session_id"]
    processed = json.loads((dataset / "processed.json").read_text(encoding="utf-8"))
    assert processed["records"] == (2 if "process" in steps else 1)
    assert (dataset / "insights.json").is_file()


async def test_upload_reads_the_inbox_file(data_dir: Path) -> None:
    inbox = data_dir / "workflows" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "orders.json").write_text(json.dumps(RECORDS), encoding="utf-8")

    result = await orchestrate_data_workflow("orders", trigger_source="upload", agent="assistant")

    assert result["results"]["upload"]["records"] == 2


async def test_a_step_without_its_input_fails_and_says_what_to_run() -> None:
    outcome = await run_flow(
        "master-data-orchestration", {"data_id": "missing", "trigger_source": "scheduled"}
    )
    assert outcome.state == "Failed"
    assert outcome.error is not None
    assert "has no processed data" in outcome.error


async def test_an_unknown_trigger_source_lists_the_allowed_ones() -> None:
    with pytest.raises(InvalidParametersError, match="'upload', 'api' or 'scheduled'"):
        await run_flow("master-data-orchestration", {"data_id": "x", "trigger_source": "email"})
    with pytest.raises(UnknownTriggerSourceError, match="allowed: upload, api, scheduled"):
        # A value outside the Literal, on purpose: the flow's own check, without Prefect's.
        await orchestrate_data_workflow.fn("x", trigger_source="email")  # type: ignore[arg-type]


def test_catalog_lists_every_flow_with_parameters() -> None:
    names = [info.name for info in list_flows()]
    assert {"agent-analysis", "parallel-agent-analysis", "master-data-orchestration"} <= set(names)
    info = get_flow("agent-analysis")
    assert info.description.startswith("Ask one agent")
    assert [p.name for p in info.parameters if p.required] == ["query"]
    assert info.entrypoint == "workflows_core/flows/agent_analysis_flow.py:agent_analysis_flow"
    assert info.parameter_schema()["required"] == ["query"]
    json.dumps([flow.to_json() for flow in list_flows()])


def test_an_unknown_flow_lists_the_known_ones() -> None:
    with pytest.raises(UnknownFlowError, match="known flows: agent-analysis, "):
        get_flow("nope")


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"query": "q", "colour": "red"}, r"unknown parameter\(s\) colour"),
        ({}, r"missing required parameter\(s\) query"),
        ({"queries": "not a list"}, r"Parameters: queries \(list\[str\], required\)"),
        ({"query": "q", "agent": "nobody"}, r"unknown agent 'nobody'. Agents: .*assistant"),
        ({"query": "q", "session_id": "no spaces"}, r"Invalid session id 'no spaces'"),
    ],
)
def test_bad_parameters_are_refused_with_the_flows_parameters(
    parameters: dict[str, object], message: str
) -> None:
    name = "parallel-agent-analysis" if "queries" in parameters else "agent-analysis"
    with pytest.raises(InvalidParametersError, match=message):
        get_flow(name).check_parameters(parameters)


async def test_the_master_flow_analyses_the_records_it_was_given(data_dir: Path) -> None:
    # The README's example: the answer is about these two records, not the sales database.
    outcome = await run_flow(
        "master-data-orchestration",
        {"data_id": "demo", "trigger_source": "upload", "records": RECORDS},
    )
    assert outcome.ok, outcome.error
    analysis = outcome.result["results"]["analyze"]["analysis"]
    answer = analysis["text"]
    assert answer == (
        "The data has 2 records. region: 2 distinct values (North (1), South (1)); "
        "amount: total 7, min 3, max 4, mean 3.5."
    ), analysis
    assert analysis["agent"] != "data_analyst"
