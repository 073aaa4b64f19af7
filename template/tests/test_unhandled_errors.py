"""The suite's own guard: an error nothing handled fails the test it happened in (issue 28).

Runs pytest on small probe tests with this project's conftest and pytest settings: a task whose
exception is never retrieved (asyncio's "Task exception was never retrieved", on the test's loop)
and an exception raised in `__del__` (an unraisable exception, an error under
`filterwarnings = ["error"]`) each fail their test; a clean test passes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # pytest in a new process

PROJECT_ROOT = Path(__file__).resolve().parents[1]

PROBES = """
import asyncio
import gc


async def test_lost_task_error() -> None:
    async def fails() -> None:
        raise RuntimeError("nobody reads this")

    task = asyncio.create_task(fails())
    await asyncio.wait({task})
    del task  # never retrieved: asyncio reports it when the task is freed
    gc.collect()


class Unraisable:
    def __del__(self) -> None:
        raise RuntimeError("raised where nobody can catch it")


def test_unraisable_exception() -> None:
    Unraisable()
    gc.collect()


async def test_clean() -> None:
    await asyncio.sleep(0)
"""


def test_unhandled_errors_fail_their_test(tmp_path: Path) -> None:
    probes = tmp_path / "test_probes.py"
    probes.write_text(PROBES)
    pytest = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    settings = ["-c", str(PROJECT_ROOT / "pyproject.toml"), "--rootdir", str(PROJECT_ROOT)]
    done = subprocess.run(
        [*pytest, *settings, "-q", "-rfE", str(probes)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    summary = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert any("test_lost_task_error" in line for line in summary), done.stdout
    assert any("test_unraisable_exception" in line for line in summary), done.stdout
    assert not any("test_clean" in line for line in summary), done.stdout
    assert "1 failed" in done.stdout, done.stdout  # the unraisable one, in its call
    assert "1 error" in done.stdout, done.stdout  # the lost task's, at its teardown
    assert "Task exception was never retrieved" in done.stdout
