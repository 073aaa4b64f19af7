"""One Prefect server for every flow of the test session.

Prefect's environment (a temporary PREFECT_HOME, services off, no telemetry) is set by
tests/conftest.py when pytest starts, before anything imports Prefect.
"""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

# Imported while pytest collects, with the real stderr: importing the flows configures Prefect's
# logging, whose console handler keeps the stream it finds then. Imported first inside a test
# that captures output (capsys), it would write to that test's closed capture file later
# ("I/O operation on closed file"), failing whichever test logs next.
import workflows_core  # noqa: F401

_HERE = Path(__file__).resolve().parent

# Prefect 3.8 leaves one HTTP client socket to its API open per flow run (it reads the server's
# default result storage with a sync client it never closes: prefect/results.py). The garbage
# collector closes it later with a ResourceWarning, which filterwarnings=error would turn into a
# failure of whatever test is running then. Ignored in these tests only, and collected after each.
_PREFECT_SOCKET_LEAK = "ignore:unclosed <socket.socket:ResourceWarning"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.filterwarnings(_PREFECT_SOCKET_LEAK))


@pytest.fixture(autouse=True)
def _collect_prefect_sockets(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "prefect_server" not in request.fixturenames:  # ran no flow
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    # What survived is long-lived (modules, Prefect's clients and settings): later collections
    # skip it and look only at what the next test makes (a full one took ~2 s per test).
    gc.freeze()


SHARED_SERVER_VAR = "AGENTS_TEST_PREFECT_API_URL"
"""The API URL of a Prefect server already running for tests (e.g. one shared by many suites)."""


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[str]:
    """A Prefect server on 127.0.0.1 for the session's flows; its API URL.

    The one at AGENTS_TEST_PREFECT_API_URL when set (start one with `prefect server start`: it
    saves each test session the ~15 s a new server takes), else a temporary one for this
    session (a subprocess), started on first use: tests that only call `.fn()` or read the
    catalog do not pay for it.
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    # A sync flow would wait ~1 s at its end for the heartbeat thread (ours are async).
    no_heartbeat = temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    shared = os.environ.get(SHARED_SERVER_VAR, "").strip()
    if shared:
        with no_heartbeat, temporary_settings(updates={PREFECT_API_URL: shared}):
            yield shared
        return

    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120), no_heartbeat:
        yield str(PREFECT_API_URL.value())
