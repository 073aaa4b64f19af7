"""Per-run overhead of the framework (AgentRunner, AgentOrchestrator) over a bare SDK run.

Every variant runs the same agent on the same `OfflineModel` with tracing off, in one worker
process on a freshly rendered project (DATA_DIR in a temp dir, LLM_PROVIDER=offline):

  bare                 Runner.run(Agent(instructions, tools=[calculator], model), input)
  bare+guardrail       the same agent with the `no_secrets` input guardrail the assistant has
  AgentRunner          AgentRunner(model=model).run("assistant", input)
  bare+SQLiteSession   bare, with a new SDK SQLiteSession per run on a file in DATA_DIR
  AgentOrchestrator    AgentOrchestrator(runner=...).run(input): a new AgentSession per run
                       on DATA_DIR/sessions.db (SQLite file, the default)

for two inputs: "What is 2 + 3?" (a calculator call: 2 model calls) and "hello" (no tool:
1 model call). Two more variants run one session for the whole benchmark, so its history sits
at the framework's 200-item bound: the orchestrator with a fixed session id (AgentSession trims
to session_max_items=200) and bare Runner.run on one SQLiteSession read with limit=200.

The variants run interleaved in rounds (shuffled order per round) after a warm-up, so machine
noise hits all of them alike. Printed: median and p90 in ms, and ratios of medians against
`bare` and against the like-for-like baseline (AgentRunner vs bare+guardrail, the orchestrator
vs bare+SQLiteSession).

    python bench/run_overhead.py [--iterations 300] [--profile AgentOrchestrator:tool]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import _project

TOOL_INPUT = "What is 2 + 3?"
NO_TOOL_INPUT = "hello"
INPUTS = {"tool": TOOL_INPUT, "no-tool": NO_TOOL_INPUT}
SHORT_VARIANTS = (
    "bare",
    "bare+guardrail",
    "AgentRunner",
    "bare+SQLiteSession",
    "AgentOrchestrator",
)
LONG_VARIANTS = ("bare+SQLiteSession", "AgentOrchestrator")
LIKE_FOR_LIKE = {
    "bare+guardrail": "bare",
    "AgentRunner": "bare+guardrail",
    "bare+SQLiteSession": "bare",
    "AgentOrchestrator": "bare+SQLiteSession",
}
LONG_HISTORY = 200  # AgentSession's default bound (SESSION_MAX_ITEMS)


# --- worker: runs inside the rendered project -----------------------------------------------


def _worker(argv: list[str]) -> None:
    import asyncio

    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, required=True)
    parser.add_argument("--long-iterations", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--profile", default="")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = asyncio.run(_measure(args))
    print(json.dumps(result))


def _build_variants() -> tuple[dict[str, Any], dict[str, Any]]:
    """(variants, info): variant key -> zero-argument coroutine factory."""
    import uuid

    from agents import Agent, Runner, SessionSettings, SQLiteSession, set_tracing_disabled
    from agents_core import (
        AgentOrchestrator,
        AgentRunner,
        OfflineModel,
        get_agent_registry,
        get_guardrail_registry,
        get_settings,
        get_tool_registry,
    )

    set_tracing_disabled(True)
    model = OfflineModel()
    definition = get_agent_registry().get("assistant")
    instructions = definition.render_instructions(None)  # the framework agent's system prompt
    tools = get_tool_registry().get_tool_functions(definition.tools)  # [calculator]
    guardrails = get_guardrail_registry().get_guardrails(definition.guardrails)  # [no_secrets]
    bare = Agent(name="assistant", instructions=instructions, tools=tools, model=model)
    guarded = Agent(
        name="assistant",
        instructions=instructions,
        tools=tools,
        input_guardrails=guardrails,
        model=model,
    )
    runner = AgentRunner(model=model)
    orchestrator = AgentOrchestrator(runner=runner)
    settings = get_settings()
    bare_db = str(settings.data_dir / "bare_sessions.db")
    long_bare = SQLiteSession(
        "long-bare", bare_db, session_settings=SessionSettings(limit=LONG_HISTORY)
    )

    variants: dict[str, Any] = {}
    for kind, text in INPUTS.items():
        variants[f"bare:{kind}"] = lambda t=text: Runner.run(bare, t)
        variants[f"bare+guardrail:{kind}"] = lambda t=text: Runner.run(guarded, t)
        variants[f"AgentRunner:{kind}"] = lambda t=text: runner.run("assistant", t)
        variants[f"bare+SQLiteSession:{kind}"] = lambda t=text: Runner.run(
            bare, t, session=SQLiteSession(uuid.uuid4().hex, bare_db)
        )
        variants[f"AgentOrchestrator:{kind}"] = lambda t=text: orchestrator.run(t)
    variants["bare+SQLiteSession:long"] = lambda: Runner.run(bare, TOOL_INPUT, session=long_bare)
    variants["AgentOrchestrator:long"] = lambda: orchestrator.run(
        TOOL_INPUT, session_id="long-orch"
    )
    info = {
        "model": model,
        "session_url": settings.resolved_session_url,
        "session_max_items": settings.session_max_items,
        "long_bare": long_bare,
    }
    return variants, info


def _final_text(outcome: Any) -> str:
    if isinstance(outcome, dict):  # the orchestrator's result
        return str(outcome.get("result"))
    return str(outcome.final_output)


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    import random

    variants, info = _build_variants()
    model = info["model"]

    # Warm-up, and a check that every variant does the work it claims (tool call or not).
    calls: dict[str, int] = {}
    for key, factory in variants.items():
        before = model.calls
        outcome = await factory()
        calls[key] = model.calls - before
        text = _final_text(outcome)
        if key.endswith((":tool", ":long")) and "5" not in text:
            raise SystemExit(f"{key}: expected the calculator's 5 in the answer, got {text!r}")
    for key, count in calls.items():
        expected = 1 if key.endswith(":no-tool") else 2
        if count != expected:
            raise SystemExit(f"{key}: {count} model calls per run, expected {expected}")

    short = [key for key in variants if not key.endswith(":long")]
    long = [key for key in variants if key.endswith(":long")]
    # Bring the long sessions to their steady state (past the 200-item bound) before timing.
    fill_runs = LONG_HISTORY // 4 + 2  # a tool run stores 4 items
    for _ in range(fill_runs):
        for key in long:
            await variants[key]()
    for _ in range(args.warmup):
        for key in short:
            await variants[key]()

    if args.profile:
        return await _profile(args.profile, variants, args.iterations)

    samples: dict[str, list[float]] = {key: [] for key in variants}
    rng = random.Random(args.seed)
    clock = time.perf_counter
    for round_index in range(args.iterations):
        order = short + (long if round_index < args.long_iterations else [])
        rng.shuffle(order)
        for key in order:
            factory = variants[key]
            start = clock()
            await factory()
            samples[key].append((clock() - start) * 1000)

    long_items = await info["long_bare"].get_items(10**6)
    return {
        "samples": samples,
        "model_calls_per_run": calls,
        "session_url": info["session_url"],
        "long_history": {
            "session_max_items": info["session_max_items"],
            "bare_items_stored": len(long_items),
        },
    }


async def _profile(target: str, variants: dict[str, Any], iterations: int) -> dict[str, Any]:
    import cProfile
    import io
    import pstats

    if target not in variants:
        raise SystemExit(f"--profile: unknown variant {target!r}; known: {', '.join(variants)}")
    factory = variants[target]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(iterations):
        await factory()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    print(out.getvalue(), file=sys.stderr)
    return {"profiled": target, "iterations": iterations}


# --- parent ---------------------------------------------------------------------------------


def report(result: dict[str, Any]) -> dict[str, Any]:
    samples: dict[str, list[float]] = result["samples"]
    stats = {key: _project.summarize(values) for key, values in samples.items() if values}
    rows = []
    summary: dict[str, Any] = {}
    for kind in (*INPUTS, "long"):
        names = SHORT_VARIANTS if kind != "long" else LONG_VARIANTS
        base = stats[f"{names[0]}:{kind}"]["median"]
        for name in names:
            key = f"{name}:{kind}"
            s = stats[key]
            like = (
                LIKE_FOR_LIKE.get(name)
                if kind != "long"
                else ("bare+SQLiteSession" if name == "AgentOrchestrator" else None)
            )
            like_ratio = (
                _project.ratio(s["median"], stats[f"{like}:{kind}"]["median"]) if like else None
            )
            rows.append(
                [
                    key,
                    s["n"],
                    s["median"],
                    s["p90"],
                    s["median"] - base,
                    _project.ratio(s["median"], base),
                    f"{like_ratio:.3f} vs {like}" if like_ratio is not None else "",
                ]
            )
            summary[key] = {**s, "ratio_vs_first": _project.ratio(s["median"], base)}
            if like_ratio is not None:
                summary[key]["ratio_like_for_like"] = like_ratio
                summary[key]["like_for_like"] = like
    headers = ["variant:input", "n", "median ms", "p90 ms", "+ms", "x first", "x like-for-like"]
    print(_project.table(headers, rows))
    print()
    print(
        "x first: ratio of medians vs the first row of the group (bare, or bare+SQLiteSession "
        "for long). Model calls per run: "
        + ", ".join(f"{k}={v}" for k, v in result["model_calls_per_run"].items() if "bare:" in k)
    )
    print(f"session store: {result['session_url']}; long history: {result['long_history']}")
    return summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=300, help="timed rounds (default 300)")
    parser.add_argument(
        "--long-iterations",
        type=int,
        default=100,
        help="rounds that include the long-session variants (default 100)",
    )
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds (default 20)")
    parser.add_argument(
        "--profile",
        default="",
        help="cProfile one variant (e.g. AgentOrchestrator:tool) for "
        "--iterations runs instead of timing; the profile goes to stderr",
    )
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)

    _project.check_runtime()
    print(f"== run_overhead: {_project.machine_line()}")
    project = _project.render_project()
    start = time.perf_counter()
    result = _project.run_worker(
        Path(__file__),
        [
            f"--iterations={args.iterations}",
            f"--long-iterations={min(args.long_iterations, args.iterations)}",
            f"--warmup={args.warmup}",
            f"--profile={args.profile}",
        ],
        project,
    )
    if args.profile:
        return 0
    summary = report(result)
    print(f"(worker took {time.perf_counter() - start:.1f} s)")
    _project.write_json(args.json, {"run_overhead": summary})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
