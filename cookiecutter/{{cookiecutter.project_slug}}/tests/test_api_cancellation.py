"""A client that goes away cancels its run, and the conversation is free at once (issue 28).

Through a real uvicorn server on 127.0.0.1: an SSE client that disconnects, a WebSocket that
closes, while the run is inside a model call that never answers (or right after it paused for an
approval). The next `POST /runs` on the same conversation must get the session within a second
(SESSION_LOCK_TIMEOUT_SECONDS=1 here, so a session still held answers 409 session_busy). Runs on
each session backend of the project (`backend_url`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from agents_core import (
    AgentDefinition,
    AgentOrchestrator,
    AgentRunner,
    register_agent,
    register_tool,
)
from agents_core.config import get_settings
from api import ApiSettings, create_app
from api.deps import get_orchestrator_factory
from tests.api_server import serve
from tests.hanging_model import HangingModel
from tests.test_api_streaming import sse_events

pytestmark = pytest.mark.slow  # the app behind uvicorn

QUESTION = "What is 2 + 2?"


@pytest.fixture
def api_url(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, HangingModel]]:
    """The API on the backend under test; its first run hangs in its model call, later ones don't.

    Yields (base URL, the first run's model).
    """
    monkeypatch.setenv("SESSION_LOCK_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    hanging = HangingModel()
    models = [hanging]

    def factory(agent: str | None) -> AgentOrchestrator:
        model = models.pop() if models else HangingModel(hang_at=0)  # 0: never hangs
        return AgentOrchestrator(
            runner=AgentRunner(model=model), default_agent=agent or "assistant"
        )

    app = create_app(ApiSettings())
    app.dependency_overrides[get_orchestrator_factory] = lambda: factory
    with serve(app) as url:
        yield url, hanging


async def assert_next_run_starts_at_once(url: str, session_id: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        response = await client.post("/runs", json={"input": QUESTION, "session_id": session_id})
    assert response.status_code == 200, response.text  # 409 session_busy: still held
    assert response.json()["text"] == "2 + 2 = 4."


async def test_an_sse_client_that_disconnects_frees_the_conversation(
    api_url: tuple[str, HangingModel],
) -> None:
    url, model = api_url
    session_id = f"sse-gone-{uuid.uuid4().hex[:12]}"
    body = {"input": QUESTION, "session_id": session_id}
    async with (
        httpx.AsyncClient(base_url=url, timeout=60) as client,
        client.stream("POST", "/runs/stream", json=body) as response,
    ):
        events = sse_events(response)
        assert (await anext(events))[0] == "run_start"
        await model.wait_entered()  # the run holds the conversation, inside its model call
    # The client has closed the connection.
    await model.wait_cancelled()
    await assert_next_run_starts_at_once(url, session_id)


async def test_a_websocket_that_closes_frees_the_conversation(
    api_url: tuple[str, HangingModel],
) -> None:
    url, model = api_url
    session_id = f"ws-gone-{uuid.uuid4().hex[:12]}"
    async with connect(url.replace("http", "ws", 1) + "/runs/ws") as ws:
        await ws.send(json.dumps({"input": QUESTION, "session_id": session_id}))
        assert json.loads(await ws.recv())["type"] == "run_start"
        await model.wait_entered()
    # Closed while no event was on its way: the server notices the close itself.
    await model.wait_cancelled()
    await assert_next_run_starts_at_once(url, session_id)


async def test_a_client_gone_at_the_approval_frees_the_conversation(
    api_url: tuple[str, HangingModel],
) -> None:
    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file's path
        """
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )
    url, model = api_url
    model.hang_at = 0  # this run pauses for the approval instead
    session_id = f"approval-gone-{uuid.uuid4().hex[:12]}"
    body = {"input": "delete file /srv/a.txt", "agent": "janitor", "session_id": session_id}
    async with (
        httpx.AsyncClient(base_url=url, timeout=60) as client,
        client.stream("POST", "/runs/stream", json=body) as response,
    ):
        async for name, _ in sse_events(response):
            if name == "approval_required":
                break  # and go away
        else:
            raise AssertionError("no approval_required event")
    await assert_next_run_starts_at_once(url, session_id)
