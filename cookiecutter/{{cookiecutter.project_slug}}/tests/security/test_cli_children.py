"""SIGTERM to `flow run` stops the local Prefect server the command started."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.security._processes import group_members, start_in_own_group, stop_group

pytestmark = pytest.mark.slow  # a CLI process and its children


def test_sigterm_to_a_flow_run_leaves_no_process_of_the_group(tmp_path: Path) -> None:
    process = start_in_own_group(
        ["flow", "run", "agent-analysis", "-p", "query=What is 2 + 2?"],
        {"PREFECT_API_URL": ""},
        tmp_path / "flow.log",
    )
    try:
        deadline = time.monotonic() + 120
        while len(group_members(process.pid)) < 2:  # wait for Prefect's local server
            assert process.poll() is None, (tmp_path / "flow.log").read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the local Prefect server never started"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_members(process.pid) == []
    finally:
        process.kill()
        stop_group(process.pid)
