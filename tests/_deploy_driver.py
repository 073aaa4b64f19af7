"""Run by the *generated project's* Python in tests/test_deploy.py: trigger deployments, wait.

It talks to the Prefect server of PREFECT_API_URL and starts three runs of the `agent-analysis`
deployment, all returning at once while a worker runs them:

- ``completes`` and ``fails``: `arun_deployment(..., timeout=0)`, as any Python client would;
- ``api``: through the project's API in deployment mode (WORKFLOW_EXECUTION=deployment), over
  httpx's ASGI transport: POST /workflows/agent-analysis/runs, then GET its status URL.

It polls them until they end and prints one JSON line: per run its state, result or error, and
how long it took. Everything is bounded by --timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import httpx
from api import create_app
from api.workflow_runs import WorkflowRunner, WorkflowSettings
from prefect.client.orchestration import get_client
from prefect.deployments import arun_deployment

DEPLOYMENT = "Agent Analysis/agent-analysis"
RUNS: dict[str, dict[str, Any]] = {
    "completes": {"query": "What is 2 + 3?", "agent": "assistant"},
    "fails": {"query": "hello", "agent": "no-such-agent"},
}
API_RUN = {"query": "What is 4 * 5?", "agent": "assistant"}


async def main(timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    ids = {}
    for key, parameters in RUNS.items():
        flow_run = await arun_deployment(DEPLOYMENT, parameters=parameters, timeout=0)
        ids[key] = flow_run.id

    app = create_app()
    app.state.workflow_runner = WorkflowRunner(WorkflowSettings(workflow_execution="deployment"))
    transport = httpx.ASGITransport(app=app)
    report: dict[str, Any] = {}
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://localhost") as api,
        get_client() as client,
    ):
        response = await api.post("/workflows/agent-analysis/runs", json={"parameters": API_RUN})
        report["api_start"] = {"status": response.status_code, "body": response.json()}
        status_url = response.json().get("status_url") if response.status_code == 202 else None
        pending = {*ids, "api"} if status_url else set(ids)
        while pending:
            if time.perf_counter() - started > timeout:
                report["timed_out"] = sorted(pending)
                break
            for key in sorted(pending):
                if key == "api":
                    body = (await api.get(str(status_url))).json()
                    if body["final"]:
                        body["seconds"] = round(time.perf_counter() - started, 2)
                        report["api"] = body
                        pending.discard(key)
                    continue
                flow_run = await client.read_flow_run(ids[key])
                state = flow_run.state
                if state is None or not state.is_final():
                    continue
                entry: dict[str, Any] = {
                    "state": state.name,
                    "seconds": round(time.perf_counter() - started, 2),
                }
                if state.is_completed():
                    entry["result"] = await state.aresult()
                else:
                    # The message names the exception; the exception itself is in result
                    # storage, pickled, and only readable where its class can be rebuilt.
                    entry["error"] = state.message
                report[key] = entry
                pending.discard(key)
            await asyncio.sleep(0.2)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.timeout)), default=str))
