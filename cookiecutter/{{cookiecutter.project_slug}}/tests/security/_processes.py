"""Helpers of the tests that start the project's own commands as processes."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from agents_core._defaults import PROJECT_SLUG

COMMAND = str(Path(sys.executable).with_name(PROJECT_SLUG))
"""The project's console script, in the environment running the tests."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_in_own_group(args: list[str], env: dict[str, str], output: Path) -> subprocess.Popen[str]:
    """The project's command in a new process group (its id is the process's pid).

    Its output goes to the file `output` (a pipe nobody reads would fill up and block it).
    """
    with output.open("w", encoding="utf-8") as file:
        return subprocess.Popen(
            [COMMAND, *args],
            env={**os.environ, **env},
            stdout=file,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def wait_until_healthy(process: subprocess.Popen[str], url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer /health within {timeout} s")


def group_members(group: int) -> list[int]:
    """Live processes (not zombies) whose process group is `group`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == group:
            members.append(int(entry.name))
    return members


def stop_group(group: int) -> None:
    """Kill whatever is left of the group (test clean-up)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, 9)
