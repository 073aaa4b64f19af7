"""Render time of the template (`copier copy --defaults`, copier's Python API, from git HEAD).

Measured in this process, each render into a new temp dir, variants interleaved in rounds after
one untimed render of each:

  trivial template      baseline: a temp git repo with copier.yml (one question) and one
                        templated file, committed and tagged, rendered at HEAD
  template (repo HEAD)  this repository at HEAD, as the tests render it; when the tree is dirty,
                        copier first commits the uncommitted changes in its clone (git add -A,
                        git commit), which it does on every render
  template (snapshot)   the same files committed into a clean temp repo: the template's own
                        cost, what a user rendering a released tag pays

Printed: median and p90 in seconds, and the ratio of medians against the trivial template.

    python bench/render_time.py [--runs 10]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _project

TRIVIAL_COPIER_YML = """\
_templates_suffix: .jinja
project_name:
  type: str
  help: Name of the project
  default: demo
"""
TRIVIAL_FILE = "# {{ project_name }}\n"
BASELINE = "trivial template"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _commit_all(repo: Path) -> None:
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "snapshot")
    _git(repo, "tag", "v0.1.0")


def trivial_template(root: Path) -> Path:
    repo = root / "trivial"
    repo.mkdir()
    (repo / "copier.yml").write_text(TRIVIAL_COPIER_YML)
    (repo / "README.md.jinja").write_text(TRIVIAL_FILE)
    _commit_all(repo)
    return repo


def snapshot_template(root: Path) -> Path:
    """The files git sees in this repo's working tree (tracked and untracked, not ignored),
    committed into a fresh repo. Read-only on this repo."""
    repo = root / "snapshot"
    repo.mkdir()
    listing = _git(
        _project.REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"
    )
    for name in filter(None, listing.split("\0")):
        src = _project.REPO_ROOT / name
        if src.is_file():
            dst = repo / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    _commit_all(repo)
    return repo


def measure(runs: int) -> dict[str, dict[str, Any]]:
    root = _project.temp_dir("bench-render-")
    sources = {
        BASELINE: trivial_template(root),
        "template (repo HEAD)": _project.REPO_ROOT,
        "template (snapshot)": snapshot_template(root),
    }
    outputs = root / "out"
    outputs.mkdir()
    counter = 0

    def render(src: Path) -> float:
        nonlocal counter
        counter += 1
        dst = outputs / f"r{counter}"
        start = time.perf_counter()
        _project.render_template(src, dst)
        elapsed = time.perf_counter() - start
        shutil.rmtree(dst, ignore_errors=True)
        return elapsed

    for src in sources.values():  # warm-up: imports, caches
        render(src)
    samples: dict[str, list[float]] = {name: [] for name in sources}
    names = list(sources)
    for round_index in range(runs):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(render(sources[name]))
    results = {name: _project.summarize(values) for name, values in samples.items()}
    base = results[BASELINE]["median"]
    for stats in results.values():
        stats["ratio"] = _project.ratio(stats["median"], base)
    return results


def report(results: dict[str, dict[str, Any]], dirty: bool | None) -> None:
    rows = [[name, s["n"], s["median"], s["p90"], s["ratio"]] for name, s in results.items()]
    print(_project.table(["variant", "n", "median s", "p90 s", "x trivial"], rows))
    print()
    print(f"repo tree dirty: {dirty} (dirty: every repo-HEAD render adds copier's draft commit)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="renders per variant")
    parser.add_argument("--json", help="write the summary here (run_all.py)")
    args = parser.parse_args(argv)

    print(f"== render_time: {_project.machine_line()}")
    start = time.perf_counter()
    dirty = _project.template_is_dirty()
    results = measure(args.runs)
    report(results, dirty)
    print(f"(took {time.perf_counter() - start:.1f} s)")
    _project.write_json(args.json, {"render_time": results, "render_dirty": dirty})
    return 0


if __name__ == "__main__":
    sys.exit(main())
