"""Fixtures shared by the template's tests: the template snapshot, renders, the import venv."""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._prefect_server import prefect_server
from tests._render import Renderer, plain_tree, questions_only, snapshot_template
from tests._tools import SharedVenv, cpu_seconds

TIMINGS_PROPERTY = "generated_timings"
# CPU-seconds of a test (setup to teardown, its finished subprocesses included), as a user property
# of its teardown report, so that xdist carries it to the controller.
CPU_PROPERTY = "cpu_seconds"
# Where the suite table of the last run is kept, under pytest's cache dir
# (.pytest_cache/v/template-ci/suite-times): bench/ reads its CI estimate from it.
SUITE_TIMES_KEY = "template-ci/suite-times"
_CPU_START = pytest.StashKey[float]()


@pytest.fixture(scope="session")
def shared_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temp dir shared by all xdist workers of this session (the session's own without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the working tree's current template, committed (see _render)."""
    return snapshot_template(tmp_path_factory.mktemp("template-src"))


@pytest.fixture(scope="session")
def questions_src(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template's questions with an empty tree: for tests of answers alone (fast)."""
    return questions_only(template_src, tmp_path_factory.mktemp("questions") / "src")


@pytest.fixture(scope="session")
def renderer(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    plain = plain_tree(template_src, tmp_path_factory.mktemp("template-plain") / "src")
    return Renderer(template_src, tmp_path_factory.mktemp("renders"), plain)


@pytest.fixture(scope="session")
def import_venv(shared_tmp: Path) -> SharedVenv:
    return SharedVenv(shared_tmp)


@pytest.fixture(scope="session")
def shared_prefect_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Prefect server for this worker's generated workflow suites (tests/_prefect_server)."""
    with prefect_server(tmp_path_factory.mktemp("prefect-server")) as api_url:
        yield api_url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the slow tests first, longest first, so that xdist's workers finish together.

    `generated` tests come first, ordered by their `cost(seconds)` marker (expected seconds on the
    CI machine; unmarked ones after the marked, in file order), then the rest in file order.
    """
    items.sort(key=_start_order)


def _start_order(item: pytest.Item) -> tuple[bool, float]:
    cost = item.get_closest_marker("cost")
    return item.get_closest_marker("generated") is None, -float(cost.args[0] if cost else 0)


_SESSION_STARTED = time.monotonic()


def pytest_sessionstart() -> None:
    global _SESSION_STARTED
    _SESSION_STARTED = time.monotonic()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_CPU_START] = cpu_seconds()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "teardown" and _CPU_START in item.stash:
        used = cpu_seconds() - item.stash[_CPU_START]
        report.user_properties.append((CPU_PROPERTY, round(used, 2)))
    return report


# nodeid -> [wall seconds (setup + call + teardown), CPU-seconds], filled on the controller.
_TEST_COSTS: dict[str, list[float]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    cost = _TEST_COSTS.setdefault(report.nodeid, [0.0, 0.0])
    cost[0] += report.duration
    for name, value in report.user_properties:
        if name == CPU_PROPERTY and report.when == "teardown":
            cost[1] += float(value)  # type: ignore[arg-type]


def suite_of(nodeid: str) -> str:
    """The table's row for a test: each generated project or release update on its own, else its
    file (the render matrix, the answer checks, ...)."""
    path, _, name = nodeid.partition("::")
    if path.endswith(("test_generated.py", "test_update_from_release.py")) and "[" in name:
        return f"{Path(path).stem}[{name.partition('[')[2]}"
    if path.endswith("test_update_from_release.py"):
        return f"{Path(path).stem}::{name}"
    return path


def suite_table(costs: dict[str, list[float]], session_wall: float, workers: int) -> dict[str, Any]:
    """Per-suite wall and CPU seconds of a run, heaviest CPU first, and the run's totals."""
    suites: dict[str, dict[str, float]] = {}
    for nodeid, (wall, cpu) in costs.items():
        row = suites.setdefault(suite_of(nodeid), {"tests": 0, "wall_s": 0.0, "cpu_s": 0.0})
        row["tests"] += 1
        row["wall_s"] += wall
        row["cpu_s"] += cpu
    rows: list[dict[str, Any]] = [
        {
            "suite": name,
            "tests": int(row["tests"]),
            "wall_s": round(row["wall_s"], 1),
            "cpu_s": round(row["cpu_s"], 1),
        }
        for name, row in sorted(suites.items(), key=lambda item: -item[1]["cpu_s"])
    ]
    return {
        "session_wall_s": round(session_wall, 1),
        "workers": workers,
        "cores": os.cpu_count(),
        "tests": len(costs),
        "wall_s": round(sum(float(r["wall_s"]) for r in rows), 1),
        "cpu_s": round(sum(float(r["cpu_s"]) for r in rows), 1),
        "suites": rows,
    }


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Show what each generated project cost (recorded as a user property, so xdist carries it),
    then the per-suite table of wall and CPU seconds (also kept in the cache: SUITE_TIMES_KEY)."""
    _generated_timings(terminalreporter)
    if not _TEST_COSTS:
        return
    workers = getattr(config.option, "numprocesses", None)
    table = suite_table(
        _TEST_COSTS,
        time.monotonic() - _SESSION_STARTED,
        workers if isinstance(workers, int) else 0,
    )
    terminalreporter.section("CPU and wall seconds per suite (setup to teardown)")
    terminalreporter.write_line(f"{'suite':<64} {'tests':>5} {'wall s':>8} {'CPU s':>8}")
    for row in table["suites"]:
        terminalreporter.write_line(
            f"{row['suite']:<64} {row['tests']:>5} {row['wall_s']:>8.1f} {row['cpu_s']:>8.1f}"
        )
    terminalreporter.write_line(
        f"{'total':<64} {table['tests']:>5} {table['wall_s']:>8.1f} {table['cpu_s']:>8.1f}"
        f"   session wall {table['session_wall_s']:.0f}s on {table['cores']} cores"
    )
    if config.cache is not None:
        config.cache.set(SUITE_TIMES_KEY, table)
        where = config.rootpath / str(config.getini("cache_dir")) / "v" / SUITE_TIMES_KEY
        terminalreporter.write_line(f"written to {where}")


def _generated_timings(terminalreporter: pytest.TerminalReporter) -> None:
    rows: list[str] = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == TIMINGS_PROPERTY:
                    rows.append(str(value))
    if rows:
        terminalreporter.section("generated projects: wall time per combination")
        for row in sorted(rows, key=_row_seconds, reverse=True):
            terminalreporter.write_line(row)
        suites = sum(_row_seconds(row) for row in rows)
        wall = time.monotonic() - _SESSION_STARTED
        terminalreporter.write_line(
            f"total: {len(rows)} rows, {suites:.0f}s of suites; session wall time {wall:.0f}s"
        )


def _row_seconds(row: str) -> float:
    """The total seconds of a timings row (`<id> <seconds>s ...`; 0 when it has none)."""
    for word in row.split()[1:]:
        try:
            return float(word.rstrip("s"))
        except ValueError:
            continue
    return 0.0
