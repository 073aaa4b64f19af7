"""SSE and WebSocket runs against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from agents_core.models.context import AgentContext
from agents_core.orchestrator import AgentOrchestrator
from api import ApiSettings, create_app
from api.deps import get_orchestrator_factory
from tests.api_server import serve

pytestmark = pytest.mark.slow  # the app behind uvicorn

QUESTION = {"input": "What is 2 + 2?", "agent": "assistant"}


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(event name, JSON data) of each Server-Sent Event, skipping comments (pings)."""
    name, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data += line.removeprefix("data:").strip()
        elif not line and data:
            yield name, json.loads(data)
            name, data = "message", ""


async def test_sse_streams_the_run_to_done() -> None:
    with serve(create_app(ApiSettings())) as url:
        async with (
            httpx.AsyncClient(base_url=url) as client,
            client.stream("POST", "/runs/stream", json=QUESTION) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = [event async for event in sse_events(response)]
    names = [name for name, _ in events]
    assert names[0] == "run_start"
    assert names[-1] == "done"
    assert {"tool_call", "tool_result", "token", "answer"} <= set(names)
    for name, data in events:
        assert data["type"] == name
    assert [data["seq"] for _, data in events] == list(range(len(events)))


async def test_websocket_sends_the_same_events() -> None:
    with serve(create_app(ApiSettings())) as url:
        async with connect(url.replace("http", "ws", 1) + "/runs/ws") as ws:
            await ws.send(json.dumps({"input": "hi", "agent": "nobody"}))
            refused = json.loads(await ws.recv())
            assert refused["error"]["code"] == "unknown_agent"
            await ws.send("{not json")
            assert json.loads(await ws.recv())["error"]["code"] == "invalid_request"
            for _ in range(2):  # two runs on one connection
                await ws.send(json.dumps(QUESTION))
                events: list[dict[str, Any]] = []
                while not events or events[-1]["type"] != "done":
                    events.append(json.loads(await ws.recv()))
                kinds = [event["type"] for event in events]
                assert kinds[0] == "run_start"
                assert "tool_call" in kinds
                assert set(events[0]) == {"type", "seq", "agent", "data", "timestamp"}


async def test_websocket_needs_the_api_key_when_set() -> None:
    with serve(create_app(ApiSettings(api_key=SecretStr("s3cret")))) as url:
        ws_url = url.replace("http", "ws", 1) + "/runs/ws"
        with pytest.raises(InvalidStatus):
            async with connect(ws_url):
                pass
        async with connect(ws_url, additional_headers={"X-API-Key": "s3cret"}) as ws:
            await ws.send(json.dumps(QUESTION))
            assert json.loads(await ws.recv())["type"] == "run_start"


async def test_a_client_that_disconnects_cancels_the_run() -> None:
    started, cancelled = threading.Event(), threading.Event()

    class Endless(AgentOrchestrator):
        async def execute(self, user_query: str, context_data: dict[str, Any]) -> Any:
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

    app = create_app(ApiSettings())
    app.dependency_overrides[get_orchestrator_factory] = lambda: lambda agent: Endless()
    with serve(app) as url:
        async with (
            httpx.AsyncClient(base_url=url) as client,
            client.stream("POST", "/runs/stream", json={"input": "hi"}) as response,
        ):
            async for name, _ in sse_events(response):
                assert name == "run_start"
                break
        assert await asyncio.to_thread(started.wait, 5)
        assert await asyncio.to_thread(cancelled.wait, 5), "the run kept going"


async def test_sse_and_websocket_runs_take_the_context() -> None:
    seen: list[AgentContext] = []

    class Recording(AgentOrchestrator):
        def setup_context(self, **context_data: Any) -> AgentContext:
            context = super().setup_context(**context_data)
            seen.append(context)
            return context

    app = create_app(ApiSettings())
    app.dependency_overrides[get_orchestrator_factory] = lambda: lambda agent: Recording()
    body = {**QUESTION, "context": {"filters": {"region": "EU"}}}
    with serve(app) as url:
        async with (
            httpx.AsyncClient(base_url=url) as client,
            client.stream("POST", "/runs/stream", json=body) as response,
        ):
            names = [name async for name, _ in sse_events(response)]
        assert names[-1] == "done"
        assert "error" not in names

        async with connect(url.replace("http", "ws", 1) + "/runs/ws") as ws:
            await ws.send(json.dumps({**QUESTION, "context": {"filters": {"region": "US"}}}))
            while json.loads(await ws.recv())["type"] != "done":
                pass
            await ws.send(json.dumps({**QUESTION, "context": {"tenant": "acme"}}))
            refused = json.loads(await ws.recv())
            assert refused["error"]["code"] == "invalid_context"
            assert refused["error"]["details"]["allowed"] == ["filters", "schema"]
    assert [context.filters for context in seen] == [{"region": "EU"}, {"region": "US"}]
