"""Import cost of the rendered project's framework against `import agents` (the SDK).

Each measurement is a fresh interpreter (the current one) that times one import statement with
time.perf_counter() around it (interpreter start-up excluded; the wall time of the whole process
is printed too). Statements:

  import agents                                the baseline: the OpenAI Agents SDK
  import agents_core                           the lazy package: should cost next to nothing
  from agents_core import AgentOrchestrator    pulls in the SDK, pydantic-settings, the framework

in two modes, interleaved in rounds:

  no-bytecode   PYTHONDONTWRITEBYTECODE=1 (as on these machines): nothing is cached, every
                process compiles every module it imports from source
  bytecode      PYTHONDONTWRITEBYTECODE unset, PYTHONPYCACHEPREFIX=<temp dir> warmed by one
                untimed run of each statement: what a developer machine with .pyc files sees

Printed: median and p90 of the import time in ms, the median wall time of the process, and the
ratio of medians against `import agents` in the same mode.

    python bench/import_time.py [--runs 15]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _project

STATEMENTS = {
    "import agents": "import agents",
    "import agents_core": "import agents_core",
    "from agents_core import AgentOrchestrator": "from agents_core import AgentOrchestrator",
}
BASELINE = "import agents"
MODES = ("no-bytecode", "bytecode")
_PROGRAM = """\
import time
_t = time.perf_counter()
{statement}
print(repr(time.perf_counter() - _t))
"""


def _env(mode: str, project: Path, data_dir: Path, pycache: Path) -> dict[str, str]:
    if mode == "no-bytecode":
        return _project.worker_env(
            project, data_dir, PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=None
        )
    return _project.worker_env(
        project, data_dir, PYTHONDONTWRITEBYTECODE=None, PYTHONPYCACHEPREFIX=str(pycache)
    )


def _time_import(statement: str, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(import seconds, process wall seconds) of `statement` in a fresh interpreter."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(statement=statement)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{statement!r} failed:\n{proc.stderr}")
    return float(proc.stdout.strip().splitlines()[-1]), wall


def measure(project: Path, runs: int) -> dict[str, dict[str, Any]]:
    work = _project.temp_dir("bench-import-")
    data_dir = work / "data"
    data_dir.mkdir()
    pycache = work / "pycache"
    envs = {mode: _env(mode, project, data_dir, pycache) for mode in MODES}
    # Warm the bytecode cache (and the OS file cache for both modes).
    for mode in MODES:
        for statement in STATEMENTS.values():
            _time_import(statement, envs[mode], work)
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {
        (mode, name): [] for mode in MODES for name in STATEMENTS
    }
    for round_index in range(runs):
        for mode in MODES[round_index % 2 :] + MODES[: round_index % 2]:
            for name, statement in STATEMENTS.items():
                samples[(mode, name)].append(_time_import(statement, envs[mode], work))
    results: dict[str, dict[str, Any]] = {}
    for (mode, name), pairs in samples.items():
        imports = [seconds * 1000 for seconds, _ in pairs]
        walls = [wall * 1000 for _, wall in pairs]
        results.setdefault(mode, {})[name] = {
            **_project.summarize(imports),
            "wall_median": _project.median(walls),
        }
    for mode in MODES:
        base = results[mode][BASELINE]["median"]
        for stats in results[mode].values():
            stats["ratio"] = _project.ratio(stats["median"], base)
    return results


def report(results: dict[str, dict[str, Any]]) -> None:
    rows = []
    for mode in MODES:
        for name, s in results[mode].items():
            rows.append(
                [f"{mode}: {name}", s["n"], s["median"], s["p90"], s["wall_median"], s["ratio"]]
            )
    headers = ["mode: statement", "n", "median ms", "p90 ms", "wall ms", "x import agents"]
    print(_project.table(headers, rows))
    nb, bc = (results[m][BASELINE]["median"] for m in MODES)
    print()
    print(
        f"bytecode vs no-bytecode for `import agents`: {bc / nb:.2f}x "
        f"({nb:.0f} ms -> {bc:.0f} ms). wall ms: the whole process, start-up included."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per statement")
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)

    _project.check_runtime()
    print(f"== import_time: {_project.machine_line()}")
    project = _project.render_project()
    start = time.perf_counter()
    results = measure(project, args.runs)
    report(results)
    print(f"(took {time.perf_counter() - start:.1f} s)")
    _project.write_json(args.json, {"import_time": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
