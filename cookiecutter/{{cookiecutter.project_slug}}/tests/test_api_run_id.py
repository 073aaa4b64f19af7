"""The API returns each run's id (header and body); the run's log line carries the same id."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from agents_core.observability import RUN_LOGGER
from api import ApiSettings, create_app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(ApiSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


async def test_a_run_returns_its_run_id_in_the_header_and_the_body(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    first = await client.post("/runs", json={"input": "What is 2 + 2?", "agent": "assistant"})
    second = await client.post("/runs", json={"input": "What is 2 + 3?", "agent": "assistant"})
    assert first.status_code == second.status_code == 200
    run_id = first.headers["X-Run-Id"]
    assert first.json()["run_id"] == run_id
    assert len(run_id) == 32
    assert int(run_id, 16)
    assert second.headers["X-Run-Id"] != run_id
    logged = [getattr(r, "fields", {}) for r in caplog.records if r.name == RUN_LOGGER]
    runs = [line for line in logged if line["event"] == "run"]
    assert [line["run_id"] for line in runs] == [run_id, second.headers["X-Run-Id"]]
    assert runs[0]["session_id"] == first.json()["session_id"]


async def test_a_streamed_run_sends_its_run_id_in_the_header_and_the_events(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/runs/stream", json={"input": "What is 2 + 2?", "agent": "assistant"}
    )
    assert response.status_code == 200
    run_id = response.headers["X-Run-Id"]
    assert f'"run_id": "{run_id}"' in response.text or f'"run_id":"{run_id}"' in response.text
