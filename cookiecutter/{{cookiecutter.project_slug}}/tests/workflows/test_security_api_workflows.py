"""The workflow start route: no input gets a 5xx, no path reaches a flow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from api import ApiSettings, create_app
from api.workflow_runs import WorkflowRunner, WorkflowSettings

pytestmark = pytest.mark.slow  # flows on the Prefect server


@pytest.fixture
async def client(prefect_server: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ApiSettings())
    runner = WorkflowRunner(WorkflowSettings(workflow_execution="in-process"))
    app.state.workflow_runner = runner
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client
    await runner.wait_all()


async def test_a_lone_surrogate_in_parameters_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/workflows/agent-analysis/runs",
        content=b'{"parameters": {"query": "\\ud800"}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_parameters"


async def test_a_path_in_parameters_reads_nothing(client: httpx.AsyncClient) -> None:
    started = await client.post(
        "/workflows/master-data-orchestration/runs",
        json={"parameters": {"data_id": "x", "trigger_source": "upload", "source": "/etc/passwd"}},
    )
    assert started.status_code == 202
    run_id = started.json()["flow_run_id"]
    state = (await client.get(f"/workflows/runs/{run_id}")).json()
    while not state["final"]:
        await asyncio.sleep(0.05)
        state = (await client.get(f"/workflows/runs/{run_id}")).json()
    assert state["state_type"] == "FAILED"
    assert "Invalid data id" in state["error"]
    assert "root:" not in str(state)
