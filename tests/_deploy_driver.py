"""Run by the *generated project's* Python in tests/test_deploy.py: trigger deployments, wait.

It talks to the Prefect server of PREFECT_API_URL, starts one run that completes and one that
fails through `arun_deployment(..., timeout=0)` (what a web app does: return at once, a worker
runs it), polls both until they end, and prints one JSON line: per run its state, result or error,
and how long it took. Everything is bounded by --timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from prefect.client.orchestration import get_client
from prefect.deployments import arun_deployment

RUNS: dict[str, tuple[str, dict[str, Any]]] = {
    "completes": (
        "Agent Analysis/agent-analysis",
        {"query": "What is 2 + 3?", "agent": "assistant"},
    ),
    "fails": ("Agent Analysis/agent-analysis", {"query": "hello", "agent": "no-such-agent"}),
}


async def main(timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    ids = {}
    for key, (deployment, parameters) in RUNS.items():
        flow_run = await arun_deployment(deployment, parameters=parameters, timeout=0)
        ids[key] = flow_run.id
    report: dict[str, Any] = {}
    async with get_client() as client:
        while len(report) < len(ids):
            if time.perf_counter() - started > timeout:
                pending = sorted(set(ids) - set(report))
                report["timed_out"] = pending
                break
            for key, run_id in ids.items():
                if key in report:
                    continue
                flow_run = await client.read_flow_run(run_id)
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
            await asyncio.sleep(0.2)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.timeout)), default=str))
