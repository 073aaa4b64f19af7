"""No flow parameter names a path on the server: files are data ids under DATA_DIR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows_core import datasets, run_flow

pytestmark = pytest.mark.slow  # flows on the Prefect server


@pytest.mark.parametrize("source", ["/etc/hostname.json", "../../secrets.json", "a/b"])
async def test_a_path_as_source_is_refused_without_reading_it(
    prefect_server: str, data_dir: Path, tmp_path: Path, source: str
) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps([{"secret": "do not show"}]), encoding="utf-8")
    for flow, parameters in (
        ("upload-dataset", {"data_id": "x", "source": source}),
        (
            "master-data-orchestration",
            {"data_id": "x", "trigger_source": "upload", "source": source},
        ),
        ("upload-dataset", {"data_id": "x", "source": str(secret)}),
    ):
        outcome = await run_flow(flow, parameters)
        assert outcome.state == "Failed"
        assert outcome.error is not None
        assert "Invalid data id" in outcome.error
        assert "do not show" not in json.dumps(outcome.to_json())
        assert str(data_dir) not in outcome.error
        assert str(tmp_path) not in outcome.error


async def test_a_symlink_out_of_the_inbox_is_refused(
    prefect_server: str, data_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps([{"secret": "do not show"}]), encoding="utf-8")
    link = data_dir / "workflows" / "inbox" / "linked.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)

    outcome = await run_flow("upload-dataset", {"data_id": "x", "source": "linked"})

    assert outcome.state == "Failed"
    assert "outside" in str(outcome.error)
    assert "do not show" not in json.dumps(outcome.to_json())
    assert str(tmp_path) not in str(outcome.error)


async def test_an_inbox_file_is_read_by_its_data_id(prefect_server: str, data_dir: Path) -> None:
    datasets.write_json(datasets.inbox_path("orders-2025"), [{"amount": 3}])

    outcome = await run_flow("upload-dataset", {"data_id": "orders", "source": "orders-2025"})

    assert outcome.ok, outcome.error
    assert outcome.result["path"] == "workflows/datasets/orders/raw.json"  # not absolute
    missing = await run_flow("upload-dataset", {"data_id": "nothing-here"})
    assert missing.error is not None
    assert "No file workflows/inbox/nothing-here.json" in missing.error
    assert str(data_dir) not in missing.error
