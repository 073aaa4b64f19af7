"""What a user (and the template's CI) waits for: copy + sync + the default project's own suite.

One fresh render of the default answers (always a new one: the suite's time depends on what is
compiled and cached), then, timed:

  copy         copier copy --defaults (the working tree, uncommitted changes included)
  sync         uv sync --extra litellm (the template CI's default combination; warm uv cache)
  pytest       uv run pytest -q in the project (every test; the run fails when one does)
  cli --help   `python -m <package> --help` in a fresh process (median of 5)

With --shared-prefect the suite gets AGENTS_TEST_PREFECT_API_URL of a Prefect server started
beforehand (as the template's CI does; its start is reported apart), else the suite starts its
own. PYTHONDONTWRITEBYTECODE is removed for the project's commands, as the template's CI does.

    python bench/suite_time.py [--shared-prefect] [--json out.json]      # ~3 to 6 minutes
"""

from __future__ import annotations

import argparse
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


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str, int]:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.stdout + done.stderr, done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared-prefect", action="store_true", help="as the template CI runs")
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)
    print(f"== suite_time: {_project.machine_line()}")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PREFECT_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        if args.shared_prefect:
            from tests._prefect_server import prefect_server

            started = time.perf_counter()
            work = _project.temp_dir("bench-prefect-")
            env["AGENTS_TEST_PREFECT_API_URL"] = stack.enter_context(prefect_server(work))
            results["prefect server start"] = time.perf_counter() - started

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
        pytest = ["uv", "run", "pytest", "-q", "-p", "no:cacheprovider"]
        seconds, output, code = _timed(pytest, project, env)
        results["pytest"] = seconds
        lines = output.strip().splitlines()
        tail = lines[-1] if lines else ""
        for line in lines:
            if line.startswith(("FAILED", "ERROR")):
                print(line)
        print(tail)
        passed = re.search(r"(\d+) passed", tail)
        results["tests passed"] = int(passed.group(1)) if passed else 0
        results["pytest ok"] = code == 0
    results["copy + sync + pytest"] = results["copy"] + results["sync"] + results["pytest"]

    rows = [
        [name, f"{value:.2f} s" if isinstance(value, float) else value]
        for name, value in results.items()
    ]
    print(_project.table(["step", "value"], rows))
    _project.write_json(args.json, {"suite_time": results})
    return 0 if results["pytest ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
