"""Task and service logic, called directly (`.fn()`): no Prefect server involved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents_core import UnknownNameError
from workflows_core import datasets
from workflows_core.tasks import (
    analysis_query,
    fetch_records_task,
    load_records_task,
    run_agent_analysis_task,
    save_dataset_task,
    summarize_records_task,
)


async def test_agent_analysis_returns_a_json_result_with_its_session() -> None:
    result = await run_agent_analysis_task.fn("What is 6 * 7?", agent="assistant")

    assert json.loads(json.dumps(result)) == result
    assert result["agent"] == "assistant"
    assert "42" in result["text"]
    assert result["session_id"]


async def test_agent_analysis_without_an_agent_goes_through_the_router() -> None:
    result = await run_agent_analysis_task.fn("What is 1 + 1?")
    assert result["agent"] == "assistant"  # general questions go to the default agent
    assert result["text"] == "1 + 1 = 2."
    assert result["session_id"]


async def test_agent_analysis_of_an_unknown_agent_names_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match=r"Registered agents: .*assistant"):
        await run_agent_analysis_task.fn("hi", agent="nobody")


def test_analysis_query_appends_the_data_as_json() -> None:
    assert analysis_query("Q") == "Q"
    assert analysis_query("Q", {"a": 1}).endswith('Data:\n{\n  "a": 1\n}')


def test_summary_per_field() -> None:
    records: list[dict[str, Any]] = [
        {"region": "North", "amount": 10, "ok": True},
        {"region": "North", "amount": 5.5},
        {"region": "South", "amount": None},
    ]
    summary = summarize_records_task.fn(records)

    assert summary["records"] == 3
    assert summary["fields"]["amount"] == {
        "type": "number",
        "count": 2,
        "total": 15.5,
        "min": 5.5,
        "max": 10.0,
        "mean": 7.75,
    }
    region = summary["fields"]["region"]
    assert region["distinct"] == 2
    assert region["top"][0] == {"value": "North", "count": 2}
    assert summary["fields"]["ok"]["type"] == "text"  # booleans are not numbers


def test_saved_records_load_back(data_dir: Path) -> None:
    shown = save_dataset_task.fn("orders", "raw", [{"a": 1}])

    assert shown == "workflows/datasets/orders/raw.json"  # relative to DATA_DIR
    assert (data_dir / shown).is_file()
    assert load_records_task.fn("orders") == [{"a": 1}]
    datasets.write_json(datasets.inbox_path("incoming"), [{"b": 2}])
    assert fetch_records_task.fn("incoming") == [{"b": 2}]


@pytest.mark.parametrize("data_id", ["", "../up", "a/b", "x" * 65, ".hidden"])
def test_a_data_id_must_be_a_safe_file_name(data_id: str) -> None:
    with pytest.raises(datasets.DatasetError, match="letters, digits"):
        datasets.dataset_path(data_id, "raw")


@pytest.mark.parametrize(
    ("content", "message"),
    [("{", "not valid JSON"), ('{"a": 1}', "JSON list of objects"), ("[1, 2]", "list of objects")],
)
def test_bad_record_files_are_refused_with_the_reason(
    data_dir: Path, content: str, message: str
) -> None:
    source = datasets.inbox_path("records")
    source.parent.mkdir(parents=True)
    source.write_text(content, encoding="utf-8")
    with pytest.raises(datasets.DatasetError, match=message) as refused:
        fetch_records_task.fn("records")
    assert str(data_dir) not in str(refused.value)


def test_a_missing_stage_says_which_step_makes_it() -> None:
    with pytest.raises(datasets.DatasetError, match=r"no raw data .* run the upload step"):
        load_records_task.fn("never-uploaded")
