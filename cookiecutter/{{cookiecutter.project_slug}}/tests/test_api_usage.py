"""Limits per principal at the API: 429 with Retry-After on every door, and `GET /usage`.

Each app has a pool of principals with real API keys (`API_KEYS`), fresh names per test so the
counters of one test never meet another's; `someone("alice")` takes the next one.
"""

from __future__ import annotations

import itertools
import json
import math
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from websockets.asyncio.client import connect

from agents_core.config import get_settings
from agents_core.limits.limiter import day_reset
from api import ApiSettings, create_app
from tests.api_server import serve
from tests.clock import within_one_minute

QUESTION = {"input": "What is 2 + 2?", "agent": "assistant"}
POOL_SIZE = 4
_pool: dict[str, Iterator[str]] = {}


def make_app() -> FastAPI:
    """An app whose API_KEYS hold a fresh pool of alices and bobs (key: `key-<name>`)."""
    names = {
        role: [f"{role}-{uuid.uuid4().hex[:12]}" for _ in range(POOL_SIZE)]
        for role in ("alice", "bob")
    }
    _pool.clear()
    _pool.update({role: iter(found) for role, found in names.items()})
    pairs = ",".join(f"{name}:key-{name}" for name in itertools.chain(*names.values()))
    return create_app(ApiSettings(api_keys=SecretStr(pairs)))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


def limit(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def as_(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer key-{name}"}


def someone(role: str) -> str:
    """A principal of the current app's pool that no request has used yet."""
    return next(_pool[role])


def assert_429(response: httpx.Response, code: str) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "details"}
    assert int(response.headers["retry-after"]) == error["details"]["retry_after"] >= 1
    return error


async def test_usage_is_unlimited_by_default_and_counts_the_callers_own(
    client: httpx.AsyncClient,
) -> None:
    async def scenario() -> None:
        alice, bob = someone("alice"), someone("bob")
        fresh = (await client.get("/usage", headers=as_(alice))).json()
        assert fresh["principal"] == alice
        assert fresh["requests"] | {"resets_at": None} == {
            "used": 0,
            "limit": None,
            "window": "minute",
            "resets_at": None,
        }
        assert fresh["tokens"] | {"resets_at": None} == {
            "used": 0,
            "limit": None,
            "window": "day (UTC)",
            "resets_at": None,
        }
        assert fresh["tokens"]["resets_at"].endswith("T00:00:00Z")
        assert fresh["requests"]["resets_at"].endswith(":00Z")
        assert (await client.post("/runs", json=QUESTION, headers=as_(alice))).status_code == 200
        used = (await client.get("/usage", headers=as_(alice))).json()
        assert used["tokens"]["used"] > 0
        assert used["requests"]["used"] == 1  # reading /usage is no request
        other = (await client.get("/usage", headers=as_(bob))).json()
        assert (other["principal"], other["requests"]["used"], other["tokens"]["used"]) == (
            bob,
            0,
            0,
        )

    await within_one_minute(scenario)
    assert (await client.get("/usage")).status_code == 401  # keys configured: none sent


async def test_over_the_rate_limit_is_429_with_retry_after_per_principal(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit(monkeypatch, RATE_LIMIT_PER_MINUTE="2")

    async def scenario() -> None:
        alice, bob = someone("alice"), someone("bob")
        for _ in range(2):
            assert (await client.post("/runs", json=QUESTION, headers=as_(alice))).is_success
        spent = (await client.get("/usage", headers=as_(alice))).json()["tokens"]["used"]
        refused = await client.post("/runs", json=QUESTION, headers=as_(alice))
        error = assert_429(refused, "rate_limit_exceeded")
        assert error["details"]["kind"] == "requests"
        assert error["details"]["limit"] == 2
        assert error["details"]["retry_after"] <= 60
        assert "RATE_LIMIT_PER_MINUTE" in error["message"]
        assert refused.headers["x-run-id"]
        usage = (await client.get("/usage", headers=as_(alice))).json()
        assert usage["tokens"]["used"] == spent  # the refused run called no model
        assert usage["requests"] | {"resets_at": None} == {
            "used": 3,
            "limit": 2,
            "window": "minute",
            "resets_at": None,
        }
        # The streamed doors refuse before the stream starts: a JSON 429, not an event stream.
        streamed = await client.post("/runs/stream", json=QUESTION, headers=as_(alice))
        assert_429(streamed, "rate_limit_exceeded")
        assert (await client.post("/runs", json=QUESTION, headers=as_(bob))).status_code == 200

    await within_one_minute(scenario)


async def test_over_the_token_budget_is_429_until_midnight_utc(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = someone("alice")
    assert (await client.post("/runs", json=QUESTION, headers=as_(alice))).status_code == 200
    spent = (await client.get("/usage", headers=as_(alice))).json()["tokens"]["used"]
    limit(monkeypatch, TOKEN_BUDGET_PER_DAY=str(spent))
    before = time.time()
    refused = await client.post("/runs", json=QUESTION, headers=as_(alice))
    error = assert_429(refused, "token_budget_exceeded")
    assert error["details"] | {"retry_after": 0} == {
        "kind": "tokens",
        "limit": spent,
        "used": spent,
        "retry_after": 0,
    }
    to_midnight = day_reset(before) - before
    assert (
        math.ceil(to_midnight) - 2 <= int(refused.headers["retry-after"]) <= math.ceil(to_midnight)
    )
    usage = (await client.get("/usage", headers=as_(alice))).json()
    assert usage["tokens"]["limit"] == spent
    assert usage["tokens"]["used"] == spent
    assert (await client.post("/runs", json=QUESTION, headers=as_(someone("bob")))).is_success


@pytest.mark.slow
async def test_a_websocket_run_over_the_limit_gets_one_error_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limit(monkeypatch, RATE_LIMIT_PER_MINUTE="1")
    with serve(make_app()) as url:

        async def scenario() -> None:
            alice = someone("alice")
            ws_url = url.replace("http", "ws", 1) + "/runs/ws"
            async with connect(ws_url, additional_headers=as_(alice)) as ws:
                await ws.send(json.dumps(QUESTION))
                events: list[dict[str, Any]] = []
                while not events or events[-1].get("type") != "done":
                    events.append(json.loads(await ws.recv()))
                await ws.send(json.dumps(QUESTION))
                refused = json.loads(await ws.recv())
                assert refused["error"]["code"] == "rate_limit_exceeded"
                assert 1 <= refused["error"]["details"]["retry_after"] <= 60
                await ws.send(json.dumps({"input": "hi", "agent": "nobody"}))
                # The connection stays open and answers the next message.
                assert json.loads(await ws.recv())["error"]["code"] == "unknown_agent"

        await within_one_minute(scenario)
