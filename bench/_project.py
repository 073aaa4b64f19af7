"""Shared helpers of the benchmarks: render the template, run workers, summarize timings.

The benchmarks are scripts (``python bench/<name>.py``), so this module is imported as a plain
top-level module (the script's directory is on ``sys.path``). Its top level uses the stdlib only:
worker processes, which run without copier, import it too. Copier is imported on first render.

A rendered project is what the benchmarks run: ``render_project()`` renders the template with
its defaults (from git HEAD, uncommitted changes included) into a temp dir. Set
``BENCH_PROJECT_DIR`` to an already-rendered project to skip the render (``run_all.py`` renders
once and passes it on).
"""

from __future__ import annotations

import atexit
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "bench"
PROJECT_ENV = "BENCH_PROJECT_DIR"
# What a rendered project needs at run time; the interpreter running the benchmarks must have it.
RUNTIME_DEPS = ("openai-agents>=0.24,<0.25", "pydantic-settings>=2.6", "httpx>=0.28")
RUNTIME_MODULES = ("agents", "pydantic_settings", "httpx")


# --- rendering ------------------------------------------------------------------------------


def render_template(src: str | Path, dst: str | Path, **data: Any) -> Path:
    """`copier copy --defaults` of `src` at git HEAD (uncommitted changes included) into `dst`."""
    import copier  # the template repo's dev env has it; workers never render

    with warnings.catch_warnings():
        # vcs_ref="HEAD" on a dirty tree commits the draft changes in copier's clone and warns.
        warnings.filterwarnings("ignore", message="Dirty template changes included")
        warnings.filterwarnings("ignore", category=getattr(copier, "DirtyLocalWarning", Warning))
        copier.run_copy(
            str(src),
            str(dst),
            data=data or None,
            defaults=True,
            vcs_ref="HEAD",
            unsafe=False,
            quiet=True,
        )
    return Path(dst)


def _temp_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def temp_dir(prefix: str = "bench-") -> Path:
    """A temp dir removed when this process exits."""
    return _temp_dir(prefix)


def render_project(**data: Any) -> Path:
    """The template rendered with its defaults (plus `data`) into a temp dir; returns its path.

    Honors ``BENCH_PROJECT_DIR`` (when `data` is empty) to reuse a render.
    """
    existing = os.environ.get(PROJECT_ENV)
    if existing and not data:
        path = Path(existing)
        if not (path / "agents_core" / "__init__.py").is_file():
            raise SystemExit(f"{PROJECT_ENV}={existing} holds no rendered agents_core package")
        return path
    return render_template(REPO_ROOT, _temp_dir("bench-project-") / "project", **data)


def template_is_dirty() -> bool | None:
    """True when the repo has uncommitted changes (copier then adds a draft commit per render)."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain"],  # read-only
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return bool(out.strip())


# --- workers --------------------------------------------------------------------------------


def check_runtime() -> None:
    """Exit with a clear message when this interpreter cannot run a rendered project."""
    import importlib.util

    missing = [name for name in RUNTIME_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        deps = " ".join(f"'{dep}'" for dep in RUNTIME_DEPS)
        raise SystemExit(
            f"{sys.executable} lacks {', '.join(missing)}: the benchmarks import the rendered "
            f"agents_core with this interpreter. Install the project's runtime deps ({deps}), "
            "e.g. into the template repo's dev group, or run with another venv."
        )


def worker_env(project: Path, data_dir: Path, **extra: str | None) -> dict[str, str]:
    """Environment of a process that runs the rendered project offline and hermetically.

    `extra` values of None remove the variable.
    """
    env = dict(os.environ)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SESSION_URL", "DEFAULT_MODEL"):
        env.pop(name, None)
    env.update(
        PYTHONPATH=str(project),
        DATA_DIR=str(data_dir),
        LLM_PROVIDER="offline",
        TRACING="off",
        LOG_LEVEL="WARNING",
    )
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_worker(
    script: Path,
    args: Sequence[str],
    project: Path,
    *,
    python: Path | None = None,
    timeout: float = 600,
    **env: str | None,
) -> Any:
    """Run ``script --worker args`` on the rendered project; returns the JSON it prints last.

    The worker runs in a fresh temp dir (no stray `.env` is read) with DATA_DIR inside it, with
    `python` (default: this interpreter) and `env` as `worker_env` takes it.
    Its stderr passes through; its stdout's last line must be the JSON result.
    """
    work = _temp_dir("bench-worker-")
    data_dir = work / "data"
    data_dir.mkdir()
    proc = subprocess.run(
        [str(python or sys.executable), str(script), "--worker", *args],
        cwd=work,
        env=worker_env(project, data_dir, **env),
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"worker {script.name} failed with exit code {proc.returncode}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    for line in lines[:-1]:
        print(line)
    return json.loads(lines[-1])


# --- statistics and output ------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank), e.g. q=90 for p90."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": median(values),
        "p90": percentile(values, 90),
        "min": min(values),
    }


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else math.inf


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, right-aligned except the first column."""
    cells = [[str(h) for h in headers], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0])]
        parts += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def write_json(path: str | None, payload: Mapping[str, Any]) -> None:
    """Write a benchmark's summary for run_all.py (no-op without a path)."""
    if path:
        Path(path).write_text(json.dumps(payload, indent=2))


def machine_line() -> str:
    cpus = os.cpu_count()
    pdwb = os.environ.get("PYTHONDONTWRITEBYTECODE") or "unset"
    return (
        f"python {sys.version.split()[0]} ({sys.executable}), {cpus} CPUs, "
        f"PYTHONDONTWRITEBYTECODE={pdwb}"
    )
