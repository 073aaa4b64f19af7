"""Cross-site WebSocket hijacking: pages of other origins cannot open /runs/ws."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from api import ApiSettings, create_app
from tests.api_server import serve

pytestmark = pytest.mark.slow  # the app behind uvicorn

QUESTION = json.dumps({"input": "What is 2 + 2?", "agent": "assistant"})


async def test_a_page_of_another_origin_is_refused() -> None:
    with serve(create_app(ApiSettings())) as url:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws_url(url), origin="https://evil.example"):  # type: ignore[arg-type]
                pass
        assert refused.value.response.status_code == 403


async def test_same_origin_and_allowed_origins_are_accepted() -> None:
    settings = ApiSettings(cors_origins="https://app.example")
    with serve(create_app(settings)) as url:
        for origin in (url, "https://app.example"):
            async with connect(ws_url(url), origin=origin) as ws:  # type: ignore[arg-type]
                await ws.send(QUESTION)
                assert json.loads(await ws.recv())["type"] == "run_start"
        with pytest.raises(InvalidStatus):
            async with connect(ws_url(url), origin="null"):  # type: ignore[arg-type]
                pass


def ws_url(url: str) -> str:
    return url.replace("http", "ws", 1) + "/runs/ws"
