"""Subprocesses, uv environments and cross-process locks shared by the template's tests."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# Variables that would leak this repository's environment (or a real API key) into a generated
# project's commands. Generated suites must run offline, with no key, in their own venv.
_LEAKY_PREFIXES = ("OPENAI_", "PYTEST_", "PREFECT_", "COPIER_")
_LEAKY_NAMES = frozenset(
    {
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "PYTHONHOME",
        "UV_PROJECT_ENVIRONMENT",
        "UV_RUN_RECURSION_DEPTH",
        "UV_PYTHON",
        "UV_FROZEN",
        "UV_LOCKED",
        "UV_NO_SYNC",
        # Set on the CI machines. A user's machine writes bytecode: the first process that
        # imports a module (a suite's pytest, a uv sync) compiles it and every later process of
        # the project (`python -m <package> ...`, uvicorn, Prefect, flow runs) loads it, 30-50 %
        # faster. Without it each of a suite's ~60 subprocesses compiles the SDK, FastAPI, Prefect.
        "PYTHONDONTWRITEBYTECODE",
    }
)


@dataclass(frozen=True)
class Result:
    """Outcome of one command."""

    args: tuple[str, ...]
    returncode: int
    output: str
    seconds: float
    # CPU-seconds (user + system) of the command and the descendants it waited for.
    cpu: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = 60) -> str:
        kept = self.output.rstrip().splitlines()[-lines:]
        return "\n".join(kept)

    def describe(self, lines: int = 60) -> str:
        cmd = " ".join(self.args)
        return (
            f"$ {cmd}\n"
            f"exit {self.returncode} after {self.seconds:.1f}s; last {lines} lines:\n"
            f"{self.tail(lines)}"
        )


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 1200,
) -> Result:
    """Run a command to completion, stdout and stderr merged, never raising on failure."""
    argv = tuple(os.fspath(a) for a in args)
    start = time.perf_counter()
    cpu_start = children_cpu_seconds()
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return Result(argv, -1, f"{out}\n[timed out after {timeout:.0f}s]", timeout)
    cpu = children_cpu_seconds() - cpu_start
    return Result(argv, proc.returncode, proc.stdout, time.perf_counter() - start, cpu)


def children_cpu_seconds() -> float:
    """CPU-seconds of this process's finished (waited-for) child processes, theirs included."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def cpu_seconds() -> float:
    """CPU-seconds of this process and of its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + children_cpu_seconds()


def uv_executable() -> str:
    """The uv binary: the one running us under `uv run`, else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        raise RuntimeError("uv is not installed: `pip install uv` (the CI script does it)")
    return found


def base_python() -> str:
    """The machine's Python that runs the tests (not a venv's copy): generated projects use it."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidate = Path(sys.base_prefix) / "bin" / f"python{version}"
    return str(candidate) if candidate.exists() else sys.executable


def cache_dir(tool: str) -> Path:
    """A cache shared by every generated project and every test process: `.cache/<tool>`.

    It lives in the repository's ignored `.cache/`, so it survives between sessions on a developer's
    machine. Caches are content-addressed (uv) or validated by source hash (mypy), so sharing them
    across combinations changes speed, not results.
    """
    path = REPO_ROOT / ".cache" / tool
    path.mkdir(parents=True, exist_ok=True)
    return path


def uv_cache_dir() -> Path:
    """The uv cache of generated projects: UV_CACHE_DIR from the environment, else `.cache/uv`."""
    configured = os.environ.get("UV_CACHE_DIR")
    if configured:
        Path(configured).mkdir(parents=True, exist_ok=True)
        return Path(configured)
    return cache_dir("uv")


def isolated_env(**extra: str) -> dict[str, str]:
    """Environment for commands run inside a generated project: no venv or key of ours leaks,
    and Python writes bytecode as on a user's machine (see _LEAKY_NAMES)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _LEAKY_NAMES and not key.startswith(_LEAKY_PREFIXES)
    }
    env.update(
        UV_CACHE_DIR=str(uv_cache_dir()),
        UV_PYTHON_DOWNLOADS="never",
        UV_PYTHON=base_python(),
        UV_NO_PROGRESS="1",
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def file_lock(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Exclusive lock shared by pytest-xdist workers (separate processes) and sessions.

    Yields whether the lock is held: always True when blocking, False when it is busy otherwise.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


class SharedVenv:
    """One venv for a whole test session (all xdist workers), grown with the requirements asked for.

    The render matrix uses it to import the rendered packages without a `uv sync` per combination.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.venv = root / "import-venv"
        self.python = self.venv / "bin" / "python"
        self._lock = root / "import-venv.lock"

    def ensure(self, requirements: Sequence[str]) -> Path:
        """Install `requirements` (once per distinct set) and return the venv's python."""
        marker = self.venv / f".installed-{digest(*sorted(requirements))}"
        uv = uv_executable()
        with file_lock(self._lock):
            if not self.python.exists():
                made = run(
                    [uv, "venv", "--quiet", "--python", base_python(), self.venv],
                    cwd=self.root,
                    env=isolated_env(),
                )
                if not made.ok:
                    raise RuntimeError(f"cannot create the import venv:\n{made.describe()}")
            if requirements and not marker.exists():
                installed = run(
                    [uv, "pip", "install", "--quiet", "--python", self.python, *requirements],
                    cwd=self.root,
                    env=isolated_env(),
                )
                if not installed.ok:
                    raise RuntimeError(f"cannot install {requirements}:\n{installed.describe()}")
                marker.touch()
        return self.python
