"""A protocol door against the API's own routes, on one server and the same run.

What `openai_door.py` and `a2a_door.py` share: one real uvicorn serving the rendered project's
app (`api:create_app --factory`, the offline model, tracing off) in a worker process, the same
input to the same agent ("assistant") through the door and through the baseline (`POST /runs`,
`POST /runs/stream`), measured alternately:

  requests/s   N concurrent clients, each request a new conversation, the two taking turns
               every SLICE requests (a burst of other work on this shared machine falls on both)
  first token  one stream at a time, alternating door by door: ms to the first streamed text

A door says how to build its request, read its answer and spot streamed text (`Door`); this
module does the rest, the worker's measuring and the parent's report included.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _project
import api_throughput

INPUT = "What is 2 + 3?"
EXPECTED = "5"
SLICE = 25
"""Requests per door in a row: the doors take turns slice by slice within a repeat."""
COUNTS = ("requests", "concurrency", "repeats", "streams", "warmup")
TARGETS = {
    "rps": ("requests/s", ">= 0.95"),
    "p50": ("p50 latency ms", ""),
    "first_token": ("first streamed token ms", "<= 1.1"),
}


@dataclass(frozen=True)
class Door:
    name: str
    request: Callable[[bool], tuple[str, dict[str, Any]]]
    """(path, JSON body) of one new conversation; streamed when the argument is true."""
    answer: Callable[[dict[str, Any]], str]
    """The answer's text in a (non-streamed) response body."""
    is_token: Callable[[str], bool]
    """Whether an SSE event's `data` carries streamed text of the answer."""


def _runs_request(stream: bool) -> tuple[str, dict[str, Any]]:
    return ("/runs/stream" if stream else "/runs"), {"input": INPUT, "agent": "assistant"}


RUNS = Door(
    "runs",
    _runs_request,
    lambda body: str(body["text"]),
    lambda data: json.loads(data).get("type") == "token",
)
"""The baseline: the API's own routes."""


async def _load(url: str, door: Door, total: int, concurrency: int) -> dict[str, float]:
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
            path, body = door.request(False)
            start = clock()
            response = await client.post(path, json=body)
            latencies.append((clock() - start) * 1000)
            if response.status_code != 200 or EXPECTED not in door.answer(response.json()):
                raise SystemExit(f"{path} answered {response.status_code}: {response.text}")

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        start = clock()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = clock() - start
    return {"rps": total / elapsed, "p50": _project.percentile(latencies, 50)}


async def _interleaved_loads(
    url: str, order: list[Door], total: int, concurrency: int
) -> dict[str, dict[str, float]]:
    """`total` requests per door in slices of SLICE alternating between the doors: requests/s
    over the time each door's slices took, and the median of their p50s."""
    slices = max(1, total // SLICE)
    spent = {door.name: 0.0 for door in order}
    p50s: dict[str, list[float]] = {door.name: [] for door in order}
    for _ in range(slices):
        for door in order:
            measured = await _load(url, door, SLICE, concurrency)
            spent[door.name] += SLICE / measured["rps"]
            p50s[door.name].append(measured["p50"])
    return {
        name: {"rps": slices * SLICE / spent[name], "p50": _project.median(p50s[name])}
        for name in spent
    }


async def _first_tokens(url: str, doors: list[Door], count: int) -> dict[str, float]:
    """`count` streams per door, one at a time and alternating door by door (the machine's
    drift falls on both alike): median ms to the first streamed text."""
    import httpx

    first: dict[str, list[float]] = {door.name: [] for door in doors}
    clock = time.perf_counter
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for number in range(count * len(doors)):
            door = doors[number % len(doors)]
            path, body = door.request(True)
            start = clock()
            seen = None
            async with client.stream("POST", path, json=body) as response:
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
                async for line in response.aiter_lines():
                    data = line[5:].strip() if line.startswith("data:") else None
                    if seen is None and data and data != "[DONE]" and door.is_token(data):
                        seen = (clock() - start) * 1000
            if seen is None:
                raise SystemExit(f"{path} streamed no text")
            first[door.name].append(seen)
    return {name: _project.median(times) for name, times in first.items()}


def worker(door: Door, argv: list[str]) -> None:
    """The worker process: serve the app, measure both doors, print the result as JSON."""
    import asyncio

    parser = argparse.ArgumentParser()
    for name in COUNTS:
        parser.add_argument(f"--{name}", type=int, required=True)
    args = parser.parse_args(argv)
    doors = [RUNS, door]
    proc, url = api_throughput._start_server(["api:create_app", "--factory"], dict(os.environ))
    try:
        api_throughput._wait_ready(url, proc)

        async def measure() -> dict[str, list[dict[str, float]]]:
            for each in doors:  # warm-up: imports, first runs, connections
                await _load(url, each, args.warmup, args.concurrency)
            await _first_tokens(url, doors, 3)
            results: dict[str, list[dict[str, float]]] = {each.name: [] for each in doors}
            for repeat in range(args.repeats):
                # Alternate which door goes first, so neither always meets a warmer process.
                order = doors if repeat % 2 == 0 else doors[::-1]
                loads = await _interleaved_loads(url, order, args.requests, args.concurrency)
                tokens = await _first_tokens(url, doors, args.streams)
                for each in doors:
                    results[each.name].append(
                        {**loads[each.name], "first_token": tokens[each.name]}
                    )
            return results

        result = asyncio.run(measure())
    finally:
        proc.terminate()
        proc.wait(30)
    print(json.dumps(result))


def report(
    door: Door, result: dict[str, list[dict[str, float]]], columns: tuple[str, str]
) -> dict[str, Any]:
    """The table of medians over repeats and ratios door / baseline; the summary for run_all."""
    summary: dict[str, Any] = {}
    rows: list[list[object]] = []
    for key, (label, target) in TARGETS.items():
        ours, base = (
            _project.median([r[key] for r in result[name]]) for name in (door.name, "runs")
        )
        summary[key] = {door.name: ours, "runs": base, "ratio": _project.ratio(ours, base)}
        rows.append([label, ours, base, summary[key]["ratio"], target])
    print(_project.table(["metric (median over repeats)", *columns, "ratio", "target"], rows))
    return summary


def parser(description: str) -> argparse.ArgumentParser:
    """The command line every door benchmark takes (a door may add its own options)."""
    result = argparse.ArgumentParser(description=description)
    result.add_argument("--requests", type=int, default=300, help="requests per door and repeat")
    result.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    result.add_argument("--repeats", type=int, default=3, help="repeats (default 3)")
    result.add_argument("--streams", type=int, default=30, help="streams per door and repeat")
    result.add_argument("--warmup", type=int, default=50, help="untimed requests per door")
    result.add_argument("--json", help="write the summary here (run_all.py)")
    return result


def run(
    script: str,
    door: Door,
    args: argparse.Namespace,
    columns: tuple[str, str],
    **env: str | None,
) -> int:
    """The parent process: render the project, run `script`'s worker, print the report."""
    print(f"== {door.name}_door: {_project.machine_line()}")
    project = _project.render_project()
    start = time.perf_counter()
    result = _project.run_worker(
        Path(script).resolve(),
        [f"--{name}={getattr(args, name)}" for name in COUNTS],
        project,
        python=api_throughput.project_python(project),
        timeout=1800,
        **env,
    )
    settings = " ".join(f"{key}={value or 'default'}" for key, value in env.items())
    print(
        f"input {INPUT!r} to agent 'assistant' (a calculator call), {args.concurrency} "
        f"concurrent clients, {args.requests} requests and {args.streams} streams per door and "
        f"repeat, {args.repeats} repeats{', ' + settings if settings else ''}"
    )
    summary = report(door, result, columns)
    print(f"(worker took {time.perf_counter() - start:.1f} s)")
    _project.write_json(args.json, {f"{door.name}_door": summary})
    return 0


def main(script: str, door: Door, columns: tuple[str, str], argv: list[str] | None) -> int:
    """A door benchmark's command line without options of its own."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        worker(door, argv[1:])
        return 0
    return run(script, door, parser(door.name).parse_args(argv), columns)
