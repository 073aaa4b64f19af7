"""The child processes of this process, to stop on SIGTERM.

A library that starts a process (Prefect's temporary server) registers its own cleanup only after
the process exists; a SIGTERM between the two would orphan it. On the way out after a SIGTERM
the CLI stops whatever children are still running, found from the kernel (Linux's
`/proc/<pid>/task/<tid>/children`); elsewhere only the libraries' own cleanup runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def running_children() -> list[int]:
    """Ids of this process's live child processes (empty where the kernel does not list them)."""
    found: set[int] = set()
    for listing in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found.update(int(pid) for pid in listing.read_text().split())
    return sorted(found)


def stop_children(timeout: float = 5.0) -> None:
    """SIGTERM every live child, reap it, and SIGKILL those still running after `timeout` s."""
    children = running_children()
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while children and time.monotonic() < deadline:
        children = [pid for pid in children if not _reaped(pid)]
        if children:
            time.sleep(0.05)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _reaped(pid, block=True)


def _reaped(pid: int, *, block: bool = False) -> bool:
    try:
        done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:  # already reaped (by its library's own cleanup)
        return True
    return done == pid
