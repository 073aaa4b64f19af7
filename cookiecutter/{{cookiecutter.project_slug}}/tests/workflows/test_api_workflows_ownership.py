"""Workflow runs started through the API are their caller's: 404 for another principal, and
the agents they run act for the caller (its sessions), on the session's Prefect server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from api import ApiSettings, create_app
from api.workflow_runs import WorkflowRunner, WorkflowSettings

pytestmark = pytest.mark.slow  # flows on the Prefect server

ALICE = {"X-API-Key": "key-alice-0123456789"}
BOB = {"Authorization": "Bearer key-bob-0123456789"}
ROOT = {"X-API-Key": "key-root-0123456789"}  # API_KEY: role admin


@pytest.fixture
def runner(prefect_server: str) -> WorkflowRunner:
    return WorkflowRunner(WorkflowSettings(workflow_execution="in-process"))


@pytest.fixture
async def client(runner: WorkflowRunner) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(
        ApiSettings(
            api_key=SecretStr("key-root-0123456789"),
            api_keys=SecretStr("alice:key-alice-0123456789,bob:key-bob-0123456789"),
        )
    )
    app.state.workflow_runner = runner
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client
    await runner.wait_all()


async def start(
    client: httpx.AsyncClient, runner: WorkflowRunner, headers: dict[str, str], **params: Any
) -> str:
    response = await client.post(
        "/workflows/agent-analysis/runs",
        json={"parameters": {"agent": "assistant", **params}},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    await runner.wait_all()
    status_url: str = response.json()["status_url"]
    return status_url


async def test_a_run_is_read_only_by_its_caller_and_admin(
    client: httpx.AsyncClient, runner: WorkflowRunner
) -> None:
    session_id = f"flow-{uuid.uuid4().hex[:12]}"
    status_url = await start(client, runner, ALICE, query="What is 2 + 3?", session_id=session_id)
    own = await client.get(status_url, headers=ALICE)
    assert own.status_code == 200
    assert own.json()["state_type"] == "COMPLETED", own.json()
    assert (await client.get(status_url, headers=ROOT)).status_code == 200
    foreign = await client.get(status_url, headers=BOB)
    unknown_id = str(uuid.uuid4())
    unknown = await client.get(f"/workflows/runs/{unknown_id}", headers=BOB)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["error"]["code"] == "unknown_flow_run"
    run_id = status_url.rsplit("/", 1)[1]
    assert foreign.text.replace(run_id, "ID") == unknown.text.replace(unknown_id, "ID")
    # The flow's agent ran as alice: the session it created is hers.
    assert (await client.get(f"/sessions/{session_id}", headers=ALICE)).status_code == 200
    assert (await client.get(f"/sessions/{session_id}", headers=BOB)).status_code == 404


async def test_a_flow_cannot_continue_another_principals_session(
    client: httpx.AsyncClient, runner: WorkflowRunner
) -> None:
    session_id = f"flow-{uuid.uuid4().hex[:12]}"
    await start(client, runner, ALICE, query="What is 1 + 1?", session_id=session_id)
    before = (await client.get(f"/sessions/{session_id}", headers=ALICE)).json()["items"]
    status_url = await start(client, runner, BOB, query="What is 9 + 9?", session_id=session_id)
    run = (await client.get(status_url, headers=BOB)).json()
    assert run["state_type"] == "FAILED"
    assert "SessionNotFound" in run["error"]
    after = (await client.get(f"/sessions/{session_id}", headers=ALICE)).json()["items"]
    assert after == before


async def test_the_agents_of_a_subflow_act_for_the_caller_too(
    client: httpx.AsyncClient, runner: WorkflowRunner
) -> None:
    response = await client.post(
        "/workflows/master-data-orchestration/runs",
        json={
            "parameters": {
                "data_id": f"owned-{uuid.uuid4().hex[:8]}",
                "trigger_source": "upload",
                "records": [{"region": "north", "amount": 3}, {"region": "south", "amount": 4}],
                "agent": "assistant",
            }
        },
        headers=ALICE,
    )
    assert response.status_code == 202, response.text
    await runner.wait_all()
    run = (await client.get(response.json()["status_url"], headers=ALICE)).json()
    assert run["state_type"] == "COMPLETED", run
    session_id = run["result"]["results"]["analyze"]["analysis"]["session_id"]
    # Created by the subflow's agent, for alice (the subflow itself carries no tag).
    assert (await client.get(f"/sessions/{session_id}", headers=ALICE)).status_code == 200
    assert (await client.get(f"/sessions/{session_id}", headers=BOB)).status_code == 404
