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


FAULTS_MODULE = REPO / "template" / "agents_core" / "llm" / "faults.py"
FAULTS_PAGE = REPO / "docs" / "real-models.md"


def fault_rows() -> list[str]:
    """The docs' table rows of `agents_core.llm.faults.FAULT_LIST`, read from the source."""
    import ast

    tree = ast.parse(FAULTS_MODULE.read_text(encoding="utf-8"))
    (table,) = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "FAULT_LIST"
    ]
    assert isinstance(table, ast.Tuple)
    rows = []
    for call in table.elts:
        assert isinstance(call, ast.Call)
        name, happened, advice, retried, status = (ast.literal_eval(arg) for arg in call.args)
        rows.append(f"| `model_{name}` | {happened} | {advice} | {retried} | {status} |")
    return rows


def test_the_docs_fault_table_is_the_code_s() -> None:
    documented = [
        line.strip()
        for line in FAULTS_PAGE.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `model_")
    ]
    assert documented == fault_rows()
