"""The agents as MCP tools at /mcp (streamable HTTP), under the API key, with the `mcp` client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from api import ApiSettings, create_app

KEY = "mcp-test-key"


@pytest.fixture
def app() -> FastAPI:
    return create_app(ApiSettings(api_key=SecretStr(KEY)))


@asynccontextmanager
async def mcp_session(app: FastAPI, key: str | None = KEY) -> AsyncIterator[ClientSession]:
    headers = {"X-API-Key": key} if key is not None else {}
    transport = httpx2.ASGITransport(app=app)
    # The lifespan starts the MCP session manager; entered here, in the test's own task.
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, headers=headers) as http,
        streamable_http_client("http://127.0.0.1/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def text(result: CallToolResult) -> str:
    return " ".join(part.text for part in result.content if isinstance(part, TextContent))


async def test_an_mcp_client_lists_and_calls_the_agents(app: FastAPI) -> None:
    async with mcp_session(app) as session:
        tools = {tool.name for tool in (await session.list_tools()).tools}
        assert "assistant" in tools
        assert "synthesizer" not in tools  # orchestration helpers stay inside
        query = {"query": "what is 6 * 7?", "session_id": "m1"}
        first = await session.call_tool("assistant", query)
        assert not first.is_error
        assert "42" in text(first)
        # The session holds the turn, as a run of POST /runs would.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            stored = await client.get("/sessions/m1", headers={"X-API-Key": KEY})
        assert stored.status_code == 200
        assert "6 * 7" in stored.text


async def test_unknown_tools_and_bad_arguments_are_mcp_errors(app: FastAPI) -> None:
    async with mcp_session(app) as session:
        unknown = await session.call_tool("nobody", {"query": "hi"})
        assert unknown.is_error
        assert "nobody" in text(unknown)
        bad = await session.call_tool("assistant", {"session_id": 7})
        assert bad.is_error
        huge = await session.call_tool("assistant", {"query": "x" * 9_000})
        assert huge.is_error
        assert "MAX_INPUT_CHARS" in text(huge) or "characters" in text(huge)
        # The server is still fine after all that.
        ok = await session.call_tool("assistant", {"query": "what is 2 + 2?"})
        assert "4" in text(ok)


@pytest.mark.parametrize("key", [None, "wrong"])
async def test_the_endpoint_refuses_a_missing_or_wrong_key(app: FastAPI, key: str | None) -> None:
    transport = httpx.ASGITransport(app=app)
    headers = {"Accept": "application/json, text/event-stream"}
    if key is not None:
        headers["X-API-Key"] = key
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.post(
            "/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
