"""One Prefect server for the generated workflow suites of a test session (per xdist worker).

Each generated suite with workflows would otherwise start its own (`prefect_test_harness`,
~16 s of a loaded 2-core machine each). The suites find this one through
AGENTS_TEST_PREFECT_API_URL (their tests/workflows/conftest.py uses it when set). A worker runs
one suite at a time, so its server serves one suite at a time, as the harness did.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests._tools import isolated_env

STARTUP_TIMEOUT = 180.0
SERVICES = ("EVENT_PERSISTER", "TRIGGERS", "TASK_RUN_RECORDER", "SCHEDULER", "LATE_RUNS", "FOREMAN")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@contextlib.contextmanager
def prefect_server(workdir: Path) -> Iterator[str]:
    """Start `prefect server start` (this environment's Prefect) on 127.0.0.1; yield its API URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = isolated_env(
        PREFECT_HOME=str(workdir / "home"),
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        **{f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in SERVICES},
    )
    prefect = Path(sys.executable).parent / "prefect"
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(api_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"the shared Prefect server did not start:\n{tail}")
            time.sleep(0.25)
        yield api_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
