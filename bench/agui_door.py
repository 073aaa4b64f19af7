"""The AG-UI door (POST /agui) against the API's own routes, on one server and the same run.

One real uvicorn on 127.0.0.1 serving the rendered project's app (`api:create_app --factory`,
offline model, tracing off), input "What is 2 + 3?" to agent=assistant (a tool call: two model
calls), each run in a new session named by the client (an AG-UI thread; `session_id` on our
routes). Measured from a separate load-generator process, the routes alternately, several repeats:

  requests/s    POST /runs (JSON) vs POST /agui read to RUN_FINISHED, N concurrent clients;
                ratio agui / runs (the issue asks >= 0.95); and vs POST /runs/stream read whole
                (what streaming costs on the API's own route). The routes take turns every 25
                runs (SLICE), the first route changing each repeat: a burst of other work on
                this shared machine falls on all of them alike.
  server CPU    the server process's CPU ms per run of each route (/proc/<pid>/stat, over the
                same slices): what a route costs whatever else the machine runs; ratio
                runs / agui, so the same sense as requests/s (runs per CPU-second)
  first text    time to the first streamed text of the answer: the SSE route's first `token`
                event vs /agui's first TEXT_MESSAGE_CONTENT, one stream at a time, alternating
                (each route first in every other pair); ratio agui / sse (the issue asks <= 1.1)

  floor         (--floor) POST /runs and POST /runs/stream with no session_id (no owner check
                before the stream), measured in the same slices: what streaming a run costs
                over answering it in one JSON response, whatever the door

    python bench/agui_door.py [--requests 300] [--concurrency 8] [--repeats 3] [--streams 30]
                              [--floor]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import _project
import api_throughput

INPUT = "What is 2 + 3?"
EXPECTED = "5"


def _agui_body() -> dict[str, Any]:
    return {
        "threadId": str(uuid.uuid4()),
        "runId": str(uuid.uuid4()),
        "messages": [{"id": uuid.uuid4().hex, "role": "user", "content": INPUT}],
        "forwardedProps": {"agent": "assistant"},
    }


async def _agui_run(client: Any) -> tuple[float | None, str]:
    """One /agui run read to its end: (ms to the first text, the last event's type)."""
    start = time.perf_counter()
    first: float | None = None
    last = ""
    text = ""
    async with client.stream("POST", "/agui", json=_agui_body()) as response:
        if response.status_code != 200:
            raise SystemExit(f"/agui answered {response.status_code}")
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line.removeprefix("data: "))
            last = event["type"]
            if last == "TEXT_MESSAGE_CONTENT":
                first = first if first is not None else (time.perf_counter() - start) * 1000
                text += event["delta"]
    if last != "RUN_FINISHED" or EXPECTED not in text:
        raise SystemExit(f"/agui ended with {last!r}, text {text!r}")
    return first, last


async def _sse_first_text(client: Any) -> float:
    start = time.perf_counter()
    first: float | None = None
    body = {"input": INPUT, "agent": "assistant", "session_id": str(uuid.uuid4())}
    async with client.stream("POST", "/runs/stream", json=body) as response:
        async for line in response.aiter_lines():
            if first is None and line == "event: token":
                first = (time.perf_counter() - start) * 1000
    if first is None:
        raise SystemExit("/runs/stream sent no token")
    return first


SLICE = 25
"""Runs per route in a row: the routes take turns slice by slice within a repeat."""
ROUTES = ("runs", "agui", "sse")
FLOOR = ("runs_plain", "sse_plain")
"""With --floor: /runs and /runs/stream with no session_id (a new session, no owner check before
the stream): what a streamed run costs over a JSON one, whatever the door."""


async def _one(client: Any, route: str) -> None:
    """One run through `route`, read whole and checked."""
    if route == "agui":  # read whole, as /runs is: one parse of what the door sent
        response = await client.post("/agui", json=_agui_body())
        frames = response.text.split("\n\n")
        if response.status_code != 200 or '"RUN_FINISHED"' not in frames[-2]:
            raise SystemExit(f"/agui answered {response.status_code}: {response.text}")
        if f"{EXPECTED}." not in response.text:
            raise SystemExit(f"/agui did not answer {EXPECTED}: {response.text}")
        return
    body: dict[str, Any] = {"input": INPUT, "agent": "assistant"}
    if not route.endswith("_plain"):
        body["session_id"] = str(uuid.uuid4())
    if route.startswith("sse"):  # read whole too: what streaming itself costs, on our own route
        response = await client.post("/runs/stream", json=body)
        if response.status_code != 200 or "event: done" not in response.text:
            raise SystemExit(f"/runs/stream answered {response.status_code}")
        return
    response = await client.post("/runs", json=body)
    if response.status_code != 200 or EXPECTED not in response.json()["text"]:
        raise SystemExit(f"/runs answered {response.status_code}: {response.text}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _slice(url: str, route: str, total: int, concurrency: int) -> float:
    """`total` runs through `route` from `concurrency` clients; seconds they took."""
    import asyncio

    import httpx

    remaining = total
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await _one(client, route)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        start = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        return time.perf_counter() - start


async def _interleaved(
    url: str, pid: int, order: list[str], total: int, concurrency: int
) -> dict[str, dict[str, float]]:
    """`total` runs per route in slices of SLICE, the routes taking turns (a burst of other
    work on this shared machine falls on all alike): requests/s over the time each route's
    slices took, and the server's CPU ms per run (what the route costs, whatever the load)."""
    slices = max(1, total // SLICE)
    spent = dict.fromkeys(order, 0.0)
    cpu = dict.fromkeys(order, 0.0)
    for _ in range(slices):
        for route in order:
            before = _cpu_seconds(pid)
            spent[route] += await _slice(url, route, SLICE, concurrency)
            cpu[route] += _cpu_seconds(pid) - before
    runs = slices * SLICE
    return {
        route: {"rps": runs / spent[route], "cpu_ms": cpu[route] * 1000 / runs} for route in order
    }


async def _first_texts(url: str, count: int) -> dict[str, float]:
    import httpx

    sse: list[float] = []
    agui: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for number in range(count):  # alternately, each first in turn: the same machine
            if number % 2:
                sse.append(await _sse_first_text(client))
            first, _ = await _agui_run(client)
            assert first is not None
            agui.append(first)
            if not number % 2:
                sse.append(await _sse_first_text(client))
    return {"sse": _project.median(sse), "agui": _project.median(agui)}


def _worker(argv: list[str]) -> None:
    import asyncio

    parser = argparse.ArgumentParser()
    for name in ("requests", "concurrency", "repeats", "streams", "warmup"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("--floor", action="store_true")
    args = parser.parse_args(argv)
    routes = ROUTES + FLOOR if args.floor else ROUTES
    proc, url = api_throughput._start_server(["api:create_app", "--factory"], dict(os.environ))
    try:
        api_throughput._wait_ready(url, proc)

        async def measure() -> list[dict[str, float]]:
            for route in routes:  # warm-up: imports, first runs, connections
                await _slice(url, route, args.warmup, args.concurrency)
            await _first_texts(url, 3)
            repeats = []
            for repeat in range(args.repeats):
                # Alternate which route goes first, so none always meets a warmer process.
                order = list(routes) if repeat % 2 == 0 else list(reversed(routes))
                loads = await _interleaved(url, proc.pid, order, args.requests, args.concurrency)
                firsts = await _first_texts(url, args.streams)
                flat = {
                    f"{route}_{key}": value
                    for route in routes
                    for key, value in loads[route].items()
                }
                repeats.append({**flat, **firsts})
            return repeats

        result = asyncio.run(measure())
    finally:
        proc.terminate()
        proc.wait(30)
    print(json.dumps(result))


def report(repeats: list[dict[str, float]]) -> dict[str, Any]:
    def med(key: str) -> float:
        return _project.median([r[key] for r in repeats])

    runs, agui, sse_rps = med("runs_rps"), med("agui_rps"), med("sse_rps")
    runs_cpu, agui_cpu, sse_cpu = med("runs_cpu_ms"), med("agui_cpu_ms"), med("sse_cpu_ms")
    sse, first = med("sse"), med("agui")
    summary: dict[str, Any] = {
        "rps": {
            "runs": runs,
            "agui": agui,
            "ratio": _project.ratio(agui, runs),
            "sse": sse_rps,
            "ratio_sse": _project.ratio(agui, sse_rps),
        },
        # Runs per server CPU-second, as a ratio: runs' CPU per run / agui's (>= 0.95 asked).
        "cpu_ms": {
            "runs": runs_cpu,
            "agui": agui_cpu,
            "ratio": _project.ratio(runs_cpu, agui_cpu),
            "sse": sse_cpu,
            "ratio_sse": _project.ratio(sse_cpu, agui_cpu),
        },
        "first_text": {"sse": sse, "agui": first, "ratio": _project.ratio(first, sse)},
    }
    rows: list[list[object]] = [
        ["requests/s (N clients), vs POST /runs", runs, agui, summary["rps"]["ratio"], ">= 0.95"],
        ["requests/s, vs POST /runs/stream", sse_rps, agui, summary["rps"]["ratio_sse"], ""],
        [
            "server CPU ms per run, vs POST /runs",
            runs_cpu,
            agui_cpu,
            summary["cpu_ms"]["ratio"],
            "",
        ],
        [
            "server CPU ms per run, vs /runs/stream",
            sse_cpu,
            agui_cpu,
            summary["cpu_ms"]["ratio_sse"],
            "",
        ],
        ["first streamed text ms", sse, first, summary["first_text"]["ratio"], "<= 1.1"],
    ]
    headers = ["metric (median over repeats)", "/runs, /runs/stream", "/agui", "agui / ours"]
    print(_project.table([*headers, "asked"], rows))
    if "sse_plain_cpu_ms" in repeats[0]:  # --floor
        plain, streamed = med("runs_plain_cpu_ms"), med("sse_plain_cpu_ms")
        plain_rps, streamed_rps = med("runs_plain_rps"), med("sse_plain_rps")
        summary["floor"] = {
            "cpu_ms": {"runs": plain, "sse": streamed, "ratio": _project.ratio(plain, streamed)},
            "rps": {"runs": plain_rps, "sse": streamed_rps},
        }
        floor_rows: list[list[object]] = [
            ["server CPU ms per run", plain, streamed, summary["floor"]["cpu_ms"]["ratio"]],
            ["requests/s", plain_rps, streamed_rps, _project.ratio(streamed_rps, plain_rps)],
        ]
        floor_headers = ["floor: no session_id", "/runs", "/runs/stream", "streamed / JSON"]
        print(_project.table(floor_headers, floor_rows))
    print("(CPU rows: ratio = ours / agui, so above 1 means /agui costs less per run)")
    return summary


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="runs per route and repeat")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--repeats", type=int, default=3, help="repeats (default 3)")
    parser.add_argument("--streams", type=int, default=30, help="first-text runs per repeat")
    parser.add_argument("--warmup", type=int, default=50, help="untimed runs per route")
    parser.add_argument(
        "--floor", action="store_true", help="also /runs and /runs/stream with no session_id"
    )
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)

    print(f"== agui_door: {_project.machine_line()}, load {_load_average()}")
    project = _project.render_project()
    python = api_throughput.project_python(project)
    start = time.perf_counter()
    worker_args = [
        f"--requests={args.requests}",
        f"--concurrency={args.concurrency}",
        f"--repeats={args.repeats}",
        f"--streams={args.streams}",
        f"--warmup={args.warmup}",
        *(["--floor"] if args.floor else []),
    ]
    result = _project.run_worker(
        Path(__file__).resolve(), worker_args, project, python=python, timeout=1800
    )
    summary = report(result)
    print(f"({time.perf_counter() - start:.0f} s; load average after: {_load_average()})")
    _project.write_json(args.json, {"agui_door": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
