"""The HTTP API on a real model server: SSE, AG-UI, and model faults as stable error codes."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from llmock.scenarios import Delay, Fail, Reply

from api import ApiSettings, create_app
from tests.models.conftest import ModelServer

pytestmark = pytest.mark.allow_model_calls

QUESTION = {"input": "What is 6 * 7?", "agent": "assistant"}


@pytest.fixture
async def client(model_server: ModelServer) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(ApiSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = block.splitlines()
        names = [line.removeprefix("event:").strip() for line in lines if line.startswith("event:")]
        data = "".join(
            line.removeprefix("data:").strip() for line in lines if line.startswith("data:")
        )
        if data:
            events.append((names[0] if names else "message", json.loads(data)))
    return events


async def test_sse_streams_the_answer(model_server: ModelServer, client: httpx.AsyncClient) -> None:
    model_server.script(Reply(text="6 * 7 = 42."))
    response = await client.post("/runs/stream", json=QUESTION)
    assert response.status_code == 200
    events = sse_events(response.text)
    answers = [data for name, data in events if name == "answer"]
    assert [answer["data"]["text"] for answer in answers] == ["6 * 7 = 42."]
    assert events[-1][0] == "done"
    (body,) = model_server.bodies()
    assert body["stream"] is True


async def test_429_is_a_429_with_retry_after(
    model_server: ModelServer, client: httpx.AsyncClient
) -> None:
    # Longer than MODEL_TIMEOUT_SECONDS: not waited for, passed on to the client.
    model_server.script(Fail(429, retry_after=30, times=None))
    response = await client.post("/runs", json=QUESTION)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert response.json()["error"]["code"] == "model_rate_limited"
    assert len(model_server.requests()) == 1


async def test_a_timeout_is_a_504(model_server: ModelServer, client: httpx.AsyncClient) -> None:
    model_server.configure(MODEL_TIMEOUT_SECONDS="0.3", MODEL_MAX_RETRIES="0")
    model_server.script(Delay(0.6, times=None))
    response = await client.post("/runs", json=QUESTION)
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "model_timeout"


@pytest.mark.parametrize(
    ("status", "code"),
    [(401, "model_auth_failed"), (403, "model_auth_failed"), (500, "model_upstream_error")],
)
async def test_upstream_errors_are_502s_without_details(
    model_server: ModelServer, client: httpx.AsyncClient, status: int, code: str
) -> None:
    model_server.script(Fail(status, retry_after=0.01, times=None))
    response = await client.post("/runs", json=QUESTION)
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == code
    assert error["details"]["upstream_status"] == status
    assert "Traceback" not in response.text
    assert "127.0.0.1" not in response.text  # the model server's address stays in the log


async def test_ready_probes_the_model_server_when_asked(
    model_server: ModelServer, client: httpx.AsyncClient
) -> None:
    response = await client.get("/ready")
    assert "model" not in response.json()["checks"]  # off by default
    model_server.configure(READY_CHECKS_MODEL="true")
    probing = httpx.ASGITransport(app=create_app(ApiSettings()))
    async with httpx.AsyncClient(transport=probing, base_url="http://localhost") as ready_client:
        response = await ready_client.get("/ready")
        assert response.status_code == 200
        assert response.json()["checks"]["model"] == "ok"
        model_server.script(Fail(401, times=None))
        response = await ready_client.get("/ready")
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "model: AuthenticationError"


async def test_agui_ends_a_failed_run_with_run_error_and_the_fault_code(
    model_server: ModelServer, client: httpx.AsyncClient
) -> None:
    model_server.script(Fail(500, retry_after=0.01, times=None))
    thread_id = str(uuid.uuid4())
    body = {
        "threadId": thread_id,
        "runId": str(uuid.uuid4()),
        "messages": [{"id": "m1", "role": "user", "content": "What is 6 * 7?"}],
        "forwardedProps": {"agent": "assistant"},
    }
    response = await client.post("/agui", json=body)

    assert response.status_code == 200  # the failure came after the stream started
    events = [
        json.loads(block.removeprefix("data: ")) for block in response.text.split("\n\n")[:-1]
    ]
    assert [e["type"] for e in events] == [
        "RUN_STARTED",
        "STATE_SNAPSHOT",
        "STEP_STARTED",
        "RUN_ERROR",
    ]
    error = events[-1]
    assert error["code"] == "model_upstream_error"  # the fault's code, as the JSON routes name it
    assert "127.0.0.1" not in error["message"]
