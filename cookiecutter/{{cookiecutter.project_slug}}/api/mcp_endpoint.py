"""The agents as an MCP server over streamable HTTP, at /mcp, under the API's authentication.

The official `mcp` SDK serves it (`agents_core.mcp.exposure`); it is stateless and answers in
JSON, so any worker of a multi-worker API can take any request. Every request is authenticated
like every other route's (`api.deps.authenticate`: an API key or a bearer token when any is
configured) and the principal is on the request's state for the tools; only allowed hosts are
answered and browser pages of other origins are refused (`api.hosts`, `api.origins`). Runs go
through the app's run service (`api.deps.get_run_service`, so an override of
`get_orchestrator_factory` applies here too). Each call runs as the request's principal (the one
`authenticate` found), as the routes do.
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
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from agents_core.exceptions import ConfigurationError
from agents_core.mcp.exposure import agents_mcp_server
from agents_core.principals import Principal
from api.deps import authenticate, run_service_of
from api.errors import ApiError, error_json
from api.origins import origin_allowed
from api.settings import ApiSettings

MCP_PATH = "/mcp"


class _RequirePrincipal:
    """The routes' authentication in front of an ASGI app (mounted apps skip dependencies)."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        try:
            if not origin_allowed(
                headers, self.settings.cors_origin_list, self.settings.host_allowlist
            ):
                raise ApiError(403, "origin_not_allowed", "Pages of this origin may not call /mcp.")
            await authenticate(HTTPConnection(scope))
        except ApiError as error:
            body = error_json(error.code, error.message)
            response = Response(
                body, error.status, headers=error.headers, media_type="application/json"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_mcp(app: FastAPI, settings: ApiSettings) -> None:
    """Serve the agents at /mcp; `mcp_lifespan` builds the MCP server when the app starts.

    Built at startup, not here: the server makes one pydantic model per agent tool (~5 ms, two
    thirds of `create_app`), which apps that never start (in-process tests) need not pay.
    """
    app.state.mcp_settings = settings
    endpoint = _RequirePrincipal(_StartedMCP(app), settings)
    # A Route with an ASGI app as endpoint: /mcp itself, no redirect to /mcp/ as a Mount does.
    app.router.routes.append(
        Route(MCP_PATH, endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False)
    )


class _StartedMCP:
    """The SDK's streamable HTTP app of the MCP server that `mcp_lifespan` built and runs."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        served: ASGIApp | None = getattr(self.app.state, "mcp_app", None)
        if served is None:
            raise RuntimeError("/mcp is served only while the app runs (its lifespan started)")
        await served(scope, receive, send)


def _mcp_server(app: FastAPI, settings: ApiSettings) -> MCPServer[Any]:
    server = agents_mcp_server(service=run_service_of(app), principal_of=_principal_of)
    # Host and Origin are checked by the app (api.hosts, ALLOWED_HOSTS) and `_RequirePrincipal`,
    # as for every route; the SDK still checks the Content-Type.
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=security,
        max_request_body_size=settings.max_body_bytes,
    )
    return server


def _principal_of(request: Any) -> Principal:
    """The principal of an MCP call: its HTTP request's, as for every route."""
    # `_RequirePrincipal` authenticated the request before the MCP app saw it.
    principal = getattr(getattr(request, "state", None), "principal", None)
    if not isinstance(request, HTTPConnection) or not isinstance(principal, Principal):
        # Never run a call as nobody in particular.
        raise ConfigurationError("The MCP call carries no authenticated request.")
    return principal


@asynccontextmanager
async def mcp_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the MCP server of the agents registered now and run its session manager while the
    app runs."""
    settings: ApiSettings | None = getattr(app.state, "mcp_settings", None)
    if settings is None:
        yield
        return
    server = _mcp_server(app, settings)
    async with server.session_manager.run():
        app.state.mcp_server = server
        app.state.mcp_app = StreamableHTTPASGIApp(server.session_manager)
        try:
            yield
        finally:
            app.state.mcp_app = None
