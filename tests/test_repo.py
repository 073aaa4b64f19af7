"""The template repository's own code (tests, hooks, benchmarks) is linted and type-checked.

The template tree itself is excluded here (pyproject.toml); it is checked after rendering.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests._tools import REPO_ROOT, run, uv_executable

BIN = Path(sys.executable).parent

CHECKS = {
    "ruff": [str(BIN / "ruff"), "check", "--no-cache", "."],
    "ruff-format": [str(BIN / "ruff"), "format", "--check", "--no-cache", "."],
    "mypy": [str(BIN / "mypy")],
    # The benchmarks import each other as top-level modules (mypy_path) and the rendered
    # framework (agents_core, api), which is not installed here: those imports are unchecked.
    "mypy-bench": [str(BIN / "mypy"), "--ignore-missing-imports", "bench"],
    # uv.lock matches pyproject.toml (CI installs with `uv sync --frozen`, which would not notice).
    "uv-lock": [uv_executable(), "lock", "--check", "--offline"],
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_repository_code_is_clean(name: str) -> None:
    result = run(CHECKS[name], cwd=REPO_ROOT, timeout=300)
    if not result.ok:
        pytest.fail(result.describe(80), pytrace=False)
