"""`serve` starting a workflow: the event loop stays free, and SIGTERM leaves no process behind.

Both tests share one served project (its own process group, its own local Prefect server):
starting one costs Prefect's import and server start, ~15 s. Its model is llmock on 127.0.0.1,
holding its answer: the workflow's run is still going (inside Prefect's flow engine) when the
SIGTERM comes.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from llmock.scenarios import Delay
from llmock.testing import LLMockServer

from tests.security._processes import (
    free_port,
    group_members,
    start_in_own_group,
    stop_group,
    wait_until_healthy,
)

pytestmark = pytest.mark.slow  # serve in a new process, with Prefect

MODEL_DELAY_SECONDS = 60


@dataclass
class Served:
    process: subprocess.Popen[str]
    pid: int
    url: str
    started: httpx.Response
    model_server: LLMockServer
    start_seconds: float
    """How long the workflow's start took (Prefect's import and local server start)."""
    health_seconds: list[float] = field(default_factory=list)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with LLMockServer() as model_server:
        # The run's model call waits longer than the tests take: the run is going until SIGTERM.
        model_server.state.scenarios.add(Delay(seconds=MODEL_DELAY_SECONDS, times=None))
        env = {
            # PREFECT_API_URL unset: the first run imports Prefect and starts its local server.
            "PREFECT_API_URL": "",
            "WORKFLOW_EXECUTION": "in-process",
            "OPENAI_BASE_URL": model_server.base_url("openai"),
            "OPENAI_API_KEY": "test-key",
            "OPENAI_API": "chat_completions",
            "DEFAULT_MODEL": "mock-model",
            "TRACING": "off",
            "MODEL_TIMEOUT_SECONDS": str(2 * MODEL_DELAY_SECONDS),
        }
        thread = model_server._thread
        try:
            yield from _serve(model_server, env, tmp_path_factory.mktemp("serve") / "serve.log")
        finally:
            _stop_without_waiting(model_server)
    # The held call ended with its server: nothing of llmock runs on during later tests.
    assert thread is not None
    assert not thread.is_alive()


def _stop_without_waiting(model_server: LLMockServer) -> None:
    """Have llmock's server stop without waiting for the model call it still holds.

    uvicorn (llmock's server, in a thread of this process) waits for open requests when it stops,
    and the held call (MODEL_DELAY_SECONDS) outlives LLMockServer's 10 s join: its thread ran on
    into later tests, then answered into the closed socket, drawing from the global `random`
    (llmock's jitter) while a Hypothesis strategy of test_api_fuzz.py was drawing. Hypothesis
    takes that for a strategy using `random` and fails the test (issue 28: 1 run in 5).
    """
    server = model_server._server
    if server is not None:
        server.force_exit = True  # skip the wait for open connections and tasks


def _serve(model_server: LLMockServer, env: dict[str, str], log: Path) -> Iterator[Served]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_in_own_group(["serve", "--port", str(port)], env, log)
    try:
        wait_until_healthy(process, url)
        health: list[float] = []
        done = threading.Event()

        def probe() -> None:
            with httpx.Client(base_url=url, timeout=30) as client:
                while not done.is_set():
                    began = time.perf_counter()
                    client.get("/health").raise_for_status()
                    health.append(time.perf_counter() - began)
                    time.sleep(0.05)

        prober = threading.Thread(target=probe)
        prober.start()
        began = time.perf_counter()
        try:
            started = httpx.post(
                f"{url}/workflows/agent-analysis/runs",
                json={"parameters": {"query": "What is 2 + 2?", "agent": "assistant"}},
                timeout=180,
            )
        finally:
            start_seconds = time.perf_counter() - began
            done.set()
            prober.join()
        yield Served(process, process.pid, url, started, model_server, start_seconds, health)
    finally:
        process.kill()
        process.wait(timeout=30)
        stop_group(process.pid)


def test_health_answers_at_once_while_a_workflow_starts(served: Served) -> None:
    assert served.started.status_code == 202, served.started.text
    assert len(served.health_seconds) > 10  # the start took a while: the probe ran meanwhile
    # Before the fix the loop stalled for the whole import and server start (~14 s): one
    # answer took about as long as the start. Now the worker thread importing Prefect competes
    # for the GIL (and for the cores with Prefect's server starting), which can hold a few
    # answers for a while. The bounds are fractions of the start's own time, so that they hold
    # on a loaded machine too, where everything (the start included) is slower; an absolute
    # 1 s bound failed on a 2-core machine running other suites (issue 28).
    start = served.start_seconds
    assert statistics.median(served.health_seconds) < start / 40, (start, served.health_seconds)
    assert max(served.health_seconds) < start / 4, (start, served.health_seconds)


def test_sigterm_during_a_flow_run_leaves_no_process_of_the_group(served: Served) -> None:
    # The run is in Prefect's flow engine, which swaps in its own SIGTERM handler while it runs:
    # before api/server_thread.py that handler took the signal (uvloop logged its exception)
    # and nothing stopped, a flake that depended on when the signal came (issue 28).
    deadline = time.monotonic() + 120
    while served.model_server.state.journal.in_flight == 0 and time.monotonic() < deadline:
        assert served.process.poll() is None
        time.sleep(0.05)
    assert served.model_server.state.journal.in_flight == 1, "the flow run never called its model"
    assert len(group_members(served.pid)) >= 2  # serve and Prefect's local server
    os.kill(served.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while group_members(served.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group_members(served.pid) == []
    assert served.process.wait(timeout=5) == 128 + signal.SIGTERM
