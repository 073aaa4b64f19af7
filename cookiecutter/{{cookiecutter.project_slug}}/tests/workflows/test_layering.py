"""Layering: agents_core and the CLI load Prefect only when a workflow command runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # imports checked in fresh interpreters

PROJECT_ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in ("prefect", "fastapi") if m in sys.modules)))
"""


@pytest.mark.parametrize("module", ["agents_core", "{{ cookiecutter.package_name }}.cli"])
def test_importing_never_imports_prefect(module: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, module],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "prefect" not in json.loads(done.stdout.strip().splitlines()[-1])
