"""`git add -A` commits nothing the project writes under data/."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # git in a new process

PROJECT_ROOT = Path(__file__).resolve().parents[2]

WRITTEN = (
    "data/sessions.db",
    "data/sessions.db-wal",
    "data/sales.db",
    "data/sales.db.built",
    "data/prefect/prefect.db",
    "data/prefect/storage/3f2a",
    "data/workflows/inbox/orders.json",
    "data/workflows/datasets/orders/raw.json",
    "data/workflows/reports/sales-revenue.json",
)


def test_gitignore_covers_everything_under_data(tmp_path: Path) -> None:
    shutil.copy(PROJECT_ROOT / ".gitignore", tmp_path / ".gitignore")
    for name in WRITTEN:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert staged == [".gitignore"]
