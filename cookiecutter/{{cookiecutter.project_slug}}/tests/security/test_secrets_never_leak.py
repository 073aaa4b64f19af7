"""Credentials in OPENAI_BASE_URL and the keys reach no client and no log line.

The model server's URL carries a user and a password, and nothing listens at its port: every
output is driven into a model error (the API's JSON, SSE, WebSocket and MCP answers, and the
server's log at DEBUG), then searched for the secrets (the CLI: tests/security/test_cli_secrets.py;
workflow status: tests/workflows/). The errors still name the host and
port, so that they stay useful.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from tests.security._processes import free_port, start_in_own_group, stop_group, wait_until_healthy

pytestmark = pytest.mark.slow  # the app behind uvicorn, the CLI in new processes

PASSWORD = "s3cr3t-token"
OPENAI_KEY = "sk-leak-check-0123456789abcdef"
API_KEY = "api-k3y-leak-check-0123456789"
SECRETS = (PASSWORD, OPENAI_KEY, API_KEY)
QUESTION = {"input": "What is 2 + 2?", "agent": "assistant"}


@pytest.fixture(params=["chat_completions", "responses"])
def leaky_env(request: pytest.FixtureRequest) -> dict[str, str]:
    model_port = free_port()  # bound, then released: nothing listens there
    return {
        "OPENAI_BASE_URL": f"http://user:{PASSWORD}@127.0.0.1:{model_port}/v1",
        "OPENAI_API_KEY": OPENAI_KEY,
        "OPENAI_API": str(request.param),
        "API_KEY": API_KEY,
        "MODEL_MAX_RETRIES": "0",
        "LOG_LEVEL": "debug",
    }


@pytest.fixture
def served(leaky_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "serve.log"
    process = start_in_own_group(["serve", "--port", str(port)], leaky_env, log)
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}", log
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        stop_group(process.pid)


def assert_no_secret(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} shows a secret: {text[:2000]}"


async def test_no_output_of_the_api_shows_a_secret(
    served: tuple[str, Path], leaky_env: dict[str, str]
) -> None:
    url, log = served
    outputs: dict[str, str] = {}
    headers = {"X-API-Key": API_KEY}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        response = await client.post("/runs", json=QUESTION)
        assert response.status_code == 502
        outputs["JSON"] = response.text
        async with client.stream("POST", "/runs/stream", json=QUESTION) as stream:
            outputs["SSE"] = "".join([chunk async for chunk in stream.aiter_text()])
        assert "event: error" in outputs["SSE"]
        call = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "assistant", "arguments": {"query": "What is 2 + 2?"}},
        }
        mcp = await client.post(
            "/mcp", json=call, headers={"Accept": "application/json, text/event-stream"}
        )
        outputs["MCP"] = mcp.text
        assert mcp.json()["result"]["isError"] is True
    frames: list[str] = []
    protocols = [Subprotocol("agents-core"), Subprotocol(f"api-key.{API_KEY}")]
    async with connect(url.replace("http", "ws", 1) + "/runs/ws", subprotocols=protocols) as ws:
        await ws.send(json.dumps(QUESTION))
        while not frames or json.loads(frames[-1]).get("type") != "done":
            frames.append(str(await ws.recv()))
    outputs["WebSocket"] = "\n".join(frames)
    assert any(json.loads(frame).get("type") == "error" for frame in frames)
    for where, text in outputs.items():
        assert_no_secret(where, text)
    server = leaky_env["OPENAI_BASE_URL"].split("@")[1].split("/")[0]
    # The SSE and WebSocket errors say what failed and where: still useful.
    assert f"http://***@{server}/v1" in outputs["SSE"]
    assert f"http://***@{server}/v1" in outputs["MCP"]
    written = log.read_text(encoding="utf-8")
    assert "model call failed" in written  # the log has the details...
    assert server in written
    assert_no_secret("the log", written)  # ...without the secrets
