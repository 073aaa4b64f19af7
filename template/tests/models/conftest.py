"""A third-party OpenAI-compatible server (llmock) on 127.0.0.1, for tests on the wire.

Every test of this folder runs twice, once per API (`OPENAI_API=responses` and
`chat_completions`), against one in-process llmock server that scripts replies and faults and
journals every request. Nothing leaves the machine: the server listens on 127.0.0.1 and the
conftest's network guard stays on.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from agents.models import openai_provider
from llmock.journal import RequestRecord
from llmock.scenarios import Behavior
from llmock.testing import LLMockServer

from agents_core.config import get_settings
from agents_core.llm import close_model_clients
from agents_core.session.agent_session import AgentSession

MODEL = "mock-model"
APIS = ("responses", "chat_completions")
PATHS = {"responses": "/v1/responses", "chat_completions": "/v1/chat/completions"}


@pytest.fixture(scope="session")
def llmock_server() -> Iterator[LLMockServer]:
    with LLMockServer() as server:
        yield server


@dataclass
class ModelServer:
    """The llmock server as this test sees it: its API, its script, its journal."""

    server: LLMockServer
    api: str
    monkeypatch: pytest.MonkeyPatch

    def script(self, *behaviors: Behavior) -> None:
        """Queue replies and faults for the next requests."""
        self.server.state.scenarios.add(*behaviors)

    def requests(self, wait: float = 2.0) -> list[RequestRecord]:
        """The model requests of this test, in order (waits for those in flight)."""
        records = self.server.state.journal.records(wait=wait)
        return [record for record in records if record.path == PATHS[self.api]]

    def bodies(self) -> list[dict[str, Any]]:
        return [record.body for record in self.requests() if isinstance(record.body, dict)]

    def texts(self, body: dict[str, Any]) -> list[tuple[str, str]]:
        """(role, text) of each message a request sent, on either API."""
        items = body["messages"] if self.api == "chat_completions" else body["input"]
        if isinstance(items, str):
            return [("user", items)]
        out = []
        for item in items:
            role = item.get("role")
            if role is None:
                continue
            content = item.get("content")
            if isinstance(content, list):
                content = "".join(str(part.get("text", "")) for part in content)
            out.append((str(role), str(content or "")))
        return out

    def configure(self, **settings: str) -> None:
        """Change settings (MODEL_TIMEOUT_SECONDS="0.3", ...) for the rest of the test."""
        for name, value in settings.items():
            self.monkeypatch.setenv(name, value)
        get_settings.cache_clear()


async def _serve(
    server: LLMockServer, api: str, monkeypatch: pytest.MonkeyPatch, **settings: str
) -> AsyncIterator[ModelServer]:
    server.state.scenarios.clear()
    server.state.journal.clear()
    served = ModelServer(server, api, monkeypatch)
    defaults = {
        "OPENAI_BASE_URL": server.base_url("openai"),
        "OPENAI_API_KEY": "test-key",
        "OPENAI_API": api,
        "DEFAULT_MODEL": MODEL,
        "TRACING": "off",
        "MODEL_TIMEOUT_SECONDS": "5",
        "MODEL_MAX_RETRIES": "2",
        # The retries are real; only their first backoff is shorter than the 0.5 s default
        # (about 0.4 s of waiting per retried fault, ~30 of them across this folder).
        "MODEL_RETRY_DELAY_SECONDS": "0.05",
    }
    served.configure(**{**defaults, **settings})
    # The SDK's own shared client (unused here) would outlive this test's event loop too.
    monkeypatch.setattr(openai_provider, "_http_client", None)
    yield served
    server.state.scenarios.clear()
    await close_model_clients()  # before this test's event loop ends


@pytest.fixture(params=APIS)
async def model_server(
    request: pytest.FixtureRequest, llmock_server: LLMockServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ModelServer]:
    """Settings that point the project at llmock on one API; a clean script and journal."""
    async for served in _serve(llmock_server, request.param, monkeypatch):
        yield served


@pytest.fixture
async def litellm_server(
    llmock_server: LLMockServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ModelServer]:
    """The same server through LiteLLM: `litellm/openai/<model>` speaks Chat Completions."""
    async for served in _serve(
        llmock_server, "chat_completions", monkeypatch, DEFAULT_MODEL=f"litellm/openai/{MODEL}"
    ):
        yield served


async def session_items(session_id: str) -> list[Any]:
    async with AgentSession(session_id) as session:
        return await session.get_items()


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started
