"""The API key is never in a URL and never in a log, even at LOG_LEVEL=DEBUG."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from tests.security._processes import free_port, start_in_own_group, stop_group, wait_until_healthy

pytestmark = pytest.mark.slow  # serve in a new process

KEY = "k3y-that-must-never-be-logged"


async def test_serve_at_debug_logs_no_key(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    process = start_in_own_group(
        ["serve", "--port", str(port)],
        {"API_KEY": KEY, "LOG_LEVEL": "debug", "OPENAI_API_KEY": ""},
        log,
    )
    try:
        wait_until_healthy(process, url)
        async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": KEY}) as client:
            assert (await client.get("/agents")).status_code == 200
        ws_url = f"ws://127.0.0.1:{port}/runs/ws"
        protocols = [Subprotocol("agents-core"), Subprotocol(f"api-key.{KEY}")]
        async with connect(ws_url, subprotocols=protocols) as ws:
            assert ws.subprotocol == "agents-core"  # the key's subprotocol is not echoed
            await ws.send(json.dumps({"input": "What is 2 + 2?", "agent": "assistant"}))
            assert json.loads(await ws.recv())["type"] == "run_start"
        with pytest.raises(InvalidStatus):  # a key in the URL is not accepted...
            async with connect(f"{ws_url}?api_key={KEY}"):
                pass
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        stop_group(process.pid)
    output = log.read_text(encoding="utf-8")
    assert "/runs/ws" in output  # the access log is there...
    assert KEY not in output  # ...without the key, even the one a client put in the URL
