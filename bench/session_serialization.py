"""What the per-session turn lock costs: 8 concurrent clients on one session vs on 8 sessions.

Turns on one session run one at a time (across processes, through the store's own lock), so
concurrent clients on one session wait for each other; clients on different sessions do not.
In one worker process on a freshly rendered project (offline model, tracing off, DATA_DIR in a
temp dir), per round:

  one session     8 concurrent AgentOrchestrator.run("What is n + n?") on ONE session id
                  (a calculator call, 2 model calls each): wall time of the batch.
  8 sessions      the same 8 runs, each on its own session id: wall time of the batch.

Ratio of medians: one session / 8 sessions (1.0 = serialization costs nothing; about 8 would
mean no overlap at all). Both variants start each round from fresh session ids, interleaved in
shuffled order after a warm-up.

    python bench/session_serialization.py [--rounds 30] [--clients 8] [--url redis://...]

`--url` defaults to a SQLite file in the worker's DATA_DIR.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import _project


def _worker(argv: list[str]) -> None:
    import asyncio

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--url", default="")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_measure(args))))


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    import asyncio
    import os
    import uuid

    url = args.url or f"sqlite:///{Path(os.environ['DATA_DIR']) / 'bench_turns.db'}"
    os.environ["SESSION_URL"] = url  # the orchestrator's sessions use this store
    from agents import set_tracing_disabled
    from agents_core import AgentOrchestrator, AgentRunner, OfflineModel
    from agents_core.config import get_settings

    get_settings.cache_clear()
    set_tracing_disabled(True)
    orchestrator = AgentOrchestrator(runner=AgentRunner(model=OfflineModel()))

    async def batch(shared: bool) -> float:
        base = uuid.uuid4().hex[:12]
        ids = [base if shared else f"{base}-{n}" for n in range(args.clients)]
        started = time.perf_counter()
        results = await asyncio.gather(
            *(
                orchestrator.run(f"What is {n} + {n}?", session_id=session_id)
                for n, session_id in enumerate(ids, start=1)
            )
        )
        elapsed = time.perf_counter() - started
        for n, result in enumerate(results, start=1):
            assert result["result"] == f"{n} + {n} = {2 * n}.", result
        return elapsed

    variants = {"one session": True, f"{args.clients} sessions": False}
    timings: dict[str, list[float]] = {name: [] for name in variants}
    rng = random.Random(1)
    for round_number in range(args.warmup + args.rounds):
        order = list(variants)
        rng.shuffle(order)
        for name in order:
            elapsed = await batch(variants[name])
            if round_number >= args.warmup:
                timings[name].append(elapsed * 1000)
    return {"backend": url.split(":", 1)[0], "clients": args.clients, "timings": timings}


def report(result: dict[str, Any]) -> dict[str, Any]:
    stats = {name: _project.summarize(values) for name, values in result["timings"].items()}
    clients = result["clients"]
    base = stats[f"{clients} sessions"]["median"]
    rows = []
    summary: dict[str, Any] = {}
    for name, s in stats.items():
        r = _project.ratio(s["median"], base)
        rows.append([name, s["n"], s["median"], s["p90"], s["median"] / clients, r])
        summary[name] = {**s, "ratio": r, "clients": clients}
    print(f"backend: {result['backend']}; {clients} concurrent runs per batch (wall time)")
    headers = ["variant", "n", "median ms", "p90 ms", "ms per turn", f"x {clients} sessions"]
    print(_project.table(headers, rows))
    return summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds (default 3)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent runs (default 8)")
    parser.add_argument("--url", default="", help="session URL (default: SQLite in DATA_DIR)")
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)

    _project.check_runtime()
    print(f"== session_serialization: {_project.machine_line()}")
    project = _project.render_project()
    start = time.perf_counter()
    result = _project.run_worker(
        Path(__file__),
        [
            f"--rounds={args.rounds}",
            f"--warmup={args.warmup}",
            f"--clients={args.clients}",
            f"--url={args.url}",
        ],
        project,
    )
    summary = report(result)
    print(f"(worker took {time.perf_counter() - start:.1f} s)")
    _project.write_json(args.json, {"session_serialization": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
