"""Authentication at every door of the API: two principals by API keys and by JWTs, `GET /me`,
401s in the API's error shape with `WWW-Authenticate`, and malformed credentials."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from joserfc.jwk import ECKey, RSAKey
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from api import ApiSettings, create_app
from tests.api_server import serve
from tests.auth.provider import AUDIENCE, Provider, provider, provider_keys

ALICE_KEY = "alice-key-0123456789abcdef"
BOB_KEY = "bob-key-0123456789abcdef"
QUESTION = {"input": "What is 2 + 2?", "agent": "assistant"}
# One request per router and door: (method, path, JSON body).
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/me", None),
    ("GET", "/agents", None),
    ("GET", "/agents/assistant", None),
    ("GET", "/sessions", None),
    ("POST", "/runs", QUESTION),
    ("POST", "/runs/stream", QUESTION),
]


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


def assert_unauthorized(response: httpx.Response, invalid_token: bool = True) -> str:
    """401 in the API's error shape with an RFC 6750 challenge; returns the message."""
    assert response.status_code == 401, response.text
    challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
    assert response.headers["www-authenticate"] == challenge
    body = response.json()
    assert body["error"]["code"] == "unauthorized"
    message: str = body["error"]["message"]
    return message


@pytest.fixture
def keys_app() -> FastAPI:
    return create_app(ApiSettings(api_keys=SecretStr(f"alice:{ALICE_KEY},bob:{BOB_KEY}")))


async def test_without_credentials_configured_everyone_is_local() -> None:
    async with client_of(create_app(ApiSettings())) as client:
        me = await client.get("/me")
        assert me.json() == {"principal": "local", "roles": [], "auth": "none"}
        # Whatever credentials come anyway (a proxy's Basic authentication...) are not read.
        for headers in (bearer(ALICE_KEY), {"Authorization": "Basic YTpi"}, {"X-API-Key": ""}):
            sent = await client.get("/me", headers=headers)
            assert sent.json()["principal"] == "local"


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_two_key_principals_on_every_route(
    keys_app: FastAPI, method: str, path: str, body: Any
) -> None:
    async with client_of(keys_app) as client:
        missing = await client.request(method, path, json=body)
        assert "Authentication required" in assert_unauthorized(missing, invalid_token=False)
        wrong = await client.request(method, path, json=body, headers=bearer("not-a-key"))
        assert assert_unauthorized(wrong) == "The API key is not valid."
        alice = await client.request(method, path, json=body, headers=bearer(ALICE_KEY))
        bob = await client.request(method, path, json=body, headers={"X-API-Key": BOB_KEY})
        assert alice.status_code == bob.status_code == 200, (alice.text, bob.text)


async def test_me_names_the_key_principal_and_its_roles() -> None:
    settings = ApiSettings(api_key=SecretStr("the-admin-key"), api_keys=SecretStr(f"bob:{BOB_KEY}"))
    async with client_of(create_app(settings)) as client:
        admin = await client.get("/me", headers={"X-API-Key": "the-admin-key"})
        assert admin.json() == {"principal": "default", "roles": ["admin"], "auth": "api_key"}
        bob = await client.get("/me", headers=bearer(BOB_KEY))
        assert bob.json() == {"principal": "bob", "roles": [], "auth": "api_key"}


@pytest.mark.parametrize(
    ("headers", "fault"),
    [
        ({"Authorization": f"Basic {ALICE_KEY}"}, "Unsupported Authorization scheme"),
        ({"Authorization": ALICE_KEY}, "Unsupported Authorization scheme"),
        ({"Authorization": "Bearer"}, "is empty"),
        ({"Authorization": "Bearer    "}, "is empty"),
        ({"X-API-Key": ""}, "is empty"),
        ({"Authorization": f"Bearer {ALICE_KEY}", "X-API-Key": BOB_KEY}, "different credentials"),
        ({"Authorization": f"Bearer {ALICE_KEY} {ALICE_KEY}"}, "not valid"),
        ({"Authorization": f"Bearer {ALICE_KEY[:-1]}"}, "not valid"),
        ({"Authorization": f"Bearer {ALICE_KEY}x"}, "not valid"),
        ({"Authorization": "Bearer " + "k" * 9000}, "larger than 8192 bytes"),
        ({"X-API-Key": "alice"}, "not valid"),  # a principal's name is not its key
        ([("authorization", f"Bearer {ALICE_KEY}")] * 2, "Send one authorization header"),
        ([("x-api-key", ALICE_KEY), ("x-api-key", BOB_KEY)], "Send one X-API-Key header"),
    ],
)
async def test_malformed_or_wrong_credentials_are_401(
    keys_app: FastAPI, headers: dict[str, str] | list[tuple[str, str]], fault: str
) -> None:
    async with client_of(keys_app) as client:
        response = await client.get("/me", headers=headers)
        assert fault in assert_unauthorized(response)
        assert ALICE_KEY not in response.text
        assert BOB_KEY not in response.text


async def test_accepted_header_forms(keys_app: FastAPI) -> None:
    async with client_of(keys_app) as client:
        for headers in (
            {"Authorization": f"bearer {ALICE_KEY}"},  # the scheme is case-insensitive
            {"Authorization": f"BEARER   {ALICE_KEY}  "},
            {"Authorization": f"Bearer\t{ALICE_KEY}"},
            {"Authorization": f"Bearer {ALICE_KEY}", "X-API-Key": ALICE_KEY},
            # A proxy's own Basic authentication beside the key: the key counts.
            {"Authorization": "Basic cHJveHk6cGFzcw==", "X-API-Key": ALICE_KEY},
        ):
            response = await client.get("/me", headers=headers)
            assert response.json()["principal"] == "alice", headers


async def test_non_ascii_and_control_bytes_in_a_key_are_401_not_500(keys_app: FastAPI) -> None:
    async with client_of(keys_app) as client:
        for raw in ("Bearer clé-ünïcode".encode(), b"Bearer \xff\xfe", b"Bearer a\x7fb"):
            response = await client.get("/me", headers=[(b"authorization", raw)])
            assert_unauthorized(response)


async def test_a_run_cannot_claim_a_principal_through_its_context(keys_app: FastAPI) -> None:
    body = {**QUESTION, "context": {"principal": {"id": "admin", "roles": ["admin"]}}}
    async with client_of(keys_app) as client:
        response = await client.post("/runs", json=body, headers=bearer(BOB_KEY))
        assert response.status_code == 422
        assert "principal" in response.json()["error"]["details"]["unknown"]


@pytest.mark.slow
async def test_websocket_takes_the_header_or_the_subprotocol(keys_app: FastAPI) -> None:
    with serve(keys_app) as url:
        ws_url = url.replace("http", "ws", 1) + "/runs/ws"
        for headers in ({}, bearer("wrong-key"), {"X-API-Key": "wrong-key"}):
            with pytest.raises(InvalidStatus):
                async with connect(ws_url, additional_headers=headers):
                    pass
        with pytest.raises(InvalidStatus):
            async with connect(ws_url, subprotocols=["agents-core", "api-key.wrong"]):  # type: ignore[list-item]
                pass
        for options in (
            {"additional_headers": bearer(ALICE_KEY)},
            {"additional_headers": {"X-API-Key": BOB_KEY}},
            {"subprotocols": ["agents-core", f"api-key.{ALICE_KEY}"]},
        ):
            async with connect(ws_url, **options) as ws:
                assert ws.subprotocol in (None, "agents-core")  # the key is never echoed
                await ws.send(json.dumps(QUESTION))
                assert json.loads(await ws.recv())["type"] == "run_start"


@asynccontextmanager
async def mcp_session(app: FastAPI, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    """An MCP client session on `app` (whose lifespan the caller runs)."""
    transport = httpx2.ASGITransport(app=app)
    async with (
        httpx2.AsyncClient(transport=transport, headers=headers) as http,
        streamable_http_client("http://127.0.0.1/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def test_mcp_needs_a_credential_and_takes_either_header(keys_app: FastAPI) -> None:
    async with client_of(keys_app) as client:
        refused = await client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
    async with keys_app.router.lifespan_context(keys_app):
        for headers in (bearer(ALICE_KEY), {"X-API-Key": BOB_KEY}):
            async with mcp_session(keys_app, headers) as session:
                tools = await session.list_tools()
                assert "assistant" in {tool.name for tool in tools.tools}


@pytest.mark.slow
async def test_a_100_kb_header_never_reaches_a_handler_over_uvicorn(keys_app: FastAPI) -> None:
    with serve(keys_app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            huge = await client.get("/me", headers=bearer("x" * 100_000))
            # The app's 8 KB limit answers 401 (or uvicorn, set to refuse large headers, earlier).
            assert huge.status_code in (400, 401, 431)
            after = await client.get("/me", headers=bearer(ALICE_KEY))
            assert after.json()["principal"] == "alice"


# -- JWT bearer tokens -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signing_keys() -> dict[str, RSAKey | ECKey]:
    return provider_keys()


@pytest.fixture
def oidc(signing_keys: dict[str, RSAKey | ECKey]) -> Iterator[Provider]:
    with provider(signing_keys, "rsa-1", "ec-1") as running:
        yield running


@pytest.fixture
def jwt_app(oidc: Provider) -> FastAPI:
    return create_app(
        ApiSettings(
            jwt_issuer=oidc.issuer,
            jwt_audience=AUDIENCE,
            api_keys=SecretStr(f"carol:{ALICE_KEY}"),
        )
    )


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_two_token_principals_on_every_route(
    jwt_app: FastAPI, oidc: Provider, method: str, path: str, body: Any
) -> None:
    async with client_of(jwt_app) as client:
        alice = await client.request(method, path, json=body, headers=bearer(oidc.mint("alice")))
        bob = await client.request(
            method, path, json=body, headers=bearer(oidc.mint("bob", kid="ec-1"))
        )
        assert alice.status_code == bob.status_code == 200, (alice.text, bob.text)
        expired = oidc.mint("alice", lifetime=-3600)
        assert "expired" in assert_unauthorized(
            await client.request(method, path, json=body, headers=bearer(expired))
        )


async def test_me_with_tokens_and_keys_side_by_side(jwt_app: FastAPI, oidc: Provider) -> None:
    async with client_of(jwt_app) as client:
        token = oidc.mint("alice", roles=["admin", "analyst"])
        me = await client.get("/me", headers=bearer(token))
        assert me.json() == {"principal": "alice", "roles": ["admin", "analyst"], "auth": "jwt"}
        key = await client.get("/me", headers={"X-API-Key": ALICE_KEY})
        assert key.json() == {"principal": "carol", "roles": [], "auth": "api_key"}
        # A token is not an API key: in X-API-Key it is looked up as a key, and refused.
        assert_unauthorized(await client.get("/me", headers={"X-API-Key": token}))


@pytest.mark.slow
async def test_websocket_and_mcp_take_tokens(jwt_app: FastAPI, oidc: Provider) -> None:
    token = oidc.mint("bob")
    with serve(jwt_app) as url:
        ws_url = url.replace("http", "ws", 1) + "/runs/ws"
        async with connect(ws_url, subprotocols=["agents-core", f"api-key.{token}"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps(QUESTION))
            assert json.loads(await ws.recv())["type"] == "run_start"
        with pytest.raises(InvalidStatus):
            async with connect(ws_url, additional_headers=bearer(oidc.mint("bob", lifetime=-99))):
                pass
    async with (
        jwt_app.router.lifespan_context(jwt_app),
        mcp_session(jwt_app, bearer(token)) as session,
    ):
        assert (await session.list_tools()).tools


async def test_unreachable_signing_keys_are_503(oidc: Provider) -> None:
    app = create_app(ApiSettings(jwt_jwks_url=oidc.server.url + "/missing", jwt_audience=AUDIENCE))
    async with client_of(app) as client:
        response = await client.get("/me", headers=bearer(oidc.mint("alice")))
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "auth_unavailable"
