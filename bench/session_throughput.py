"""Session cost: AgentSession against the bare SDK session, and runs with long histories.

Two measurements, in one worker process on a freshly rendered project (offline model, tracing
off, DATA_DIR in a temp dir):

  add/get     per round, a new session id: 10 x add_items([user, assistant]) then get_items(),
              on the bare SDK session for the URL (SQLiteSession, RedisSession,
              SQLAlchemySession) and on AgentSession at the same URL (which also trims, cleans
              structured outputs and upserts metadata on every write). Ratio of medians:
              AgentSession / bare.
  history N   AgentOrchestrator.run("What is 2 + 3?") (a calculator call, 2 model calls) on one
              session held at N items (N = 10, 100, 1000; session_max_items=N, prefilled), so
              every run reads N items, adds 4 and trims. Ratio against N = 10.

Variants run interleaved in rounds (shuffled per round) after a warm-up.

    python bench/session_throughput.py [--rounds 60] [--url redis://127.0.0.1:6390/0]

`--url` defaults to a SQLite file in the worker's DATA_DIR; Redis and PostgreSQL URLs need the
interpreter to have `openai-agents[redis]` or `openai-agents[sqlalchemy]` + `asyncpg`.
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

HISTORIES = (10, 100, 1000)
ADDS_PER_ROUND = 10


def _worker(argv: list[str]) -> None:
    import asyncio

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--url", default="")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_measure(args))))


def _bare_session(session_id: str, url: str) -> Any:
    from agents_core.session.backends import asyncpg_url, require_backend, sqlite_path

    scheme = require_backend(url)
    if scheme == "sqlite":
        from agents import SQLiteSession

        return SQLiteSession(session_id, db_path=sqlite_path(url))
    if scheme in ("redis", "rediss"):
        from agents.extensions.memory import RedisSession

        return RedisSession.from_url(session_id, url=url)
    from agents.extensions.memory import SQLAlchemySession

    return SQLAlchemySession.from_url(session_id, url=asyncpg_url(url), create_tables=True)


async def _close(session: Any) -> None:
    if hasattr(session, "aclose"):
        await session.aclose()
        return
    engine = getattr(session, "engine", None)
    if engine is not None:
        await engine.dispose()
        return
    result = session.close()
    if hasattr(result, "__await__"):
        await result


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    import os
    import uuid

    from agents import set_tracing_disabled
    from agents_core import AgentOrchestrator, AgentRunner, AgentSession, OfflineModel
    from agents_core.utils import assistant_message, user_message

    set_tracing_disabled(True)
    url = args.url or f"sqlite:///{Path(os.environ['DATA_DIR']) / 'bench_sessions.db'}"
    pair = [user_message("What is 2 + 3?"), assistant_message("From calculator: value: 5")]

    async def add_get(make: Any) -> float:
        session = make(f"b-{uuid.uuid4().hex[:16]}")
        started = time.perf_counter()
        for _ in range(ADDS_PER_ROUND):
            await session.add_items(list(pair))
        items = await session.get_items()
        elapsed = time.perf_counter() - started
        assert len(items) == 2 * ADDS_PER_ROUND, len(items)
        await _close(session)
        return elapsed

    runner = AgentRunner(model=OfflineModel())
    ids = {n: f"hist-{n}-{uuid.uuid4().hex[:8]}" for n in HISTORIES}
    for n, session_id in ids.items():
        async with AgentSession(session_id, url=url, max_items=n) as session:
            for _ in range(n // 2):
                await session.add_items(list(pair))

    async def history_run(n: int) -> float:
        orchestrator = AgentOrchestrator(runner=runner, session_max_items=n)
        started = time.perf_counter()
        result = await orchestrator.run("What is 2 + 3?", session_id=ids[n])
        elapsed = time.perf_counter() - started
        assert "5" in str(result["result"]), result
        return elapsed

    variants: dict[str, Any] = {
        "add/get bare SDK session": lambda: add_get(lambda sid: _bare_session(sid, url)),
        "add/get AgentSession": lambda: add_get(lambda sid: AgentSession(sid, url=url)),
    }
    for n in HISTORIES:
        variants[f"history {n}"] = lambda n=n: history_run(n)

    os.environ["SESSION_URL"] = url  # the orchestrator's sessions use the same store
    from agents_core.config import get_settings

    get_settings.cache_clear()
    timings: dict[str, list[float]] = {name: [] for name in variants}
    rng = random.Random(1)
    for round_number in range(args.warmup + args.rounds):
        order = list(variants)
        rng.shuffle(order)
        for name in order:
            elapsed = await variants[name]()
            if round_number >= args.warmup:
                timings[name].append(elapsed * 1000)
    scheme = url.split(":", 1)[0]
    return {"backend": scheme, "timings": timings}


def report(result: dict[str, Any]) -> dict[str, Any]:
    timings = result["timings"]
    stats = {name: _project.summarize(values) for name, values in timings.items()}
    bare = stats["add/get bare SDK session"]["median"]
    base = stats[f"history {HISTORIES[0]}"]["median"]
    rows = []
    summary: dict[str, Any] = {}
    for name, s in stats.items():
        baseline = bare if name.startswith("add/get") else base
        r = _project.ratio(s["median"], baseline)
        rows.append([name, s["n"], s["median"], s["p90"], r])
        summary[name] = {**s, "ratio": r}
    print(f"backend: {result['backend']}; add/get = {ADDS_PER_ROUND} adds of 2 items + 1 get")
    print(
        _project.table(
            ["variant", "n", "median ms", "p90 ms", "x baseline (bare SDK / history 10)"], rows
        )
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=60, help="timed rounds (default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed rounds (default 5)")
    parser.add_argument("--url", default="", help="session URL (default: SQLite in DATA_DIR)")
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)

    _project.check_runtime()
    print(f"== session_throughput: {_project.machine_line()}")
    project = _project.render_project()
    start = time.perf_counter()
    result = _project.run_worker(
        Path(__file__),
        [f"--rounds={args.rounds}", f"--warmup={args.warmup}", f"--url={args.url}"],
        project,
    )
    summary = report(result)
    print(f"(worker took {time.perf_counter() - start:.1f} s)")
    _project.write_json(args.json, {"session_throughput": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
