"""Fixtures shared by the template's tests: the template snapshot, renders, the import venv."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._prefect_server import prefect_server
from tests._render import Renderer, questions_only, snapshot_template
from tests._tools import SharedVenv

TIMINGS_PROPERTY = "generated_timings"


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
    return Renderer(template_src, tmp_path_factory.mktemp("renders"))


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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show what each generated project cost (recorded as a user property, so xdist carries it)."""
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
