"""A generated project's flows deployed on a real Prefect server and run by a real worker.

The path docs/workflows.md ("Deploying to a work pool") tells users to follow, for real, once
per session on the default answers (workflows and API on): render, `uv sync`, then in the
project's environment

    prefect server start --host 127.0.0.1 --port P      (hermetic PREFECT_HOME in a temp dir)
    prefect work-pool create <slug> --type process
    prefect --no-prompt deploy --all                     (the project's prefect.yaml)
    prefect worker start --pool <slug>
    arun_deployment(..., timeout=0) twice                (one run completes, one fails)

and the runs' final states and results are read back from the server. Every process runs in its
own process group, killed at the end whatever happens; each step has a time limit and so has the
whole test (DEADLINE). It lives here rather than in the generated suite: the server alone takes
~12 s to start, too much to pay in every combination with workflows.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests._render import Renderer
from tests._tools import REPO_ROOT, Result, isolated_env, run, uv_executable

DEADLINE = 240.0  # seconds for the whole path after `uv sync` (~36 s on a 2-core machine)
DRIVER = REPO_ROOT / "tests" / "_deploy_driver.py"
ANSWERS = {"include_workflows": True, "include_api": True, "include_samples": True}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    """Background processes, each in its own process group; `stop_all` ends every group."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self,
        name: str,
        args: Sequence[str | os.PathLike[str]],
        *,
        cwd: Path,
        env: dict[str, str],
    ) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [os.fspath(a) for a in args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started.append((name, proc))

    def log(self, name: str, lines: int = 40) -> str:
        text = (self.logs / f"{name}.log").read_text(errors="replace")
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def stop_all(self) -> None:
        for _, proc in reversed(self.started):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in reversed(self.started):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        # The groups' other members (a worker's flow-run processes) get the same treatment.
        for _, proc in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def processes(logs: Path) -> Iterator[Processes]:
    procs = Processes(logs)
    try:
        yield procs
    finally:
        procs.stop_all()


def _wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.25)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f} s")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.mark.generated
@pytest.mark.cost(100)  # seconds (129 s measured at load ~7), for the start order
def test_flows_deploy_to_a_process_work_pool_and_run_on_a_worker(
    renderer: Renderer, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    project = renderer.render_fresh(ANSWERS, tmp_path / "project")
    slug = "my-agents"
    assert (project / "prefect.yaml").is_file()
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = isolated_env(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_API_URL=api_url,
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        # The worker asks for runs every second (default 10 s) and starts at once.
        PREFECT_WORKER_QUERY_SECONDS="1",
        DATA_DIR=str(tmp_path / "data"),
        LLM_PROVIDER="offline",
    )
    synced = run([uv_executable(), "sync"], cwd=project, env=env, timeout=600)
    assert synced.ok, synced.describe()
    prefect = project / ".venv" / "bin" / "prefect"
    python = project / ".venv" / "bin" / "python"

    timings: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str, args: Sequence[str | os.PathLike[str]], timeout: float = 60) -> Result:
        remaining = DEADLINE - (time.perf_counter() - started)
        result = run(args, cwd=project, env=env, timeout=max(1.0, min(timeout, remaining)))
        timings[name] = result.seconds
        assert result.ok, result.describe()
        return result

    with processes(tmp_path) as procs:
        # The services (scheduler, late runs, ...) are not needed for a run created now to reach
        # a polling worker; off, the server starts faster and idles quietly.
        procs.start(
            "server",
            [
                prefect,
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-ui",
                "--no-services",
            ],
            cwd=project,
            env=env,
        )
        try:
            _wait_until(lambda: _healthy(api_url), timeout=120, what="prefect server")
        except TimeoutError:
            pytest.fail(f"the Prefect server did not start:\n{procs.log('server')}")
        timings["server"] = time.perf_counter() - started

        step("work-pool", [prefect, "work-pool", "create", slug, "--type", "process"])
        step("deploy", [prefect, "--no-prompt", "deploy", "--all"], timeout=120)
        procs.start("worker", [prefect, "worker", "start", "--pool", slug], cwd=project, env=env)
        driven = step("runs", [python, DRIVER, "--timeout", "90"], timeout=120)
        timings["total"] = time.perf_counter() - started

    report = json.loads(driven.output.strip().splitlines()[-1])
    line = "deploy path: " + "  ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    print(line)
    record_property("generated_timings", line)
    worker_log = procs.log("worker", 80)
    assert "timed_out" not in report, f"{report}\n--- worker ---\n{worker_log}"
    completed, failed = report["completes"], report["fails"]
    assert completed["state"] == "Completed", f"{completed}\n--- worker ---\n{worker_log}"
    analysis = completed["result"]["analysis"]
    assert analysis["agent"] == "assistant"
    assert "5" in analysis["text"]
    assert failed["state"] == "Failed", failed
    assert "no-such-agent" in failed["error"]
    assert report["api_start"]["status"] == 202, report["api_start"]
    assert report["api_start"]["body"]["mode"] == "deployment"
    through_api = report["api"]
    assert through_api["state_type"] == "COMPLETED", through_api
    assert through_api["deployment_id"] is not None
    assert through_api["result_available"] is True
    assert "20" in through_api["result"]["analysis"]["text"]
    assert timings["total"] < DEADLINE
