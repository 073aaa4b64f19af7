"""Two principals (API_KEYS) through every door: each sees only what it owns, the rest is 404.

Alice's session and paused run are hidden from bob on REST, SSE, the WebSocket and MCP, in the
API's JSON error shape and word for word as an unknown id (never 403); the admin key
(`API_KEY`, role admin) sees everything.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent
from pydantic import SecretStr
from websockets.asyncio.client import connect

from agents_core import AgentDefinition, register_agent, register_tool
from agents_core.approvals import open_approval_store
from api import ApiSettings, create_app
from tests.api_server import serve

ALICE = {"X-API-Key": "key-alice-0123456789"}
BOB = {"Authorization": "Bearer key-bob-0123456789"}
ROOT = {"X-API-Key": "key-root-0123456789"}  # API_KEY: principal `default`, role admin
QUESTION = "What is 2 + 2?"
PATH = "delete file /srv/notes.txt"
"""The offline model passes the whole message as the path."""
DELETED: list[str] = []


@pytest.fixture
def app() -> FastAPI:
    return create_app(
        ApiSettings(
            api_key=SecretStr("key-root-0123456789"),
            api_keys=SecretStr("alice:key-alice-0123456789,bob:key-bob-0123456789"),
        )
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


def fresh_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    error: dict[str, Any] = body["error"]
    return error


def same_but_id(first: Any, second: Any, first_id: str, second_id: str) -> bool:
    """True when two error bodies differ only by the id they name."""
    return json.dumps(first).replace(first_id, "ID") == json.dumps(second).replace(second_id, "ID")


async def alices_session(client: httpx.AsyncClient) -> str:
    session_id = fresh_id("alice")
    response = await client.post(
        "/runs", json={"input": QUESTION, "session_id": session_id}, headers=ALICE
    )
    assert response.status_code == 200, response.text
    return session_id


async def history(client: httpx.AsyncClient, session_id: str) -> list[Any]:
    response = await client.get(f"/sessions/{session_id}", headers=ALICE)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


# -- REST ------------------------------------------------------------------------------------


async def test_another_principals_session_is_404_like_an_unknown_one(
    client: httpx.AsyncClient,
) -> None:
    session_id = await alices_session(client)
    unknown = fresh_id("never")
    for method in ("GET", "DELETE"):
        foreign = await client.request(method, f"/sessions/{session_id}", headers=BOB)
        missing = await client.request(method, f"/sessions/{unknown}", headers=BOB)
        assert error_of(foreign, 404)["code"] == "session_not_found"
        error_of(missing, 404)
        assert same_but_id(foreign.json(), missing.json(), session_id, unknown)
    assert len(await history(client, session_id)) >= 2  # bob's DELETE deleted nothing


async def test_each_principal_lists_its_own_sessions_and_admin_all(
    client: httpx.AsyncClient,
) -> None:
    alices = await alices_session(client)
    bobs = fresh_id("bob")
    response = await client.post("/runs", json={"input": QUESTION, "session_id": bobs}, headers=BOB)
    assert response.status_code == 200

    def ids(response: httpx.Response) -> set[str]:
        assert response.status_code == 200, response.text
        return {session["session_id"] for session in response.json()}

    listed_by_alice = ids(await client.get("/sessions?limit=1000", headers=ALICE))
    listed_by_bob = ids(await client.get("/sessions?limit=1000", headers=BOB))
    listed_by_root = ids(await client.get("/sessions?limit=1000", headers=ROOT))
    assert alices in listed_by_alice
    assert bobs not in listed_by_alice
    assert bobs in listed_by_bob
    assert alices not in listed_by_bob
    assert {alices, bobs} <= listed_by_root
    owners = {
        session["session_id"]: session["owner"]
        for session in (await client.get("/sessions?limit=1000", headers=ROOT)).json()
    }
    assert (owners[alices], owners[bobs]) == ("alice", "bob")
    assert (await client.get(f"/sessions/{alices}", headers=ROOT)).status_code == 200


async def test_continuing_another_principals_session_is_404_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    session_id = await alices_session(client)
    before = await history(client, session_id)
    response = await client.post(
        "/runs", json={"input": "What is 3 + 3?", "session_id": session_id}, headers=BOB
    )
    error = error_of(response, 404)
    assert error["code"] == "session_not_found"
    assert error["details"] == {"session_id": session_id}
    assert await history(client, session_id) == before
    # Alice continues it; the admin may too, and it stays alice's.
    for headers in (ALICE, ROOT):
        again = await client.post(
            "/runs", json={"input": "What is 3 + 3?", "session_id": session_id}, headers=headers
        )
        assert again.status_code == 200, again.text
    assert (await client.get(f"/sessions/{session_id}", headers=BOB)).status_code == 404


async def test_delete_by_the_owner_removes_it(client: httpx.AsyncClient) -> None:
    session_id = await alices_session(client)
    assert (await client.delete(f"/sessions/{session_id}", headers=BOB)).status_code == 404
    assert (await client.delete(f"/sessions/{session_id}", headers=ALICE)).status_code == 204
    gone = await client.get(f"/sessions/{session_id}", headers=ALICE)
    assert error_of(gone, 404)["code"] == "session_not_found"
    listed = (await client.get("/sessions", headers=ALICE)).json()
    assert session_id not in {item["session_id"] for item in listed}


# -- SSE and WebSocket -----------------------------------------------------------------------


async def test_sse_on_another_principals_session_is_404_before_streaming(
    client: httpx.AsyncClient,
) -> None:
    session_id = await alices_session(client)
    before = await history(client, session_id)
    body = {"input": "What is 4 + 4?", "session_id": session_id}
    refused = await client.post("/runs/stream", json=body, headers=BOB)
    assert refused.headers["content-type"].startswith("application/json")
    assert error_of(refused, 404)["code"] == "session_not_found"
    assert await history(client, session_id) == before
    allowed = await client.post("/runs/stream", json=body, headers=ALICE)
    assert allowed.status_code == 200
    assert "event: answer" in allowed.text


@pytest.mark.slow
async def test_websocket_on_another_principals_session_gets_a_404_frame(app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        session_id = await alices_session(client)
        before = await history(client, session_id)
    with serve(app) as url:
        ws_url = url.replace("http", "ws", 1) + "/runs/ws"
        async with connect(ws_url, additional_headers=BOB) as ws:
            await ws.send(json.dumps({"input": QUESTION, "session_id": session_id}))
            frame = json.loads(await ws.recv())
            assert frame["error"]["code"] == "session_not_found"
            await ws.send(json.dumps({"input": QUESTION}))  # the connection stays usable
            events: list[dict[str, Any]] = []
            while not events or events[-1]["type"] != "done":
                events.append(json.loads(await ws.recv()))
            assert "answer" in [event["type"] for event in events]
        async with connect(ws_url, additional_headers=ALICE) as ws:
            await ws.send(json.dumps({"input": "What is 5 + 5?", "session_id": session_id}))
            kinds: list[str] = []
            while not kinds or kinds[-1] != "done":
                kinds.append(json.loads(await ws.recv())["type"])
            assert "answer" in kinds
        async with httpx.AsyncClient(base_url=url) as client:
            after = await history(client, session_id)
    assert after[: len(before)] == before
    assert len(after) > len(before)  # alice's turn only


# -- MCP -------------------------------------------------------------------------------------


@asynccontextmanager
async def mcp_session(app: FastAPI, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    transport = httpx2.ASGITransport(app=app)
    async with (
        httpx2.AsyncClient(transport=transport, headers=headers) as http,
        streamable_http_client("http://127.0.0.1/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def text_of(result: Any) -> str:
    return "".join(part.text for part in result.content if isinstance(part, TextContent))


async def test_mcp_tools_run_as_the_caller(app: FastAPI, client: httpx.AsyncClient) -> None:
    session_id = await alices_session(client)
    before = await history(client, session_id)
    arguments = {"query": "What is 6 + 6?", "session_id": session_id}
    async with app.router.lifespan_context(app):
        async with mcp_session(app, BOB) as session:
            refused = await session.call_tool("assistant", arguments)
            assert refused.is_error
            assert "SessionNotFound" in text_of(refused)
            own = await session.call_tool("assistant", {"query": QUESTION, "session_id": "b-1x"})
            assert not own.is_error, text_of(own)
        assert await history(client, session_id) == before
        async with mcp_session(app, ALICE) as session:
            allowed = await session.call_tool("assistant", arguments)
            assert not allowed.is_error, text_of(allowed)
    assert len(await history(client, session_id)) > len(before)
    # The session bob created over MCP is bob's.
    assert (await client.get("/sessions/b-1x", headers=BOB)).status_code == 200
    assert (await client.get("/sessions/b-1x", headers=ALICE)).status_code == 404


# -- approvals -------------------------------------------------------------------------------


@pytest.fixture
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


async def run_status(run_id: str) -> tuple[str, list[str]]:
    store = open_approval_store()
    try:
        stored = await store.load(run_id)
    finally:
        await store.aclose()
    assert stored is not None
    return stored.status, [status for status, _ in stored.approvals.values()]


@pytest.mark.usefixtures("janitor")
async def test_bob_approving_alices_paused_run_is_404_and_it_stays_paused(
    client: httpx.AsyncClient,
) -> None:
    paused = await client.post("/runs", json={"input": PATH, "agent": "janitor"}, headers=ALICE)
    assert paused.json()["status"] == "pending_approval", paused.text
    run_id, approval_id = paused.json()["run_id"], paused.json()["approval"]["approval_id"]
    approve = await client.post(
        f"/runs/{run_id}/approve", json={"approval_id": approval_id}, headers=BOB
    )
    reject = await client.post(
        f"/runs/{run_id}/reject", json={"approval_id": approval_id, "reason": "no"}, headers=BOB
    )
    unknown_run = uuid.uuid4().hex
    never = await client.post(
        f"/runs/{unknown_run}/approve", json={"approval_id": approval_id}, headers=BOB
    )
    assert error_of(approve, 404)["code"] == "approval_not_found"
    assert error_of(reject, 404)["code"] == "approval_not_found"
    error_of(never, 404)
    assert same_but_id(approve.json(), never.json(), run_id, unknown_run)
    assert await run_status(run_id) == ("paused", ["pending"])
    assert DELETED == []
    done = await client.post(
        f"/runs/{run_id}/approve", json={"approval_id": approval_id}, headers=ALICE
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert DELETED == [PATH]


@pytest.mark.usefixtures("janitor")
async def test_admin_approves_any_paused_run(client: httpx.AsyncClient) -> None:
    paused = await client.post("/runs", json={"input": PATH, "agent": "janitor"}, headers=BOB)
    run_id, approval_id = paused.json()["run_id"], paused.json()["approval"]["approval_id"]
    done = await client.post(
        f"/runs/{run_id}/approve", json={"approval_id": approval_id}, headers=ROOT
    )
    assert done.status_code == 200, done.text
    assert DELETED == [PATH]
    session_id = paused.json()["session_id"]
    assert (await client.get(f"/sessions/{session_id}", headers=BOB)).status_code == 200
    assert (await client.get(f"/sessions/{session_id}", headers=ALICE)).status_code == 404
