"""Fixtures shared by the template's tests: the template snapshot, renders, the import venv."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the slow generated suites first so that xdist's workers finish together."""
    items.sort(key=lambda item: item.get_closest_marker("generated") is None)


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
        for row in sorted(rows):
            terminalreporter.write_line(row)
