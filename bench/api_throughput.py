"""Throughput and latency of the HTTP API (include_api) against a bare FastAPI app on the SDK.

Three servers, each a real uvicorn on 127.0.0.1 with one worker (its own process, default
h11/asyncio as the generated project installs it), on the same `OfflineModel` with tracing off:

  api    the project's app (`uvicorn api:create_app --factory`): POST /runs with
         agent=assistant (orchestrator, guardrail, a new SQLite session per run, JSON errors)
         and POST /runs/stream (sse-starlette, the framework's events)
  bare   **baseline**: a FastAPI app whose POST /runs awaits `Runner.run(agent, input)` and
         whose POST /runs/stream sends each `Runner.run_streamed` event with sse-starlette; the
         agent is the assistant's (same instructions, calculator tool and no_secrets guardrail),
         no session
  bare+session   the same bare app with a new SDK `SQLiteSession` per run on a file in DATA_DIR
         (the like-for-like baseline: the api stores every run's history the same way)

Measured from a separate load-generator process (httpx, async): requests per second and p50/p99
latency of POST /runs with N concurrent clients, and time to the first SSE event (and to the
end of the stream) of POST /runs/stream, one stream at a time. Input "What is 2 + 3?" (a tool
call: two model calls; every answer is checked). The servers are measured alternately, several
repeats each; printed are medians over repeats and ratios api / bare and api / bare+session.

It runs in the rendered project's own environment (`uv sync --no-dev --inexact` in it), so it
measures the FastAPI, Starlette and uvicorn versions a generated project resolves, whatever the
template repo's dev environment pins.

    python bench/api_throughput.py [--requests 300] [--concurrency 8] [--repeats 3]

`--scale-out` measures instead how the API scales with processes on shared sessions: a project
rendered with session_backend=redis, served by uvicorn with 1 worker process and with 2 (the
same app, `serve --workers 2`), every run storing its history in one real Redis
(AGENTS_TEST_REDIS_URL, or --redis-url): requests/s and latency of POST /runs, and the ratio
2 processes / 1 process (the baseline). The load generator shares the machine's cores.

    python bench/api_throughput.py --scale-out [--redis-url redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _project

INPUT = "What is 2 + 3?"
EXPECTED = "5"

BARE_APP = '''"""Baseline of bench/api_throughput.py: FastAPI endpoints calling the SDK's Runner."""

import json
import os
import uuid
from typing import Any

from agents import Agent, Runner, SQLiteSession, set_tracing_disabled
from fastapi import FastAPI
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent

from agents_core import OfflineModel, get_agent_registry, get_guardrail_registry, get_tool_registry

set_tracing_disabled(True)
definition = get_agent_registry().get("assistant")
agent = Agent(
    name="assistant",
    instructions=definition.render_instructions(None),
    tools=get_tool_registry().get_tool_functions(definition.tools),
    input_guardrails=get_guardrail_registry().get_guardrails(definition.guardrails),
    model=OfflineModel(),
)


SESSION_DB = os.environ.get("BARE_SESSION_DB")  # set: a new SDK SQLiteSession per run


def session() -> SQLiteSession | None:
    return SQLiteSession(uuid.uuid4().hex, SESSION_DB) if SESSION_DB else None


class Body(BaseModel):
    input: str


app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/runs")
async def run(body: Body) -> dict[str, Any]:
    result = await Runner.run(agent, body.input, session=session())
    return {"text": str(result.final_output)}


@app.post("/runs/stream")
def stream(body: Body) -> EventSourceResponse:
    async def events():
        result = Runner.run_streamed(agent, body.input, session=session())
        seq = 0
        async for event in result.stream_events():
            data = json.dumps({"type": event.type})
            yield ServerSentEvent(data=data, event=event.type, id=str(seq))
            seq += 1
        done = {"type": "done", "text": str(result.final_output)}
        yield ServerSentEvent(data=json.dumps(done), event="done", id=str(seq))

    return EventSourceResponse(events())
'''


# --- worker: the load generator, in the rendered project's environment ------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_server(
    target: list[str], env: dict[str, str], workers: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    cmd += ["--timeout-graceful-shutdown", "2"]
    return subprocess.Popen(cmd, env=env), f"http://127.0.0.1:{port}"


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {proc.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server for {url} did not start in {timeout:.0f} s")


async def _load(url: str, body: dict[str, Any], total: int, concurrency: int) -> dict[str, Any]:
    """`total` POST /runs from `concurrency` clients; requests/s and latencies (ms)."""
    import httpx

    latencies: list[float] = []
    remaining = total
    clock = time.perf_counter
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = clock()
            response = await client.post("/runs", json=body)
            latencies.append((clock() - start) * 1000)
            if response.status_code != 200 or EXPECTED not in response.json()["text"]:
                raise SystemExit(f"{url}/runs answered {response.status_code}: {response.text}")

    import asyncio

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        start = clock()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = clock() - start
    return {
        "rps": total / elapsed,
        "p50": _project.percentile(latencies, 50),
        "p99": _project.percentile(latencies, 99),
    }


async def _streams(url: str, body: dict[str, Any], count: int) -> dict[str, Any]:
    """`count` SSE runs one after the other: time to the first event and to the stream's end."""
    import httpx

    first: list[float] = []
    whole: list[float] = []
    clock = time.perf_counter
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(count):
            start = clock()
            seen_first, last_data = False, ""
            async with client.stream("POST", "/runs/stream", json=body) as response:
                if response.status_code != 200:
                    raise SystemExit(f"{url}/runs/stream answered {response.status_code}")
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        if not seen_first:
                            first.append((clock() - start) * 1000)
                            seen_first = True
                        last_data = line
            whole.append((clock() - start) * 1000)
            if '"done"' not in last_data:
                raise SystemExit(f"{url}/runs/stream did not end with done: {last_data!r}")
    return {"ttfe": _project.median(first), "stream": _project.median(whole)}


def _scale_out_worker(args: argparse.Namespace) -> None:
    """1 uvicorn process vs 2 on the same Redis sessions (SESSION_URL): POST /runs only."""
    import asyncio

    env = dict(os.environ)
    body = {"input": INPUT, "agent": "assistant"}
    servers = {
        "1 process": _start_server(["api:create_app", "--factory"], env, workers=1),
        "2 processes": _start_server(["api:create_app", "--factory"], env, workers=2),
    }
    try:
        for proc, url in servers.values():
            _wait_ready(url, proc)

        async def measure() -> dict[str, Any]:
            for _, url in servers.values():
                # Warm-up: with 2 processes each must have imported and run once.
                await _load(url, body, args.warmup, args.concurrency)
            results: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
            for _ in range(args.repeats):
                for name, (_, url) in servers.items():
                    results[name].append(await _load(url, body, args.requests, args.concurrency))
            return results

        result = asyncio.run(measure())
    finally:
        for proc, _ in servers.values():
            proc.terminate()
        for proc, _ in servers.values():
            proc.wait(30)
    print(json.dumps(result))


def _worker(argv: list[str]) -> None:
    import asyncio

    parser = argparse.ArgumentParser()
    for name in ("requests", "concurrency", "repeats", "streams", "warmup"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("--scale-out", action="store_true")
    args = parser.parse_args(argv)
    if args.scale_out:
        _scale_out_worker(args)
        return

    bare_dir = Path.cwd() / "bare"
    bare_dir.mkdir()
    (bare_dir / "bench_bare_app.py").write_text(BARE_APP, encoding="utf-8")
    env = dict(os.environ)
    bare_env = dict(env, PYTHONPATH=f"{bare_dir}{os.pathsep}{env['PYTHONPATH']}")
    session_db = str(Path(env["DATA_DIR"]) / "bare_sessions.db")
    servers = {
        "bare": _start_server(["bench_bare_app:app"], bare_env),
        "bare+session": _start_server(
            ["bench_bare_app:app"], dict(bare_env, BARE_SESSION_DB=session_db)
        ),
        "api": _start_server(["api:create_app", "--factory"], env),
    }
    bare_body = {"input": INPUT}
    bodies = {
        "bare": bare_body,
        "bare+session": bare_body,
        "api": {"input": INPUT, "agent": "assistant"},
    }
    try:
        for proc, url in servers.values():
            _wait_ready(url, proc)

        async def measure() -> dict[str, Any]:
            for name, (_, url) in servers.items():  # warm-up: imports, first runs, connections
                await _load(url, bodies[name], args.warmup, args.concurrency)
                await _streams(url, bodies[name], 3)
            results: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
            for _ in range(args.repeats):
                for name, (_, url) in servers.items():
                    load = await _load(url, bodies[name], args.requests, args.concurrency)
                    streams = await _streams(url, bodies[name], args.streams)
                    results[name].append({**load, **streams})
            return results

        result = asyncio.run(measure())
    finally:
        for proc, _ in servers.values():
            proc.terminate()
        for proc, _ in servers.values():
            proc.wait(30)
    print(json.dumps(result))


# --- the parent: render, sync the project's environment, report -------------------------------


def project_python(project: Path) -> Path:
    """The rendered project's own interpreter, after `uv sync --no-dev --inexact` in it."""
    uv = shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is not on PATH: it installs the rendered project's environment")
    if not (project / "api" / "__init__.py").is_file():
        raise SystemExit(f"{project} has no api package: render it with include_api=true")
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
    env.pop("VIRTUAL_ENV", None)  # the project's .venv, not the caller's
    subprocess.run(
        [uv, "sync", "--no-dev", "--inexact", "--quiet"], cwd=project, env=env, check=True
    )
    return project / ".venv" / "bin" / "python"


def report(result: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    metrics = {
        "rps": "requests/s (POST /runs)",
        "p50": "p50 latency ms (POST /runs)",
        "p99": "p99 latency ms (POST /runs)",
        "ttfe": "first SSE event ms",
        "stream": "whole SSE run ms",
    }
    summary: dict[str, Any] = {}
    rows: list[list[object]] = []
    for key, label in metrics.items():
        api, bare, bare_session = (
            _project.median([r[key] for r in result[name]])
            for name in ("api", "bare", "bare+session")
        )
        summary[key] = {
            "api": api,
            "bare": bare,
            "bare+session": bare_session,
            "ratio": _project.ratio(api, bare),
            "ratio_session": _project.ratio(api, bare_session),
        }
        rows.append(
            [label, api, bare, bare_session, summary[key]["ratio"], summary[key]["ratio_session"]]
        )
    headers = ["metric (median over repeats)", "api", "bare", "bare+session"]
    print(_project.table([*headers, "api / bare", "api / bare+session"], rows))
    return summary


def report_scale_out(result: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    rows: list[list[object]] = []
    for key, label in {
        "rps": "requests/s (POST /runs)",
        "p50": "p50 latency ms",
        "p99": "p99 latency ms",
    }.items():
        one, two = (_project.median([r[key] for r in result[n]]) for n in result)
        summary[key] = {"1 process": one, "2 processes": two, "ratio": _project.ratio(two, one)}
        rows.append([label, one, two, summary[key]["ratio"]])
    headers = ["metric (median over repeats)", "1 process", "2 processes", "2 / 1"]
    print(_project.table(headers, rows))
    return summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="POST /runs per repeat")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per server (default 3)")
    parser.add_argument("--streams", type=int, default=30, help="SSE runs per repeat")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests per server")
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="1 vs 2 server processes on Redis sessions (instead of api vs bare)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("AGENTS_TEST_REDIS_URL", ""),
        help="Redis of --scale-out (default: $AGENTS_TEST_REDIS_URL)",
    )
    args = parser.parse_args(argv)
    if args.scale_out and not args.redis_url:
        parser.error("--scale-out needs a Redis server: --redis-url or AGENTS_TEST_REDIS_URL")

    print(f"== api_throughput{' --scale-out' if args.scale_out else ''}: {_project.machine_line()}")
    if args.scale_out:
        project = _project.render_project(session_backend="redis")
    else:
        project = _project.render_project()
    python = project_python(project)
    start = time.perf_counter()
    worker_args = [
        f"--requests={args.requests}",
        f"--concurrency={args.concurrency}",
        f"--repeats={args.repeats}",
        f"--streams={args.streams}",
        f"--warmup={args.warmup}",
    ]
    extra_env: dict[str, str | None] = {}
    if args.scale_out:
        worker_args.append("--scale-out")
        extra_env["SESSION_URL"] = args.redis_url
    result = _project.run_worker(
        Path(__file__).resolve(), worker_args, project, python=python, timeout=1800, **extra_env
    )
    if args.scale_out:
        print(
            f"input {INPUT!r} (a calculator call), Redis sessions, {args.concurrency} concurrent "
            f"clients, {args.requests} requests per repeat, {args.repeats} repeats"
        )
        summary = report_scale_out(result)
        print(f"(worker took {time.perf_counter() - start:.1f} s)")
        _project.write_json(args.json, {"api_scale_out": summary})
        return 0
    print(
        f"input {INPUT!r} (a calculator call), {args.concurrency} concurrent clients, "
        f"{args.requests} requests and {args.streams} streams per repeat, {args.repeats} repeats"
    )
    summary = report(result)
    print(f"(worker took {time.perf_counter() - start:.1f} s)")
    _project.write_json(args.json, {"api_throughput": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
