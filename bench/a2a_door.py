"""The A2A door (JSON-RPC `POST /a2a`) against the project's own routes, on the same run.

One real uvicorn (the project's app, `uvicorn api:create_app --factory`, one worker), the
offline model, tracing off; the same input to the same agent ("assistant", named in the
message's metadata as a skill id) through both doors:

  requests/s   A2A `message/send` (a new task in a new context per request, read to its
               `completed` task) vs **baseline** POST /runs (a new session per request),
               N concurrent clients, the doors taking turns every 25 requests
  first token  A2A `message/stream` (first SSE event carrying text of the answer: an
               `artifact-update`) vs **baseline** POST /runs/stream (first `token` event),
               one stream at a time, alternating door by door

Printed: medians over repeats (the two doors measured alternately in each repeat) and the ratios
door / baseline. The issue's targets: requests/s ratio >= 0.95, first-token ratio <= 1.1.

    python bench/a2a_door.py [--requests 300] [--concurrency 8] [--repeats 3]
                             [--task-store shared|memory]

`--task-store` sets the server's A2A_TASK_STORE (default: the project's, `shared`: the tasks in
a SQLite file beside the sessions; `memory`: in the process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import _project
import api_throughput

INPUT = "What is 2 + 3?"
EXPECTED = "5"
DOORS = ("runs", "a2a")
SLICE = 25
"""Requests per door in a row: the doors take turns slice by slice within a repeat."""


def _a2a_body(method: str) -> dict[str, Any]:
    """A JSON-RPC request with a new message (so a new task and a new context), A2A 0.3 names."""
    message = {
        "messageId": uuid.uuid4().hex,
        "role": "user",
        "parts": [{"kind": "text", "text": INPUT}],
        "metadata": {"agent": "assistant"},
    }
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": {"message": message}}


def _request(door: str, stream: bool) -> tuple[str, dict[str, Any]]:
    if door == "runs":
        return ("/runs/stream" if stream else "/runs"), {"input": INPUT, "agent": "assistant"}
    return "/a2a", _a2a_body("message/stream" if stream else "message/send")


def _answer(door: str, body: dict[str, Any]) -> str:
    if door == "runs":
        return str(body["text"])
    task = body["result"]
    if task["status"]["state"] != "completed":
        return ""
    return "".join(part.get("text", "") for part in task["artifacts"][0]["parts"])


def _is_token(door: str, data: str) -> bool:
    """The SSE `data` carries streamed text of the answer."""
    event = json.loads(data)
    if door == "runs":
        return bool(event.get("type") == "token")
    result = event.get("result") or {}
    if result.get("kind") != "artifact-update":
        return False
    return any(part.get("text") for part in result["artifact"]["parts"])


async def _load(url: str, door: str, total: int, concurrency: int) -> dict[str, float]:
    import asyncio

    import httpx

    latencies: list[float] = []
    remaining = total
    clock = time.perf_counter
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            path, body = _request(door, stream=False)
            start = clock()
            response = await client.post(path, json=body)
            latencies.append((clock() - start) * 1000)
            if response.status_code != 200 or EXPECTED not in _answer(door, response.json()):
                raise SystemExit(f"{path} answered {response.status_code}: {response.text}")

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        start = clock()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = clock() - start
    return {"rps": total / elapsed, "p50": _project.percentile(latencies, 50)}


async def _interleaved_loads(
    url: str, order: list[str], total: int, concurrency: int
) -> dict[str, dict[str, float]]:
    """`total` requests per door, sent in slices of SLICE that alternate between the doors (a
    burst of other work on this shared machine falls on both alike): requests/s over the
    time each door's slices took, and the median of their p50s."""
    slices = max(1, total // SLICE)
    spent = {door: 0.0 for door in order}
    p50s: dict[str, list[float]] = {door: [] for door in order}
    for _ in range(slices):
        for door in order:
            measured = await _load(url, door, SLICE, concurrency)
            spent[door] += SLICE / measured["rps"]
            p50s[door].append(measured["p50"])
    return {
        door: {"rps": slices * SLICE / spent[door], "p50": _project.median(p50s[door])}
        for door in order
    }


async def _first_tokens(url: str, count: int) -> dict[str, float]:
    """`count` streams per door, one at a time and alternating door by door: median ms to the
    first streamed text."""
    import httpx

    first: dict[str, list[float]] = {door: [] for door in DOORS}
    clock = time.perf_counter
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for number in range(count * len(DOORS)):
            door = DOORS[number % len(DOORS)]
            path, body = _request(door, stream=True)
            start = clock()
            seen = None
            async with client.stream("POST", path, json=body) as response:
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
                async for line in response.aiter_lines():
                    data = line[5:].strip() if line.startswith("data:") else None
                    if seen is None and data and _is_token(door, data):
                        seen = (clock() - start) * 1000
            if seen is None:
                raise SystemExit(f"{path} streamed no text")
            first[door].append(seen)
    return {door: _project.median(times) for door, times in first.items()}


def _worker(argv: list[str]) -> None:
    import asyncio

    parser = argparse.ArgumentParser()
    for name in ("requests", "concurrency", "repeats", "streams", "warmup"):
        parser.add_argument(f"--{name}", type=int, required=True)
    args = parser.parse_args(argv)
    proc, url = api_throughput._start_server(["api:create_app", "--factory"], dict(os.environ))
    try:
        api_throughput._wait_ready(url, proc)

        async def measure() -> dict[str, list[dict[str, float]]]:
            for door in DOORS:  # warm-up: imports, first runs, connections
                await _load(url, door, args.warmup, args.concurrency)
            await _first_tokens(url, 3)
            results: dict[str, list[dict[str, float]]] = {door: [] for door in DOORS}
            for repeat in range(args.repeats):
                # Alternate which door goes first, so neither always meets a warmer process.
                order = list(DOORS) if repeat % 2 == 0 else list(reversed(DOORS))
                loads = await _interleaved_loads(url, order, args.requests, args.concurrency)
                tokens = await _first_tokens(url, args.streams)
                for door in DOORS:
                    results[door].append({**loads[door], "first_token": tokens[door]})
            return results

        result = asyncio.run(measure())
    finally:
        proc.terminate()
        proc.wait(30)
    print(json.dumps(result))


def report(result: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    metrics = {
        "rps": ("requests/s", ">= 0.95"),
        "p50": ("p50 latency ms", ""),
        "first_token": ("first streamed token ms", "<= 1.1"),
    }
    summary: dict[str, Any] = {}
    rows: list[list[object]] = []
    for key, (label, target) in metrics.items():
        door, base = (_project.median([r[key] for r in result[name]]) for name in ("a2a", "runs"))
        summary[key] = {"a2a": door, "runs": base, "ratio": _project.ratio(door, base)}
        rows.append([label, door, base, summary[key]["ratio"], target])
    headers = ["metric (median over repeats)", "/a2a", "/runs (/runs/stream)", "ratio", "target"]
    print(_project.table(headers, rows))
    return summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per door and repeat")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--repeats", type=int, default=3, help="repeats (default 3)")
    parser.add_argument("--streams", type=int, default=30, help="streams per door and repeat")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per door")
    parser.add_argument(
        "--task-store", choices=["shared", "memory"], help="A2A_TASK_STORE of the server"
    )
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)

    print(f"== a2a_door: {_project.machine_line()}")
    project = _project.render_project()
    python = api_throughput.project_python(project)
    work = _project.temp_dir("bench-a2a-")
    data_dir = work / "data"
    data_dir.mkdir()
    start = time.perf_counter()
    worker_args = [
        f"--{name}={getattr(args, name)}"
        for name in ("requests", "concurrency", "repeats", "streams", "warmup")
    ]
    proc = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", *worker_args],
        cwd=work,
        env=_project.worker_env(project, data_dir, A2A_TASK_STORE=args.task_store),
        stdout=subprocess.PIPE,
        text=True,
        timeout=1800,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"the a2a_door worker failed with exit code {proc.returncode}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"input {INPUT!r} to agent 'assistant' (a calculator call), {args.concurrency} "
        f"concurrent clients, {args.requests} requests and {args.streams} streams per door and "
        f"repeat, {args.repeats} repeats, A2A_TASK_STORE={args.task_store or 'default'}"
    )
    summary = report(result)
    print(f"(worker took {time.perf_counter() - start:.1f} s)")
    _project.write_json(args.json, {"a2a_door": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
