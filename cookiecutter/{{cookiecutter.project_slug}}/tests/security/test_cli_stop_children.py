"""After a SIGTERM the CLI stops the child processes a library started but did not register."""

from __future__ import annotations

import subprocess
import sys

import pytest

from {{ cookiecutter.package_name }}.children import running_children, stop_children

pytestmark = pytest.mark.slow  # starts a process


def test_stop_children_ends_a_child_nobody_kept_a_handle_on() -> None:
    # What a SIGTERM can leave: a library started a process and was stopped before it kept a
    # handle on it (Prefect's temporary server between its Popen and its atexit cleanup).
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert running_children() == [child.pid]
    stop_children(timeout=5)
    assert running_children() == []
    child.wait(timeout=1)  # already reaped: the handle only learns it is gone
