"""What running an agent inside a Prefect flow costs, and how a flow's fan-out of agent runs grows.

One worker process on a freshly rendered project (workflows on; DATA_DIR in a temp dir,
LLM_PROVIDER=offline, tracing off) starts a Prefect server on 127.0.0.1 once, before any timing
(PREFECT_HOME inside the temp dir; the server's background services off, as in the tests), and
points Prefect at it. Then, on the same `OfflineModel` and the `assistant` agent with the input
"What is 2 + 3?" (a calculator call: two model calls):

Single runs, interleaved in shuffled rounds after a warm-up:

  direct          AgentOrchestrator(default_agent="assistant").run(input)   (baseline)
  task .fn()      run_agent_analysis_task.fn(input, agent="assistant"): the task's own code
                  (the same orchestrator run, JSON conversion of the output), no Prefect
  task in flow    agent_analysis_flow(input, agent="assistant"): a flow run holding one task
                  run, states reported to the server

Fan-out, N = 1, 10, 100 agent runs at once:

  direct gather N     asyncio.gather of N direct runs                          (baseline)
  flow fan-out N      parallel_agent_analysis_flow([input] * N, agent="assistant",
                      max_concurrency=N): one flow run, N task runs

Printed: medians (and p90) in ms, the ratio of medians against the baseline, and for the fan-out
the wall time, the time per agent run (wall / N) and its growth against N = 1.

    python bench/workflow_overhead.py [--iterations 30] [--fanout-repeats 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import _project

QUERY = "What is 2 + 3?"
AGENT = "assistant"
SINGLE = ("direct", "task .fn()", "task in flow")
FANOUT = (1, 10, 100)
SERVER_START_TIMEOUT = 120.0
PREFECT_DEPS = ("prefect>=3.8,<3.9", "fastapi>=0.139,<0.151")


# --- worker: runs inside the rendered project -----------------------------------------------


def _worker(argv: list[str]) -> None:
    import asyncio
    import contextlib
    import io
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--fanout-repeats", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    # Prefect reads its settings at import: everything is set before the first import.
    home = Path(os.environ["DATA_DIR"]) / "prefect"
    os.environ.update(
        PREFECT_HOME=str(home),
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_TO_API_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    server, url, started_in = _start_server(home)
    try:
        os.environ["PREFECT_API_URL"] = url
        # Prints of the task's code (log_prints outside a flow) would mix with our JSON line.
        with contextlib.redirect_stdout(io.StringIO()):
            result = asyncio.run(_measure(args))
        result["server_start_seconds"] = started_in
    finally:
        _stop(server)
    print(json.dumps(result))


def _start_server(home: Path) -> tuple[Any, str, float]:
    import os
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api"
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("wb")
    started = time.perf_counter()
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-ui", "--no-services"]
    server = subprocess.Popen(
        command,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    while time.perf_counter() - started < SERVER_START_TIMEOUT:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return server, url, time.perf_counter() - started
        except OSError:
            time.sleep(0.25)
    _stop(server)
    tail = (home / "server.log").read_text(errors="replace")[-3000:]
    raise SystemExit(f"the Prefect server did not start:\n{tail}")


def _stop(server: Any) -> None:
    import os
    import signal
    import subprocess

    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    import asyncio
    import random

    from agents import set_tracing_disabled
    from agents_core import AgentOrchestrator
    from workflows_core import (
        agent_analysis_flow,
        parallel_agent_analysis_flow,
        run_agent_analysis_task,
    )

    set_tracing_disabled(True)

    async def direct() -> str:
        outcome = await AgentOrchestrator(default_agent=AGENT).run(QUERY)
        return str(outcome.get("result"))

    async def task_fn() -> str:
        analysis = await run_agent_analysis_task.fn(QUERY, agent=AGENT)
        return str(analysis["text"])

    async def in_flow() -> str:
        outcome = await agent_analysis_flow(QUERY, agent=AGENT)
        return str(outcome["analysis"]["text"])

    async def direct_gather(n: int) -> list[str]:
        return list(await asyncio.gather(*(direct() for _ in range(n))))

    async def flow_fanout(n: int) -> list[str]:
        outcome = await parallel_agent_analysis_flow(
            [QUERY] * n, agent=AGENT, max_concurrency=min(n, 100)
        )
        return [str(r["text"]) for r in outcome["results"]]

    single = {"direct": direct, "task .fn()": task_fn, "task in flow": in_flow}
    # Warm-up, and a check that every variant runs the agent and its tool.
    for name, factory in single.items():
        text = await factory()
        if "5" not in text:
            raise SystemExit(f"{name}: expected the calculator's 5 in the answer, got {text!r}")
    for n in FANOUT:
        for texts in (await direct_gather(n), await flow_fanout(n)):
            if len(texts) != n or not all("5" in t for t in texts):
                raise SystemExit(f"fan-out {n}: wrong answers {texts[:3]!r}...")
    for _ in range(args.warmup):
        for factory in single.values():
            await factory()

    rng = random.Random(args.seed)
    clock = time.perf_counter
    samples: dict[str, list[float]] = {name: [] for name in single}
    for _ in range(args.iterations):
        order = list(single)
        rng.shuffle(order)
        for name in order:
            start = clock()
            await single[name]()
            samples[name].append((clock() - start) * 1000)

    fanout: dict[str, list[float]] = {}
    for _ in range(args.fanout_repeats):
        pairs = [(kind, n) for n in FANOUT for kind in ("direct gather", "flow fan-out")]
        rng.shuffle(pairs)
        for kind, n in pairs:
            run = direct_gather if kind == "direct gather" else flow_fanout
            start = clock()
            await run(n)
            fanout.setdefault(f"{kind} {n}", []).append((clock() - start) * 1000)
    return {"samples": samples, "fanout": fanout}


# --- parent ---------------------------------------------------------------------------------


def report(result: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    stats = {name: _project.summarize(values) for name, values in result["samples"].items()}
    base = stats["direct"]["median"]
    rows = []
    for name in SINGLE:
        s = stats[name]
        ratio = _project.ratio(s["median"], base)
        rows.append([name, s["n"], s["median"], s["p90"], s["median"] - base, ratio])
        summary[f"single {name}"] = {**s, "ratio": ratio, "baseline": "direct"}
    print(_project.table(["single run", "n", "median ms", "p90 ms", "+ms", "x direct"], rows))
    print()

    fan = {name: _project.summarize(values) for name, values in result["fanout"].items()}
    rows = []
    for kind in ("direct gather", "flow fan-out"):
        per_run_1 = fan[f"{kind} 1"]["median"]
        for n in FANOUT:
            s = fan[f"{kind} {n}"]
            per_run = s["median"] / n
            baseline = fan[f"direct gather {n}"]["median"]
            ratio = _project.ratio(s["median"], baseline)
            growth = _project.ratio(per_run, per_run_1)
            rows.append([f"{kind} {n}", s["n"], s["median"], s["p90"], per_run, growth, ratio])
            summary[f"fan-out {kind} {n}"] = {
                **s,
                "per_run_ms": per_run,
                "per_run_vs_n1": growth,
                "ratio": ratio,
                "baseline": f"direct gather {n}",
            }
    headers = ["fan-out", "n", "wall ms", "p90 ms", "ms/run", "ms/run vs N=1", "x direct"]
    print(_project.table(headers, rows))
    print()
    print(
        "x direct: ratio of medians against running the same agent runs without Prefect. "
        f"Prefect server started in {result['server_start_seconds']:.1f} s (not timed)."
    )
    return summary


def check_prefect() -> None:
    import importlib.util

    if importlib.util.find_spec("prefect") is None:
        deps = " ".join(f"'{dep}'" for dep in PREFECT_DEPS)
        raise SystemExit(
            f"{sys.executable} lacks prefect: install {deps} (the template repo's dev group has "
            "them: `uv sync`), or run with a rendered project's venv."
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds (default 3)")
    parser.add_argument(
        "--fanout-repeats", type=int, default=5, help="timed fan-outs per N (default 5)"
    )
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)

    _project.check_runtime()
    check_prefect()
    print(f"== workflow_overhead: {_project.machine_line()}")
    project = _project.render_project()
    if not (project / "workflows_core" / "__init__.py").is_file():
        raise SystemExit(f"{project} has no workflows_core: render it with include_workflows=true")
    start = time.perf_counter()
    result = _project.run_worker(
        Path(__file__),
        [
            f"--iterations={args.iterations}",
            f"--warmup={args.warmup}",
            f"--fanout-repeats={args.fanout_repeats}",
        ],
        project,
    )
    summary = report(result)
    print(f"(worker took {time.perf_counter() - start:.1f} s)")
    _project.write_json(args.json, {"workflow_overhead": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
