"""Limits per principal across two API processes (two "machines") on one session store.

Both processes serve the same Redis or PostgreSQL store with RATE_LIMIT_PER_MINUTE=3 and
TOKEN_BUDGET_PER_DAY=1, and call a real OpenAI-compatible server (llmock, in this process, on
127.0.0.1) that journals every model request. A principal's requests alternate between the two:
the tokens its first run spent on one process refuse its next runs on the other (429
`token_budget_exceeded`), the requests counted by both refuse its fourth (429
`rate_limit_exceeded`), every 429 carries Retry-After, and the model saw no request of the
refused runs. Another principal is counted apart.

The principals are real API keys (`API_KEYS`, the same in both processes).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from llmock.testing import LLMockServer

from agents_core._defaults import SESSION_BACKEND
from tests.clock import within_one_minute
from tests.conftest import server_url

pytestmark = [pytest.mark.server_backend, pytest.mark.allow_model_calls]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Fresh names per test session, two of each (a scenario may run twice: tests/clock.py).
PRINCIPALS = {
    role: [f"{role}-{uuid.uuid4().hex[:12]}" for _ in range(2)] for role in ("alice", "bob")
}
API_KEYS = ",".join(f"{name}:key-{name}" for names in PRINCIPALS.values() for name in names)
CHAT_PATH = "/v1/chat/completions"

SERVER = """
import sys

import uvicorn

from api import create_app

uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120  # two imports of the app on a busy CI machine
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{url} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling a starting process: there is no event to wait on
    pytest.fail(f"{url} not ready after 120 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def model() -> Iterator[LLMockServer]:
    with LLMockServer() as server:
        yield server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, model: LLMockServer) -> Iterator[list[str]]:
    """Two API processes on one session store and one model server, each with its own data
    dir; the base URL of each."""
    url = server_url(SESSION_BACKEND)
    tmp_path = tmp_path_factory.mktemp("machines")
    started: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    try:
        for index in range(2):
            env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
            env.update(
                SESSION_URL=url,
                DATA_DIR=str(tmp_path / f"machine-{index}"),
                LLM_PROVIDER="openai",
                OPENAI_BASE_URL=model.base_url("openai"),
                OPENAI_API_KEY="test-key",
                OPENAI_API="chat_completions",
                DEFAULT_MODEL="mock-model",
                MODEL_MAX_RETRIES="0",
                TRACING="off",
                RATE_LIMIT_PER_MINUTE="3",
                TOKEN_BUDGET_PER_DAY="1",
                API_KEYS=API_KEYS,
            )
            port = _free_port()
            log = tmp_path / f"machine-{index}.log"
            with log.open("wb") as out:
                started.append(
                    subprocess.Popen(
                        [sys.executable, "-c", SERVER, str(port)],
                        cwd=PROJECT_ROOT,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            bases.append(f"http://127.0.0.1:{port}")
        for index, (base, proc) in enumerate(zip(bases, started, strict=True)):
            _wait_ready(base, proc, tmp_path / f"machine-{index}.log")
        yield bases
    finally:
        for proc in started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def _as(principal: str) -> dict[str, str]:
    return {"Authorization": f"Bearer key-{principal}"}


def _model_requests_of(model: LLMockServer, principal: str) -> int:
    """Model requests whose prompt holds `principal` (each run asks with its principal's id)."""
    records = model.state.journal.records(wait=2)
    return sum(1 for r in records if r.path == CHAT_PATH and principal in str(r.body))


async def test_limits_hold_across_two_processes(servers: list[str], model: LLMockServer) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        fresh = {role: iter(names) for role, names in PRINCIPALS.items()}

        async def scenario() -> None:
            alice, bob = next(fresh["alice"]), next(fresh["bob"])

            async def ask(principal: str, base: str) -> httpx.Response:
                body = {"input": f"Hello, I am {principal}.", "agent": "assistant"}
                return await client.post(f"{base}/runs", json=body, headers=_as(principal))

            answers = [await ask(alice, servers[0])]
            first_run = _model_requests_of(model, alice)
            assert first_run >= 1
            answers += [await ask(alice, servers[attempt % 2]) for attempt in range(1, 4)]
            assert [a.status_code for a in answers] == [200, 429, 429, 429], answers[-1].text
            codes = [a.json()["error"]["code"] for a in answers[1:]]
            assert codes == ["token_budget_exceeded"] * 2 + ["rate_limit_exceeded"]
            for refused in answers[1:]:
                assert int(refused.headers["retry-after"]) >= 1
                assert refused.json()["error"]["details"]["retry_after"] == int(
                    refused.headers["retry-after"]
                )
            assert int(answers[3].headers["retry-after"]) <= 60
            assert _model_requests_of(model, alice) == first_run  # no model call when refused
            usages = [
                (await client.get(f"{base}/usage", headers=_as(alice))).json() for base in servers
            ]
            assert usages[0] == usages[1]  # both processes read the same counters
            assert usages[0]["requests"]["used"] == 4
            assert usages[0]["tokens"]["used"] > 1
            # Bob is counted apart, on either process.
            assert (await ask(bob, servers[1])).status_code == 200
            assert _model_requests_of(model, bob) == first_run  # the same run: as many calls

        await within_one_minute(scenario)
