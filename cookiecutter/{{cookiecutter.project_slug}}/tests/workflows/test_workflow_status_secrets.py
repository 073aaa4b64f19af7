"""A workflow run that fails on the model server shows no credential in its status.

OPENAI_BASE_URL carries a user and a password, and nothing listens at its port: the flow's
agent fails to reach it; the status that `GET /workflows/runs/{id}` returns, and the log, name
the server without the secrets.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from agents_core.config import get_settings
from api import ApiSettings, create_app
from api.workflow_runs import WorkflowRunner, WorkflowSettings

pytestmark = pytest.mark.slow  # flows on the Prefect server

PASSWORD = "s3cr3t-token"
OPENAI_KEY = "sk-leak-check-0123456789abcdef"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.allow_model_calls
@pytest.mark.parametrize("api", ["chat_completions", "responses"])
async def test_the_status_of_a_failed_run_shows_no_secret(
    api: str, prefect_server: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://user:{PASSWORD}@127.0.0.1:{port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_API", api)
    monkeypatch.setenv("MODEL_MAX_RETRIES", "0")
    get_settings.cache_clear()
    runner = WorkflowRunner(WorkflowSettings(workflow_execution="in-process"))
    app = create_app(ApiSettings())
    app.state.workflow_runner = runner
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.post(
            "/workflows/agent-analysis/runs",
            json={"parameters": {"query": "What is 2 + 3?", "agent": "assistant"}},
        )
        assert response.status_code == 202, response.text
        await runner.wait_all()
        status = await client.get(response.json()["status_url"])
    run = status.json()
    assert run["state_type"] == "FAILED"
    assert f"http://***@127.0.0.1:{port}/v1" in run["error"]  # still says where
    for secret in (PASSWORD, OPENAI_KEY):
        assert secret not in status.text
        assert secret not in caplog.text
