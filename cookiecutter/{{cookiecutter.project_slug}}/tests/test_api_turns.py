"""Turns through the API: one session, many requests, two server processes; 409 when busy."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agents_core import AgentSession
from agents_core.config import get_settings
from api import create_app
from api.settings import ApiSettings
from tests.test_turns import assert_whole_turns

PROJECT_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("backend_url")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def two_workers(backend_url: str) -> Iterator[str]:
    """`uvicorn --workers 2` on a free port, on the backend under test; yields its URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    command = [sys.executable, "-m", "uvicorn", "api:create_app", "--factory", "--workers", "2"]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:  # ready when it answers
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start: {server.communicate()[1]!r}")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(30)
        if server.stderr:
            server.stderr.close()


@pytest.mark.slow
async def test_twenty_concurrent_turns_across_two_workers(two_workers: str) -> None:
    session_id = f"api-{uuid.uuid4().hex[:12]}"
    questions = [f"What is {n} + {n}?" for n in range(1, 21)]
    async with httpx.AsyncClient(base_url=two_workers, timeout=60) as client:
        responses = await asyncio.gather(
            *(client.post("/runs", json={"input": q, "session_id": session_id}) for q in questions)
        )
        for n, response in enumerate(responses, start=1):
            assert response.status_code == 200, response.text
            assert response.json()["text"] == f"{n} + {n} = {2 * n}."
        history = (await client.get(f"/sessions/{session_id}")).json()["items"]
    assert_whole_turns(history, questions)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ApiSettings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


async def test_a_busy_session_is_409_session_busy(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSION_LOCK_TIMEOUT_SECONDS", "0.2")
    get_settings.cache_clear()
    session_id = f"busy-{uuid.uuid4().hex[:12]}"
    async with AgentSession(session_id) as holder, holder.turn("a long turn"):
        response = await client.post("/runs", json={"input": "Hi", "session_id": session_id})
    assert response.status_code == 409
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "session_busy"
    assert error["details"]["session_id"] == session_id
    assert "SESSION_LOCK_TIMEOUT_SECONDS" in error["message"]


async def test_a_secret_is_refused_and_never_stored(client: httpx.AsyncClient) -> None:
    session_id = f"secret-{uuid.uuid4().hex[:12]}"
    body = {"input": "my key is sk-proj-abcdefghijklmnop0123", "session_id": session_id}
    response = await client.post("/runs", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["details"]["guardrail"] == "no_secrets"
    assert (await client.get(f"/sessions/{session_id}")).status_code == 404
