"""The API's workflow routes, through httpx's ASGI transport, on the session's Prefect server.

Runs start in the API process (the default execution mode); the test waits for them through
the runner (`wait_all`), then reads their state back by id as a client would. Deployment mode
against a real worker is tested by the template's own tests (tests/test_deploy.py there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api import ApiSettings, create_app
from api.workflow_runs import WorkflowRunner, WorkflowSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner(prefect_server: str) -> WorkflowRunner:
    return WorkflowRunner(WorkflowSettings(workflow_execution="in-process"))


@pytest.fixture
def app(runner: WorkflowRunner) -> FastAPI:
    app = create_app(ApiSettings())
    app.state.workflow_runner = runner
    return app


@pytest.fixture
async def client(app: FastAPI, runner: WorkflowRunner) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client
    await runner.wait_all()  # no run outlives its test


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.slow
async def test_lists_the_flows_with_their_parameters(client: httpx.AsyncClient) -> None:
    response = await client.get("/workflows")

    assert response.status_code == 200
    flows = {flow["name"]: flow for flow in response.json()}
    assert {"agent-analysis", "parallel-agent-analysis", "master-data-orchestration"} <= set(flows)
    analysis = flows["agent-analysis"]
    assert analysis["title"] == "Agent Analysis"
    assert analysis["description"]
    query = next(p for p in analysis["parameters"] if p["name"] == "query")
    assert query["required"] is True
    assert query["type"] == "str"
    assert analysis["parameter_schema"]["required"] == ["query"]
    assert "query" in analysis["parameter_schema"]["properties"]


@pytest.mark.slow
async def test_one_flow_and_an_unknown_one(client: httpx.AsyncClient) -> None:
    assert (await client.get("/workflows/agent-analysis")).json()["name"] == "agent-analysis"

    response = await client.get("/workflows/nope")

    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "unknown_flow"
    assert "agent-analysis" in error["details"]["known"]


@pytest.mark.slow
async def test_a_run_completes_in_the_background_and_is_read_by_id(
    client: httpx.AsyncClient, runner: WorkflowRunner
) -> None:
    response = await client.post(
        "/workflows/agent-analysis/runs",
        json={"parameters": {"query": "What is 2 + 3?", "agent": "assistant"}},
    )

    assert response.status_code == 202, response.text
    started = response.json()
    assert started["flow"] == "agent-analysis"
    assert started["mode"] == "in-process"
    assert started["state"] == "Pending"
    assert response.headers["location"] == started["status_url"]
    await runner.wait_all()

    run = (await client.get(started["status_url"])).json()
    assert run["flow_run_id"] == started["flow_run_id"]
    assert run["flow"] == "agent-analysis"
    assert (run["state_type"], run["state_name"], run["final"]) == ("COMPLETED", "Completed", True)
    assert run["parameters"]["query"] == "What is 2 + 3?"
    assert run["parameters"]["agent"] == "assistant"
    assert run["started"] is not None
    assert run["ended"] is not None
    assert run["error"] is None
    assert run["result_available"] is True
    assert run["result"]["analysis"]["agent"] == "assistant"
    assert "5" in run["result"]["analysis"]["text"]


@pytest.mark.slow
async def test_a_failing_run_reports_its_error(
    client: httpx.AsyncClient, runner: WorkflowRunner
) -> None:
    response = await client.post(
        "/workflows/agent-analysis/runs",
        json={"parameters": {"query": "my key is sk-abcdefghijklmnopqrstuvwx"}},
    )
    assert response.status_code == 202
    await runner.wait_all()

    run = (await client.get(response.json()["status_url"])).json()

    assert (run["state_type"], run["final"]) == ("FAILED", True)
    assert "Guardrail 'no_secrets' refused the input" in run["error"]
    assert run["result"] is None
    assert run["result_available"] is False


@pytest.mark.slow
async def test_unknown_flow_and_bad_parameters_are_refused(client: httpx.AsyncClient) -> None:
    unknown = await client.post("/workflows/nope/runs", json={"parameters": {}})
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "unknown_flow"

    for parameters in ({}, {"query": "hi", "colour": "red"}, {"query": ["not", "text"]}):
        response = await client.post(
            "/workflows/agent-analysis/runs", json={"parameters": parameters}
        )
        assert response.status_code == 422, parameters
        error = error_of(response)
        assert error["code"] == "invalid_parameters"
        assert "query" in error["message"]
        assert error["details"]["parameters"][0]["name"] == "query"

    body = {"parameters": {"query": "hi", "agent": "nobody"}}
    no_agent = await client.post("/workflows/agent-analysis/runs", json=body)
    assert no_agent.status_code == 422
    assert "unknown agent 'nobody'. Agents: " in error_of(no_agent)["message"]

    malformed = await client.post("/workflows/agent-analysis/runs", json={"parameters": [1]})
    assert malformed.status_code == 422
    assert error_of(malformed)["code"] == "invalid_request"


@pytest.mark.slow
async def test_parameters_over_the_size_limit_get_413(
    client: httpx.AsyncClient, runner: WorkflowRunner
) -> None:
    runner.settings = WorkflowSettings(workflow_max_parameters_chars=50)

    response = await client.post(
        "/workflows/agent-analysis/runs", json={"parameters": {"query": "x" * 100}}
    )

    assert response.status_code == 413
    assert error_of(response)["details"]["limit"] == 50


@pytest.mark.slow
async def test_unknown_and_malformed_run_ids(client: httpx.AsyncClient) -> None:
    unknown = await client.get(f"/workflows/runs/{uuid.uuid4()}")
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "unknown_flow_run"

    malformed = await client.get("/workflows/runs/not-a-uuid")
    assert malformed.status_code == 422


@pytest.mark.slow
async def test_deployment_mode_needs_the_deployment(
    client: httpx.AsyncClient, runner: WorkflowRunner
) -> None:
    runner.settings = WorkflowSettings(workflow_execution="deployment")

    response = await client.post(
        "/workflows/agent-analysis/runs", json={"parameters": {"query": "hi"}}
    )

    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "deployment_not_found"
    assert error["details"]["deployment"] == "Agent Analysis/agent-analysis"
    assert "prefect --no-prompt deploy --all" in error["message"]


def test_execution_mode_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKFLOW_EXECUTION", "deployment")
    assert WorkflowRunner().mode == "deployment"
    monkeypatch.setenv("WORKFLOW_EXECUTION", "celery")
    with pytest.raises(ValueError, match="in-process"):
        WorkflowSettings()


@pytest.mark.slow
def test_the_app_loads_prefect_only_when_a_workflow_route_runs() -> None:
    probe = (
        "import json, sys\n"
        "from api import create_app\n"
        "create_app()\n"
        "print(json.dumps('prefect' in sys.modules))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) is False
