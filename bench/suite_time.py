"""What a user (and the template's CI) waits for: copy + sync + the default project's suite,
its two tiers, and how long a command takes to start.

One fresh render of the default answers (always a new one: the suite's time depends on what is
compiled and cached), then, timed:

  copy         copier copy --defaults (the working tree, uncommitted changes included)
  sync         uv sync --extra litellm (the template CI's default combination; warm uv cache)
  cli --help   `python -m <package> --help` in a fresh process (median of 5)
  chat start   `<cli> chat "What is 2 + 2?"` offline, warm (median of 5 after one warm-up), with
               bytecode, and with PYTHONDONTWRITEBYTECODE=1 and no .pyc to read (these machines)
  flow run     `<cli> flow run agent-analysis -p query=...` against a running Prefect server
               (median of 3 after one warm-up)
  fast tier    uv run pytest -m "not slow" -n auto (every in-process test, a worker per core:
               the README's command), and serially (`fast tier, serial`)
  slow tier    uv run pytest -m slow (processes, real servers)
  suite        fast tier + slow tier, as the generated CI runs them (one step each)

With --shared-prefect the slow tier gets AGENTS_TEST_PREFECT_API_URL of the Prefect server the
flow-run figure uses (as the template's CI does; its start is reported apart), else the suite
starts its own. PYTHONDONTWRITEBYTECODE is removed for the project's commands, as the template's
CI does. --quick skips the slow tier and the flow run (no Prefect server).

The CI estimate reads the template CI's per-suite table of its last run (--ci-table, a JSON
object {suite: seconds} or {"suites": {...}} or lines "suite seconds"), and schedules the suites
longest first on --ci-workers workers; without a table it says so.

    python bench/suite_time.py [--shared-prefect] [--quick] [--json out.json]   # ~3 to 6 min
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import re
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import _project

sys.path.insert(0, str(_project.REPO_ROOT))  # tests._prefect_server: the CI's shared server

CHAT = ["chat", "What is 2 + 2?"]
FLOW = ["flow", "run", "agent-analysis", "-p", "query=What is 3 * 3?", "-p", "agent=assistant"]
PYTEST = ["uv", "run", "pytest", "-q", "-p", "no:cacheprovider"]
"""The project's pytest as the bench runs it (no cache: each run starts as the first)."""
GOALS = {
    "suite": "<= 90 s",
    "fast tier, -n auto": "<= 20 s",
    "chat start": "<= 1.5 s",
    "flow run": "<= 3 s",
    "ci estimate": "<= 15 min",
}
"""Issue 26's goals, printed beside the figures (2 cores, serial)."""


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str, int]:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.stdout + done.stderr, done.returncode


def _median_of(
    args: list[str], cwd: Path, env: dict[str, str], runs: int, *, expect: str = ""
) -> float | None:
    """Median wall seconds of `runs` runs after one warm-up; None when a run fails."""
    times = []
    for index in range(runs + 1):
        seconds, output, code = _timed(args, cwd, env)
        if code != 0 or expect not in output:
            print(f"{' '.join(args[1:])} failed (exit {code}):\n{output}", file=sys.stderr)
            return None
        if index:
            times.append(seconds)
    return _project.median(times)


def _pytest(
    project: Path, env: dict[str, str], marker: str, *extra: str
) -> tuple[float, int, bool, str]:
    """(seconds, tests passed, ok, last line) of one tier."""
    args = [*PYTEST, "-m", marker, *extra]
    seconds, output, code = _timed(args, project, env)
    lines = output.strip().splitlines()
    # pytest's summary line (a library may log after it: xdist workers' exit).
    summary = [line for line in lines if re.search(r"\d+ (passed|failed)", line)]
    tail = summary[-1] if summary else (lines[-1] if lines else "")
    for line in lines:
        if line.startswith(("FAILED", "ERROR")):
            print(line)
    print(f"pytest -m {marker!r} {' '.join(extra)}: {tail}")
    passed = re.search(r"(\d+) passed", tail)
    return seconds, int(passed.group(1)) if passed else 0, code == 0, tail


def read_ci_table(path: Path) -> dict[str, float]:
    """{suite: wall seconds} from the CI's per-suite table: the JSON tests/conftest.py keeps in
    .pytest_cache/v/template-ci/suite-times, a JSON {suite: seconds}, or lines "suite seconds"."""
    text = path.read_text()
    try:
        data = json.loads(text)
    except ValueError:
        rows = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 2 and not line.lstrip().startswith("#"):
                try:
                    rows[" ".join(parts[:-1])] = float(parts[-1].rstrip("s"))
                except ValueError:
                    continue  # a header line
        return rows
    if isinstance(data, dict) and isinstance(data.get("suites"), list):
        # What tests/conftest.py writes: {"suites": [{"suite", "tests", "wall_s", "cpu_s"}...]}.
        return {str(row["suite"]): float(row["wall_s"]) for row in data["suites"]}
    if isinstance(data, dict) and isinstance(data.get("suites"), dict):
        data = data["suites"]
    return {str(name): float(seconds) for name, seconds in dict(data).items()}


def ci_estimate(suites: dict[str, float], workers: int) -> float:
    """Wall seconds of the suites run longest first on `workers` parallel workers."""
    ends = [0.0] * max(1, workers)
    for seconds in sorted(suites.values(), reverse=True):
        heapq.heapreplace(ends, ends[0] + seconds)
    return max(ends)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-prefect", action="store_true", help="as the template CI runs")
    parser.add_argument("--quick", action="store_true", help="no slow tier, no flow run")
    parser.add_argument("--ci-table", type=Path, help="the CI's per-suite table of its last run")
    parser.add_argument("--ci-workers", type=int, default=2, help="parallel suites in CI")
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)
    print(f"== suite_time: {_project.machine_line()}")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PREFECT_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        api_url = ""
        if not args.quick:
            from tests._prefect_server import prefect_server

            started = time.perf_counter()
            work = _project.temp_dir("bench-prefect-")
            api_url = stack.enter_context(prefect_server(work))
            results["prefect server start"] = time.perf_counter() - started
            if args.shared_prefect:
                env["AGENTS_TEST_PREFECT_API_URL"] = api_url

        started = time.perf_counter()
        project = _project.render_template(
            _project.REPO_ROOT, _project.temp_dir("bench-suite-") / "project"
        )
        results["copy"] = time.perf_counter() - started
        subprocess.run(["git", "init", "-q"], cwd=project, check=True)
        seconds, output, code = _timed(["uv", "sync", "-q", "--extra", "litellm"], project, env)
        results["sync"] = seconds
        if code != 0:
            print(output, file=sys.stderr)
            return 1
        python = str(project / ".venv" / "bin" / "python")
        helps = []
        for _ in range(5):
            seconds, _output, code = _timed([python, "-m", "my_agents", "--help"], project, env)
            helps.append(seconds)
        results["cli --help"] = _project.median(helps)

        # The commands as a user runs them: the console script, offline, in a folder of its own.
        cli = str(project / ".venv" / "bin" / "my-agents")
        work = _project.temp_dir("bench-start-")
        run_env = _project.worker_env(project, work / "data", PYTHONPATH=None, HOME=str(work))
        for name in [name for name in run_env if name.startswith("PREFECT_")]:
            del run_env[name]
        run_env.pop("PYTHONDONTWRITEBYTECODE", None)
        chat = _median_of([cli, *CHAT], work, run_env, 5, expect="4")
        if chat is not None:
            results["chat start"] = chat
        # PYTHONDONTWRITEBYTECODE=1 with an empty cache prefix: no .pyc is read or written.
        cold = dict(run_env, PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(work / "pyc"))
        chat = _median_of([cli, *CHAT], work, cold, 3, expect="4")
        if chat is not None:
            results["chat start, no bytecode"] = chat
        if api_url:
            flow_env = dict(run_env, PREFECT_API_URL=api_url, PREFECT_HOME=str(work / "prefect"))
            flow = _median_of([cli, *FLOW], work, flow_env, 3, expect="Completed")
            if flow is not None:
                results["flow run"] = flow

        ok = True
        # One collection first: it compiles what the tests import to bytecode, as any earlier
        # run on a user's machine has (else the first tier measured pays for it, ~5 s).
        _timed([*PYTEST, "--collect-only"], project, env)
        seconds, passed, tier_ok, _tail = _pytest(project, env, "not slow", "-n", "auto")
        results["fast tier, -n auto"] = seconds
        ok = ok and tier_ok
        seconds, passed, tier_ok, _tail = _pytest(project, env, "not slow")
        results["fast tier, serial"], results["fast tier tests"] = seconds, passed
        ok = ok and tier_ok
        if not args.quick:
            seconds, passed, tier_ok, _tail = _pytest(project, env, "slow")
            results["slow tier"], results["slow tier tests"] = seconds, passed
            results["suite"] = results["fast tier, serial"] + results["slow tier"]
            results["tests passed"] = results["fast tier tests"] + passed
            ok = ok and tier_ok
        results["pytest ok"] = ok

    if args.ci_table and args.ci_table.is_file():
        suites = read_ci_table(args.ci_table)
        results["ci suites"] = len(suites)
        results["ci estimate"] = ci_estimate(suites, args.ci_workers)
        print(f"CI estimate: {len(suites)} suites of {args.ci_table} on {args.ci_workers} workers")
    else:
        print(f"no CI table ({args.ci_table or 'pass --ci-table'})")
    if "suite" in results:
        results["copy + sync + pytest"] = results["copy"] + results["sync"] + results["suite"]

    rows = [
        [name, f"{value:.2f} s" if isinstance(value, float) else value, GOALS.get(name, "")]
        for name, value in results.items()
    ]
    print(_project.table(["step", "value", "goal"], rows))
    _project.write_json(args.json, {"suite_time": results})
    return 0 if results["pytest ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
