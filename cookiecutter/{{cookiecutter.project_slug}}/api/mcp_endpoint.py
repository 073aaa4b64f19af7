"""The agents as an MCP server over streamable HTTP, at /mcp, under the API's key.

The official `mcp` SDK serves it (`agents_core.mcp.exposure`); it is stateless and answers in
JSON, so any worker of a multi-worker API can take any request. Every request needs the
`X-API-Key` header when API_KEY is set, like every other route. Runs go through the
orchestrator factory the routes use (`api.deps.get_orchestrator_factory`, overrides included).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from agents_core.mcp.exposure import agents_mcp_server
from agents_core.orchestrator import AgentOrchestrator
from api.deps import API_KEY_HEADER, check_api_key, get_orchestrator_factory
from api.errors import ApiError, error_json
from api.settings import ApiSettings

MCP_PATH = "/mcp"
_LOCAL_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]


class _RequireApiKey:
    """The routes' API-key check in front of an ASGI app (mounted apps skip dependencies)."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            check_api_key(self.settings, Headers(scope=scope).get(API_KEY_HEADER))
        except ApiError as error:
            body = error_json(error.code, error.message)
            response = Response(body, error.status, media_type="application/json")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_mcp(app: FastAPI, settings: ApiSettings) -> None:
    """Serve the agents at /mcp; `mcp_lifespan` must run around the app's life."""

    def orchestrator(agent: str) -> AgentOrchestrator:
        factory = app.dependency_overrides.get(get_orchestrator_factory, get_orchestrator_factory)
        return factory()(agent)  # type: ignore[no-any-return]

    server = agents_mcp_server(orchestrator=orchestrator)
    # Without an API key only local hosts may call it (DNS rebinding); with one, the key guards.
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=settings.api_key is None,
        allowed_hosts=_LOCAL_HOSTS,
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
    )
    server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=security,
        max_request_body_size=settings.max_body_bytes,
    )
    endpoint = _RequireApiKey(StreamableHTTPASGIApp(server.session_manager), settings)
    # A Route with an ASGI app as endpoint: /mcp itself, no redirect to /mcp/ as a Mount does.
    app.router.routes.append(
        Route(MCP_PATH, endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False)
    )
    app.state.mcp_server = server


@asynccontextmanager
async def mcp_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the MCP session manager while the app runs (it can run once per app)."""
    server: MCPServer[Any] | None = getattr(app.state, "mcp_server", None)
    if server is None:
        yield
        return
    async with server.session_manager.run():
        yield
