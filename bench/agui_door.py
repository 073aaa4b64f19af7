"""The AG-UI door (POST /agui) against the API's own routes, on one server and the same run.

One real uvicorn on 127.0.0.1 serving the rendered project's app (`api:create_app --factory`,
offline model, tracing off), input "What is 2 + 3?" to agent=assistant (a tool call: two model
calls), each run in a new session named by the client (an AG-UI thread; `session_id` on our
routes). Measured from a separate load-generator process, the routes alternately, several repeats:

  requests/s    POST /runs (JSON) vs POST /agui read to RUN_FINISHED, N concurrent clients;
                ratio agui / runs (the issue asks >= 0.95); and vs POST /runs/stream read whole
                (what streaming costs on the API's own route)
  first text    time to the first streamed text of the answer: the SSE route's first `token`
                event vs /agui's first TEXT_MESSAGE_CONTENT, one stream at a time;
                ratio agui / sse (the issue asks <= 1.1)

    python bench/agui_door.py [--requests 300] [--concurrency 8] [--repeats 3] [--streams 30]
"""

from __future__ import annotations

import argparse
import json
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


async def _throughput(url: str, route: str, total: int, concurrency: int) -> float:
    import asyncio

    import httpx

    remaining = total
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            if route == "agui":  # read whole, as /runs is: one parse of what the door sent
                response = await client.post("/agui", json=_agui_body())
                frames = response.text.split("\n\n")
                if response.status_code != 200 or '"RUN_FINISHED"' not in frames[-2]:
                    raise SystemExit(f"/agui answered {response.status_code}: {response.text}")
                if f"{EXPECTED}." not in response.text:
                    raise SystemExit(f"/agui did not answer {EXPECTED}: {response.text}")
                continue
            body = {"input": INPUT, "agent": "assistant", "session_id": str(uuid.uuid4())}
            if route == "sse":  # read whole too: what streaming itself costs, on our own route
                response = await client.post("/runs/stream", json=body)
                if response.status_code != 200 or "event: done" not in response.text:
                    raise SystemExit(f"/runs/stream answered {response.status_code}")
                continue
            response = await client.post("/runs", json=body)
            if response.status_code != 200 or EXPECTED not in response.json()["text"]:
                raise SystemExit(f"/runs answered {response.status_code}: {response.text}")

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        start = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        return total / (time.perf_counter() - start)


async def _first_texts(url: str, count: int) -> dict[str, float]:
    import httpx

    sse: list[float] = []
    agui: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(count):  # alternately, so both see the same machine
            sse.append(await _sse_first_text(client))
            first, _ = await _agui_run(client)
            assert first is not None
            agui.append(first)
    return {"sse": _project.median(sse), "agui": _project.median(agui)}


def _worker(argv: list[str]) -> None:
    import asyncio
    import os

    parser = argparse.ArgumentParser()
    for name in ("requests", "concurrency", "repeats", "streams", "warmup"):
        parser.add_argument(f"--{name}", type=int, required=True)
    args = parser.parse_args(argv)
    proc, url = api_throughput._start_server(["api:create_app", "--factory"], dict(os.environ))
    try:
        api_throughput._wait_ready(url, proc)

        async def measure() -> list[dict[str, float]]:
            await _throughput(url, "runs", args.warmup, args.concurrency)
            await _throughput(url, "agui", args.warmup, args.concurrency)
            await _first_texts(url, 3)
            repeats = []
            for _ in range(args.repeats):
                runs = await _throughput(url, "runs", args.requests, args.concurrency)
                agui = await _throughput(url, "agui", args.requests, args.concurrency)
                sse = await _throughput(url, "sse", args.requests, args.concurrency)
                firsts = await _first_texts(url, args.streams)
                repeats.append({"runs_rps": runs, "agui_rps": agui, "sse_rps": sse, **firsts})
            return repeats

        result = asyncio.run(measure())
    finally:
        proc.terminate()
        proc.wait(30)
    print(json.dumps(result))


def report(repeats: list[dict[str, float]]) -> dict[str, Any]:
    runs, agui, sse_rps = (
        _project.median([r[k] for r in repeats]) for k in ("runs_rps", "agui_rps", "sse_rps")
    )
    sse, first = (_project.median([r[k] for r in repeats]) for k in ("sse", "agui"))
    summary = {
        "rps": {
            "runs": runs,
            "agui": agui,
            "ratio": _project.ratio(agui, runs),
            "sse": sse_rps,
            "ratio_sse": _project.ratio(agui, sse_rps),
        },
        "first_text": {"sse": sse, "agui": first, "ratio": _project.ratio(first, sse)},
    }
    rows: list[list[object]] = [
        ["requests/s (N clients), vs POST /runs", runs, agui, summary["rps"]["ratio"], ">= 0.95"],
        ["requests/s, vs POST /runs/stream", sse_rps, agui, summary["rps"]["ratio_sse"], ""],
        ["first streamed text ms", sse, first, summary["first_text"]["ratio"], "<= 1.1"],
    ]
    headers = ["metric (median over repeats)", "/runs, /runs/stream", "/agui", "agui / ours"]
    print(_project.table([*headers, "asked"], rows))
    return summary


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
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)

    print(f"== agui_door: {_project.machine_line()}")
    project = _project.render_project()
    python = api_throughput.project_python(project)
    work = _project.temp_dir("bench-agui-")
    data_dir = work / "data"
    data_dir.mkdir()
    start = time.perf_counter()
    worker_args = [
        f"--requests={args.requests}",
        f"--concurrency={args.concurrency}",
        f"--repeats={args.repeats}",
        f"--streams={args.streams}",
        f"--warmup={args.warmup}",
    ]
    proc = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", *worker_args],
        cwd=work,
        env=_project.worker_env(project, data_dir),
        stdout=subprocess.PIPE,
        text=True,
        timeout=1800,
        check=True,
    )
    summary = report(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(f"({time.perf_counter() - start:.0f} s)")
    _project.write_json(args.json, {"agui_door": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
