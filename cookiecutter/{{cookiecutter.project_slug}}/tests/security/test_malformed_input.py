"""Input no client should send gets a 4xx or an error frame, never a 5xx or a dropped socket."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect

from api import ApiSettings, create_app
from tests.api_server import serve

pytestmark = pytest.mark.slow  # the app behind uvicorn


async def test_a_binary_frame_gets_an_error_and_the_socket_stays_open() -> None:
    with serve(create_app(ApiSettings())) as url:
        async with connect(url.replace("http", "ws", 1) + "/runs/ws") as ws:
            await ws.send(b'{"input": "hi"}')
            assert json.loads(await ws.recv())["error"]["code"] == "binary_frame"
            await ws.send('{"input": "\\ud800"}')  # a lone surrogate, escaped in JSON
            assert json.loads(await ws.recv())["error"]["code"] == "invalid_request"
            await ws.send(json.dumps({"input": "What is 2 + 2?", "agent": "assistant"}))
            assert json.loads(await ws.recv())["type"] == "run_start"
