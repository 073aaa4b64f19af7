"""The HTTP routes, through httpx's ASGI transport (no socket)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from agents_core.exceptions import AgentRunError
from agents_core.models.context import AgentContext
from agents_core.orchestrator import AgentOrchestrator
from api import ApiSettings, create_app
from api.deps import get_orchestrator_factory


@pytest.fixture
def app() -> FastAPI:
    return create_app(ApiSettings())


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The `error` object, checking the stable shape on the way."""
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    error: dict[str, Any] = body["error"]
    return error


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok", "checks": {}}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["sessions"] == "ok"


async def test_agents_lists_names_descriptions_and_tools(client: httpx.AsyncClient) -> None:
    response = await client.get("/agents")
    assert response.status_code == 200
    agents = {agent["name"]: agent for agent in response.json()}
    assert agents["assistant"]["tools"] == ["calculator"]
    assert agents["assistant"]["description"]
    assert agents["intent_router"]["structured_output"] == "IntentOutput"


async def test_run_returns_the_final_output_and_session(client: httpx.AsyncClient) -> None:
    response = await client.post("/runs", json={"input": "What is 2 + 2?", "agent": "assistant"})
    assert response.status_code == 200
    body = response.json()
    assert body["agent"] == "assistant"
    assert "4" in body["text"]
    assert body["session_id"]


async def test_run_without_agent_goes_through_the_router(client: httpx.AsyncClient) -> None:
    response = await client.post("/runs", json={"input": "What is 12 * (3 + 4)?"})
    assert response.status_code == 200
    assert "84" in response.json()["text"]


async def test_structured_output_is_a_json_object(client: httpx.AsyncClient) -> None:
    response = await client.post("/runs", json={"input": "hello", "agent": "intent_router"})
    assert response.status_code == 200
    output = response.json()["output"]
    assert isinstance(output, dict)
    assert "category" in output


async def test_unknown_agent_is_404_listing_the_agents(client: httpx.AsyncClient) -> None:
    for path in ("/runs", "/runs/stream"):
        response = await client.post(path, json={"input": "hi", "agent": "nobody"})
        assert response.status_code == 404
        error = error_of(response)
        assert error["code"] == "unknown_agent"
        assert "assistant" in error["details"]["known"]
    assert error_of(await client.get("/agents/nobody"))["code"] == "unknown_agent"


@pytest.mark.parametrize(
    "body",
    [{}, {"input": ""}, {"input": "   "}, {"input": 3}, {"input": "hi", "agent": ["x"]}],
    ids=["missing", "empty", "blank", "number", "agent-list"],
)
async def test_malformed_body_is_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post("/runs", json=body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert error["details"]["errors"]


async def test_invalid_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/runs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"


async def test_input_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    app = create_app(ApiSettings(max_input_chars=10))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as small:
        response = await small.post("/runs", json={"input": "x" * 11})
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "input_too_large"
    assert error["details"] == {"limit": 10, "size": 11}


async def test_guardrail_tripwire_is_400_naming_the_guardrail(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/runs", json={"input": "my key sk-abcdefghijklmnopqrstuvwx", "agent": "assistant"}
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "guardrail_tripped"
    assert error["details"]["guardrail"] == "no_secrets"


async def test_agent_failure_is_502_without_internals(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    class Failing(AgentOrchestrator):
        async def execute(self, user_query: str, context_data: dict[str, Any]) -> Any:
            raise AgentRunError("assistant", RuntimeError("upstream secret detail"))

    app.dependency_overrides[get_orchestrator_factory] = lambda: lambda agent: Failing()
    response = await client.post("/runs", json={"input": "hi"})
    assert response.status_code == 502
    error = error_of(response)
    assert error["code"] == "agent_run_failed"
    assert "secret detail" not in response.text
    assert "Traceback" not in response.text


async def test_invalid_session_id_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/runs", json={"input": "hi", "session_id": "no spaces!"})
    assert error_of(response)["code"] == "invalid_session_id"
    assert response.status_code == 422
    response = await client.get("/sessions/no%20spaces")
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_session_id"


async def test_sessions_list_read_and_delete(client: httpx.AsyncClient) -> None:
    body = {"input": "What is 2 + 2?", "agent": "assistant", "session_id": "api-s1"}
    assert (await client.post("/runs", json=body)).status_code == 200

    listed = await client.get("/sessions")
    assert [(s["session_id"], s["title"]) for s in listed.json()] == [("api-s1", "What is 2 + 2?")]
    history = (await client.get("/sessions/api-s1")).json()
    assert history["session_id"] == "api-s1"
    assert history["items"][0]["role"] == "user"

    assert (await client.delete("/sessions/api-s1")).status_code == 204
    assert (await client.get("/sessions/api-s1")).status_code == 404
    assert (await client.get("/sessions")).json() == []


async def test_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/sessions/never-used")
    assert response.status_code == 404
    assert error_of(response)["code"] == "session_not_found"


async def test_api_key_guards_everything_but_health() -> None:
    app = create_app(ApiSettings(api_key=SecretStr("s3cret")))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        assert (await client.get("/health")).status_code == 200
        for method, path in (("GET", "/agents"), ("GET", "/sessions"), ("POST", "/runs")):
            response = await client.request(method, path, json={"input": "hi"})
            assert response.status_code == 401, path
            assert error_of(response)["code"] == "unauthorized"
        wrong = await client.get("/agents", headers={"X-API-Key": "nope"})
        assert wrong.status_code == 401
        right = await client.get("/agents", headers={"X-API-Key": "s3cret"})
        assert right.status_code == 200


async def test_cors_allows_the_configured_origins() -> None:
    app = create_app(ApiSettings(cors_origins="http://app.example, http://other.example"))
    preflight = {"Origin": "http://app.example", "Access-Control-Request-Method": "POST"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        response = await client.options("/runs", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "http://app.example"
        stranger = await client.get("/health", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in stranger.headers


async def test_openapi_documents_every_route(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/agents", "/runs", "/runs/stream", "/sessions", "/sessions/{session_id}"} <= set(paths)


async def test_playground_is_one_page_with_nothing_from_elsewhere(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "runs/stream" in page
    assert "<script src" not in page
    # Nothing loaded by URL: the one link is the empty inline icon (no request for /favicon.ico).
    assert re.findall(r"""(?:src|href)=["']?([^"' >]+)""", page) == ["data:,"]
    assert "//cdn" not in page


# -- context data --------------------------------------------------------------------------------


class Recording(AgentOrchestrator):
    """Runs as usual and keeps the context each run was given."""

    def __init__(self, contexts: list[AgentContext], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.contexts = contexts

    def setup_context(self, **context_data: Any) -> AgentContext:
        context = super().setup_context(**context_data)
        self.contexts.append(context)
        return context


@pytest.fixture
def recorded(app: FastAPI) -> list[AgentContext]:
    contexts: list[AgentContext] = []

    def factory(agent: str | None) -> AgentOrchestrator:
        return Recording(contexts, default_agent=agent or "assistant")

    app.dependency_overrides[get_orchestrator_factory] = lambda: factory
    return contexts


async def test_the_context_reaches_the_run(
    client: httpx.AsyncClient, recorded: list[AgentContext]
) -> None:
    context = {"filters": {"region": "EU", "year": 2024}, "schema": "sales(region, amount)"}
    body = {"input": "What is 2 + 2?", "agent": "assistant", "context": context}
    response = await client.post("/runs", json=body)
    assert response.status_code == 200
    assert "4" in response.json()["text"]
    [seen] = recorded
    assert seen.filters == {"region": "EU", "year": 2024}
    assert seen.schema == "sales(region, amount)"
    assert seen.user_query == "What is 2 + 2?"


@pytest.mark.parametrize(
    ("context", "unknown"),
    [
        ({"tenant": "acme"}, ["tenant"]),
        ({"metadata": {"plan_agents": 5}}, ["metadata"]),  # the framework's scratch space
        ({"user_query": "other", "filters": {}}, ["user_query"]),  # set by the run
        ({"database_connector": "sqlite://"}, ["database_connector"]),
    ],
    ids=["unknown", "metadata", "run-field", "object-field"],
)
async def test_a_context_key_that_cannot_be_set_is_422_naming_the_allowed(
    client: httpx.AsyncClient, context: dict[str, Any], unknown: list[str]
) -> None:
    for path in ("/runs", "/runs/stream"):
        response = await client.post(path, json={"input": "hi", "context": context})
        assert response.status_code == 422
        error = error_of(response)
        assert error["code"] == "invalid_context"
        assert error["details"] == {"unknown": unknown, "allowed": ["filters", "schema"]}
        assert "filters, schema" in error["message"]


@pytest.mark.parametrize(
    "context", [{"filters": "EU"}, {"schema": 3}, {"filters": ["EU"]}], ids=str
)
async def test_a_context_value_of_the_wrong_type_is_422(
    client: httpx.AsyncClient, context: dict[str, Any]
) -> None:
    response = await client.post("/runs", json={"input": "hi", "context": context})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_context"
    assert error["details"]["field"] == next(iter(context))
    assert error["details"]["errors"]


async def test_a_context_that_is_not_an_object_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/runs", json={"input": "hi", "context": ["filters"]})
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_request"


async def test_a_context_over_the_limit_is_413() -> None:
    app = create_app(ApiSettings(max_context_chars=50))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        context = {"filters": {"note": "x" * 60}}
        response = await client.post("/runs", json={"input": "hi", "context": context})
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "context_too_large"
    assert error["details"]["limit"] == 50


async def test_a_context_subclass_accepts_its_own_typed_fields(app: FastAPI) -> None:
    @dataclass
    class TenantContext(AgentContext):
        tenant: str = ""
        region: Literal["EU", "US"] = "EU"
        connection: Any = None  # an in-process object: not settable over HTTP

    seen: list[AgentContext] = []

    class Tenanted(Recording):
        context_class = TenantContext

    app.dependency_overrides[get_orchestrator_factory] = lambda: lambda agent: Tenanted(seen)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        good = {"tenant": "acme", "region": "US"}
        ok = await client.post("/runs", json={"input": "What is 2 + 2?", "context": good})
        assert ok.status_code == 200
        assert isinstance(seen[0], TenantContext)
        assert (seen[0].tenant, seen[0].region) == ("acme", "US")

        bad = await client.post("/runs", json={"input": "hi", "context": {"region": "Mars"}})
        assert bad.status_code == 422
        refused = await client.post("/runs", json={"input": "hi", "context": {"connection": 1}})
        assert error_of(refused)["details"]["allowed"] == ["filters", "region", "schema", "tenant"]


async def test_an_error_echoing_a_lone_surrogate_is_still_a_4xx(
    client: httpx.AsyncClient,
) -> None:
    # JSON may escape a lone surrogate, which UTF-8 cannot encode; the error echoes it escaped.
    for body, status in (
        (b'{"input": "hi", "agent": "\\ud800"}', 422),
        (b'{"input": "hi", "context": {"\\udfff": 1}}', 422),
    ):
        response = await client.post(
            "/runs", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == status
        assert response.content.isascii()
        assert error_of(response)["code"] in {"invalid_request", "invalid_context"}
