"""The documentation site builds strictly: every page in the nav, no broken link or anchor."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_mkdocs_builds_strictly(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs") or str(Path(sys.executable).with_name("mkdocs"))
    done = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pages = {
        path.relative_to(tmp_path / "site").as_posix()
        for path in (tmp_path / "site").rglob("index.html")
    }
    assert {"index.html", "questions/index.html", "offline-model/index.html"} <= pages
