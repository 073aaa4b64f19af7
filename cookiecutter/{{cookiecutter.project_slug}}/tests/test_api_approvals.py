"""Approvals over the API: POST /runs pauses, /runs/{id}/approve and /reject resume it.

In process (ASGI transport) except the streaming test, which needs the real server's SSE and
WebSocket; the kill -9 case (state survives the process) is in docs/approvals.md's attack notes
and `test_approvals.py::test_another_process_resumes_the_paused_run`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from websockets.asyncio.client import connect

from agents_core import AgentDefinition, register_agent, register_tool
from api import ApiSettings, create_app
from api.deps import run_service_of
from tests.api_server import serve

PATH = "delete file /srv/notes.txt"
"""The offline model passes the whole message as the path."""
QUESTION = {"input": PATH, "agent": "janitor"}
DELETED: list[str] = []


@pytest.fixture(autouse=True)
def janitor() -> None:
    DELETED.clear()

    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file's path
        """
        DELETED.append(path)
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(ApiSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


async def paused(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/runs", json=QUESTION)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "pending_approval"
    return body


async def test_a_paused_run_returns_its_pending_approval(client: httpx.AsyncClient) -> None:
    body = await paused(client)

    approval = body["approval"]
    assert body["output"] is None
    assert body["text"] == ""
    assert body["agent"] == "janitor"
    assert approval["run_id"] == body["run_id"]
    assert approval["session_id"] == body["session_id"]
    assert approval["tool"] == "delete_file"
    assert json.loads(approval["arguments"]) == {"path": PATH}
    assert set(approval) == {
        "approval_id",
        "run_id",
        "session_id",
        "agent",
        "tool",
        "arguments",
        "expires_at",
    }
    assert DELETED == []


async def test_approve_resumes_and_returns_the_answer(client: httpx.AsyncClient) -> None:
    body = await paused(client)
    run_id, approval_id = body["run_id"], body["approval"]["approval_id"]

    response = await client.post(f"/runs/{run_id}/approve", json={"approval_id": approval_id})

    assert response.status_code == 200, response.text
    done = response.json()
    assert done["status"] == "completed"
    assert done["run_id"] == run_id
    assert response.headers["X-Run-Id"] == run_id
    assert done["session_id"] == body["session_id"]
    assert done["text"] == f"The delete file tool returned: deleted {PATH}."
    assert DELETED == [PATH]
    history = await client.get(f"/sessions/{body['session_id']}")
    assert len(history.json()["items"]) == 4

    replay = await client.post(f"/runs/{run_id}/approve", json={"approval_id": approval_id})
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "approval_already_decided"


async def test_reject_with_a_reason_reaches_the_model(client: httpx.AsyncClient) -> None:
    body = await paused(client)
    run_id, approval_id = body["run_id"], body["approval"]["approval_id"]

    response = await client.post(
        f"/runs/{run_id}/reject", json={"approval_id": approval_id, "reason": "not today"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["text"] == (
        "I did not run the delete file tool: the call was not approved (reason: not today)."
    )
    assert DELETED == []


async def test_bad_decisions_get_the_error_shape(client: httpx.AsyncClient) -> None:
    body = await paused(client)
    run_id = body["run_id"]
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (f"/runs/{run_id}/approve", {"approval_id": "0" * 32}, 404, "approval_not_found"),
        (f"/runs/{'a' * 32}/approve", {"approval_id": "0" * 32}, 404, "approval_not_found"),
        ("/runs/not-a-run/approve", {"approval_id": "0" * 32}, 422, "invalid_request"),
        (f"/runs/{run_id}/approve", {}, 422, "invalid_request"),
        (f"/runs/{run_id}/approve", {"approval_id": "x" * 65}, 422, "invalid_request"),
        (
            f"/runs/{run_id}/reject",
            {"approval_id": body["approval"]["approval_id"], "reason": "r" * 2001},
            422,
            "invalid_request",
        ),
    ]
    for path, payload, status, code in cases:
        response = await client.post(path, json=payload)
        assert response.status_code == status, (path, response.text)
        assert response.json()["error"]["code"] == code
    approval_id = body["approval"]["approval_id"]
    surrogate = await client.post(  # a lone surrogate: JSON allows it, UTF-8 cannot store it
        f"/runs/{run_id}/reject",
        content=f'{{"approval_id": "{approval_id}", "reason": "\\ud800"}}',
        headers={"content-type": "application/json"},
    )
    assert surrogate.status_code == 422
    assert surrogate.json()["error"]["code"] == "invalid_request"
    huge = await client.post(
        f"/runs/{run_id}/reject",
        content=json.dumps({"approval_id": "0" * 32, "reason": "r" * 2_000_000}),
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert DELETED == []


async def test_concurrent_approvals_over_http_one_wins(client: httpx.AsyncClient) -> None:
    body = await paused(client)
    path = f"/runs/{body['run_id']}/approve"
    payload = {"approval_id": body["approval"]["approval_id"]}

    responses = await asyncio.gather(*(client.post(path, json=payload) for _ in range(3)))

    assert sorted(r.status_code for r in responses) == [200, 409, 409]
    assert DELETED == [PATH]


async def test_decisions_need_the_api_key() -> None:
    app = create_app(ApiSettings(api_key=SecretStr("k" * 32)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.post(f"/runs/{'a' * 32}/approve", json={"approval_id": "0" * 32})
    assert response.status_code == 401


@pytest.mark.slow
async def test_sse_and_websocket_emit_approval_required() -> None:
    with serve(create_app(ApiSettings())) as url:
        async with (
            httpx.AsyncClient(base_url=url) as client,
            client.stream("POST", "/runs/stream", json=QUESTION) as response,
        ):
            text = "".join([chunk async for chunk in response.aiter_text()])
        assert "event: approval_required" in text
        async with connect(url.replace("http", "ws", 1) + "/runs/ws") as ws:
            await ws.send(json.dumps(QUESTION))
            events: list[dict[str, Any]] = []
            while not events or events[-1]["type"] != "done":
                events.append(json.loads(await ws.recv()))
        required = [e for e in events if e["type"] == "approval_required"]
        assert len(required) == 1
        assert required[0]["agent"] == "janitor"
        assert required[0]["data"]["tool"] == "delete_file"
        async with httpx.AsyncClient(base_url=url) as client:
            data = required[0]["data"]
            done = await client.post(
                f"/runs/{data['run_id']}/approve", json={"approval_id": data["approval_id"]}
            )
        assert done.json()["status"] == "completed"
    assert len(DELETED) == 1


async def test_a_paused_run_cancelled_through_the_run_service_is_unknown_to_approve() -> None:
    """A door that cancels (A2A `tasks/cancel`, say) discards the pause: approve is then 404."""
    app = create_app(ApiSettings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        body = await paused(client)
        service = run_service_of(app)
        run_id, approval_id = body["run_id"], body["approval"]["approval_id"]
        assert [a.approval_id for a in await service.pending(run_id)] == [approval_id]
        assert await service.cancel(run_id) is True
        response = await client.post(f"/runs/{run_id}/approve", json={"approval_id": approval_id})
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "approval_not_found"
    assert DELETED == []
