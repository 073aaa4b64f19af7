"""Run every benchmark (one rendered project shared by all) and print a summary table.

    python bench/run_all.py                   # about 3.5 to 4.5 minutes on 2 busy cores
    python bench/run_all.py --import-runs 15  # import_time.py's own default: ~2 more minutes
    python bench/run_all.py --quick           # fewer iterations, no slow tier, no flow run
    python bench/run_all.py --only suite      # suite, fast tier, chat start, flow run, CI estimate

Each benchmark runs as its own process, one after the other (never in parallel: they would
measure each other), and prints its full table; the summary at the end repeats the headline
medians and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _project

# Each import run costs ~8 s (four fresh interpreters, two of them importing the SDK for 1.5 to
# 3 s): 7 runs keep the whole suite near 3 minutes; import_time.py alone defaults to 15.
FULL = {
    "overhead": 300,
    "long": 100,
    "imports": 7,
    "renders": 10,
    "api": 300,
    "api_repeats": 3,
    "workflow": 30,
    "fanout": 5,
    "turns": 30,
    "sessions": 60,
    "auth": 300,
    "auth_repeats": 3,
    "agui": 300,
    "agui_repeats": 3,
}
QUICK = {
    "overhead": 60,
    "long": 30,
    "imports": 4,
    "renders": 3,
    "api": 100,
    "api_repeats": 1,
    "workflow": 10,
    "fanout": 2,
    "turns": 8,
    "sessions": 15,
    "auth": 100,
    "auth_repeats": 1,
    "agui": 100,
    "agui_repeats": 1,
}


BENCHMARKS = [
    "overhead", "imports", "render", "api", "openai", "agui", "a2a", "auth", "sessions",
    "workflow", "turns",
    "suite",
]  # fmt: skip
SUITE_GOALS = {
    "suite": "<= 90 s (2 cores, serial)",
    "fast tier, -n auto": "<= 20 s",
    "chat start": "<= 1.5 s",
    "flow run": "<= 3 s",
    "ci estimate": "<= 15 min",
    "cli --help": "<= 0.5 s",
    "prefect server start": "paid once per CI worker",
}
"""Issue 26's goals, printed beside suite_time.py's figures."""
CI_TABLE_ENV = "CI_SUITE_TABLE"
"""The template CI's per-suite table of its last run, for the CI estimate (or --ci-table)."""
SESSION_URL_VARS = {"redis": "AGENTS_TEST_REDIS_URL", "postgresql": "AGENTS_TEST_POSTGRES_URL"}
"""session_throughput.py runs on SQLite always, on Redis / PostgreSQL when these name a server."""


def _run(script: str, args: list[str], env: dict[str, str], out: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(_project.BENCH_DIR / script), *args, f"--json={out}"]
    print(f"\n$ {script} {' '.join(args)}", flush=True)
    proc = subprocess.run(cmd, env=env, check=False)
    if proc.returncode != 0:
        print(f"{script} failed with exit code {proc.returncode}", file=sys.stderr)
        return {}
    return dict(json.loads(out.read_text()))


def summary_rows(results: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    overhead = results.get("run_overhead", {})
    for key in (
        "AgentRunner:tool",
        "AgentOrchestrator:tool",
        "AgentRunner:no-tool",
        "AgentOrchestrator:no-tool",
        "AgentOrchestrator:long",
    ):
        if key not in overhead:
            continue
        s = overhead[key]
        kind = key.split(":")[1]
        base_key = f"{s['like_for_like']}:{kind}"
        rows.append(
            [
                f"run_overhead {key}",
                f"{s['median']:.2f} ms",
                f"{base_key}",
                f"{overhead[base_key]['median']:.2f} ms",
                s["ratio_like_for_like"],
            ]
        )
        if kind != "long":
            rows.append(
                [
                    f"run_overhead {key}",
                    f"{s['median']:.2f} ms",
                    f"bare:{kind}",
                    f"{overhead[f'bare:{kind}']['median']:.2f} ms",
                    s["ratio_vs_first"],
                ]
            )
    imports = results.get("import_time", {})
    for mode, by_name in imports.items():
        base = by_name["import agents"]["median"]
        for name in ("import agents_core", "from agents_core import AgentOrchestrator"):
            if name in by_name:
                rows.append(
                    [
                        f"import_time {mode}: {name}",
                        f"{by_name[name]['median']:.0f} ms",
                        "import agents",
                        f"{base:.0f} ms",
                        by_name[name]["ratio"],
                    ]
                )
    api = results.get("api_throughput", {})
    labels = {
        "rps": ("requests/s", "{:.0f}"),
        "p50": ("p50 ms", "{:.1f}"),
        "p99": ("p99 ms", "{:.1f}"),
        "ttfe": ("first SSE event ms", "{:.1f}"),
    }
    for key, (label, fmt) in labels.items():
        if key in api:
            s = api[key]
            for base, ratio_key in (("bare", "ratio"), ("bare+session", "ratio_session")):
                rows.append(
                    [
                        f"api_throughput {label}",
                        fmt.format(s["api"]),
                        f"{base} (FastAPI + Runner.run)",
                        fmt.format(s[base]),
                        s[ratio_key],
                    ]
                )
    door = results.get("openai_door", {})
    for key, (label, fmt) in {
        "rps": ("requests/s", "{:.0f}"),
        "first_token": ("first streamed token ms", "{:.1f}"),
    }.items():
        if key in door:
            rows.append(
                [
                    f"openai_door {label}",
                    fmt.format(door[key]["openai"]),
                    "POST /runs (/runs/stream)",
                    fmt.format(door[key]["runs"]),
                    door[key]["ratio"],
                ]
            )
    agui = results.get("agui_door", {})
    if agui:
        rows.append(
            [
                "agui_door requests/s (>= 0.95)",
                f"{agui['rps']['agui']:.0f}",
                "POST /runs",
                f"{agui['rps']['runs']:.0f}",
                agui["rps"]["ratio"],
            ]
        )
        rows.append(
            [
                "agui_door first streamed text (<= 1.1)",
                f"{agui['first_text']['agui']:.1f} ms",
                "POST /runs/stream",
                f"{agui['first_text']['sse']:.1f} ms",
                agui["first_text"]["ratio"],
            ]
        )
    a2a = results.get("a2a_door", {})
    if a2a:
        rows.append(
            [
                "a2a_door requests/s (>= 0.95)",
                f"{a2a['rps']['a2a']:.0f}",
                "POST /runs",
                f"{a2a['rps']['runs']:.0f}",
                a2a["rps"]["ratio"],
            ]
        )
        rows.append(
            [
                "a2a_door first streamed text (<= 1.1)",
                f"{a2a['first_token']['a2a']:.1f} ms",
                "POST /runs/stream",
                f"{a2a['first_token']['runs']:.1f} ms",
                a2a["first_token"]["ratio"],
            ]
        )
    auth = results.get("auth_overhead", {})
    for mode in ("api_key", "jwt"):
        if mode in auth:
            rows.append(
                [
                    f"auth_overhead requests/s, {mode}",
                    f"{auth[mode]['rps']:.0f}",
                    "no authentication",
                    f"{auth['none']['rps']:.0f}",
                    auth[mode]["overhead"],
                ]
            )
    for backend, by_name in results.get("session_throughput", {}).items():
        s = by_name["add/get AgentSession"]
        base = by_name["add/get bare SDK session"]
        rows.append(
            [
                f"session_throughput add/get AgentSession ({backend})",
                f"{s['median']:.2f} ms",
                "bare SDK session",
                f"{base['median']:.2f} ms",
                s["ratio"],
            ]
        )
    workflow = results.get("workflow_overhead", {})
    for key in (
        "single task in flow",
        "fan-out flow fan-out 1",
        "fan-out flow fan-out 10",
        "fan-out flow fan-out 100",
    ):
        if key in workflow:
            s = workflow[key]
            base = workflow[
                f"single {s['baseline']}"
                if key.startswith("single")
                else f"fan-out {s['baseline']}"
            ]
            rows.append(
                [
                    f"workflow_overhead {key.removeprefix('single ').removeprefix('fan-out ')}",
                    f"{s['median']:.1f} ms",
                    s["baseline"],
                    f"{base['median']:.1f} ms",
                    s["ratio"],
                ]
            )
    turns = results.get("session_serialization", {})
    if "one session" in turns:
        clients = turns["one session"]["clients"]
        base = turns[f"{clients} sessions"]
        rows.append(
            [
                f"session_serialization {clients} clients, one session",
                f"{turns['one session']['median']:.1f} ms",
                f"{clients} clients, {clients} sessions",
                f"{base['median']:.1f} ms",
                turns["one session"]["ratio"],
            ]
        )
    suite = results.get("suite_time", {})
    for name in (
        "suite",
        "fast tier, -n auto",
        "fast tier, serial",
        "slow tier",
        "chat start",
        "chat start, no bytecode",
        "flow run",
        "cli --help",
        "ci estimate",
        "copy + sync + pytest",
        "prefect server start",
    ):
        if name in suite:
            count = {"suite": "tests passed", "fast tier, serial": "fast tier tests"}.get(name, "")
            label = f"suite_time {name}" + (f", {suite[count]} tests" if count in suite else "")
            goal = SUITE_GOALS.get(name, "")
            rows.append([label, f"{suite[name]:.1f} s", goal, "", ""])
    if suite and "ci estimate" not in suite:
        rows.append(["suite_time ci estimate", "no CI table", SUITE_GOALS["ci estimate"], "", ""])
    renders = results.get("render_time", {})
    if renders:
        base = renders["trivial template"]["median"]
        for name, s in renders.items():
            if name != "trivial template":
                rows.append(
                    [
                        f"render_time {name}",
                        f"{s['median']:.3f} s",
                        "trivial template",
                        f"{base:.3f} s",
                        s["ratio"],
                    ]
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        help="run only these benchmarks (repeatable)",
    )
    parser.add_argument(
        "--ci-table",
        default=os.environ.get(CI_TABLE_ENV),
        help=f"the CI's per-suite table of its last run (default ${CI_TABLE_ENV})",
    )
    parser.add_argument(
        "--import-runs", type=int, help=f"fresh processes per import (default {FULL['imports']})"
    )
    args = parser.parse_args(argv)
    counts = dict(QUICK if args.quick else FULL)
    if args.import_runs:
        counts["imports"] = args.import_runs
    only = set(args.only or BENCHMARKS)

    _project.check_runtime()
    print(f"== run_all: {_project.machine_line()}")
    start = time.perf_counter()
    project = _project.render_project()
    env = dict(os.environ, **{_project.PROJECT_ENV: str(project)})
    work = _project.temp_dir("bench-all-")
    results: dict[str, Any] = {}
    if "overhead" in only:
        results.update(
            _run(
                "run_overhead.py",
                [f"--iterations={counts['overhead']}", f"--long-iterations={counts['long']}"],
                env,
                work / "overhead.json",
            )
        )
    if "imports" in only:
        results.update(
            _run("import_time.py", [f"--runs={counts['imports']}"], env, work / "imports.json")
        )
    if "render" in only:
        results.update(
            _run("render_time.py", [f"--runs={counts['renders']}"], env, work / "render.json")
        )

    if "api" in only:
        api_args = [f"--requests={counts['api']}", f"--repeats={counts['api_repeats']}"]
        results.update(_run("api_throughput.py", api_args, env, work / "api.json"))

    if "openai" in only:
        door_args = [f"--requests={counts['api']}", f"--repeats={counts['api_repeats']}"]
        results.update(_run("openai_door.py", door_args, env, work / "openai.json"))
    if "agui" in only:
        agui_args = [f"--requests={counts['agui']}", f"--repeats={counts['agui_repeats']}"]
        results.update(_run("agui_door.py", agui_args, env, work / "agui.json"))
    if "a2a" in only:
        a2a_args = [f"--requests={counts['api']}", f"--repeats={counts['api_repeats']}"]
        results.update(_run("a2a_door.py", a2a_args, env, work / "a2a.json"))

    if "auth" in only:
        auth_args = [f"--requests={counts['auth']}", f"--repeats={counts['auth_repeats']}"]
        results.update(_run("auth_overhead.py", auth_args, env, work / "auth.json"))

    if "sessions" in only:
        sessions: dict[str, Any] = {}
        urls = {"sqlite": ""} | {
            name: os.environ[var] for name, var in SESSION_URL_VARS.items() if os.environ.get(var)
        }
        for backend, url in urls.items():
            ran = _run(
                "session_throughput.py",
                [f"--rounds={counts['sessions']}", f"--url={url}"],
                env,
                work / f"sessions-{backend}.json",
            )
            if ran:
                sessions[backend] = ran["session_throughput"]
        missing = [var for var in SESSION_URL_VARS.values() if not os.environ.get(var)]
        if missing:
            print(f"(session_throughput: set {' and '.join(missing)} to measure those backends)")
        if sessions:
            results["session_throughput"] = sessions

    if "workflow" in only:
        results.update(
            _run(
                "workflow_overhead.py",
                [f"--iterations={counts['workflow']}", f"--fanout-repeats={counts['fanout']}"],
                env,
                work / "workflow.json",
            )
        )

    if "turns" in only:
        results.update(
            _run(
                "session_serialization.py",
                [f"--rounds={counts['turns']}"],
                env,
                work / "turns.json",
            )
        )

    if "suite" in only:  # last: it renders, syncs and runs a whole generated suite (minutes)
        suite_args = ["--shared-prefect", *(["--quick"] if args.quick else [])]
        if args.ci_table:
            suite_args.append(f"--ci-table={args.ci_table}")
        results.update(_run("suite_time.py", suite_args, env, work / "suite.json"))

    print("\n== summary (medians; ratio = median / baseline median, same run)")
    rows = summary_rows(results)
    print(_project.table(["benchmark", "median", "baseline", "baseline median", "ratio"], rows))
    print(f"\n(total {time.perf_counter() - start:.0f} s)")
    expected = {
        "overhead": "run_overhead",
        "imports": "import_time",
        "render": "render_time",
        "api": "api_throughput",
        "openai": "openai_door",
        "agui": "agui_door",
        "a2a": "a2a_door",
        "auth": "auth_overhead",
        "workflow": "workflow_overhead",
        "turns": "session_serialization",
        "suite": "suite_time",
        "sessions": "session_throughput",
    }
    return 0 if all(expected[name] in results for name in only) else 1


if __name__ == "__main__":
    raise SystemExit(main())
