"""Dependencies of the routes, as `Annotated` aliases."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from agents_core.auth import (
    NO_AUTHENTICATION,
    Authentication,
    AuthenticationError,
    Authenticator,
    SigningKeysUnavailableError,
    credential_from_headers,
)
from agents_core.orchestrator import AgentOrchestrator
from agents_core.principals import Principal
from agents_core.runs import OrchestratorFactory, RunService, default_orchestrator
from api.errors import ApiError
from api.settings import ApiSettings

API_KEY_HEADER = "X-API-Key"


def get_settings(connection: HTTPConnection) -> ApiSettings:
    """The settings the app was created with."""
    settings: ApiSettings = connection.app.state.settings
    return settings


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


API_KEY_SUBPROTOCOL = "api-key."
"""Prefix of the WebSocket subprotocol that carries a key or token (browsers cannot set headers)."""

_bearer_scheme = HTTPBearer(
    auto_error=False, description="An API key or a JWT of the configured OpenID Connect provider."
)
_api_key_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)
_CHALLENGE = "Bearer"
_INVALID_CHALLENGE = 'Bearer error="invalid_token"'
logger = logging.getLogger("api")


def _subprotocol_credential(connection: HTTPConnection) -> str | None:
    offered: list[str] = list(connection.scope.get("subprotocols", []))
    return next(
        (p.removeprefix(API_KEY_SUBPROTOCOL) for p in offered if p.startswith(API_KEY_SUBPROTOCOL)),
        None,
    )


async def authenticate(connection: HTTPConnection) -> Authentication:
    """Who sent the request, and how they proved it: checked once per request.

    `Authorization: Bearer <key or token>` or `X-API-Key: <key>` (WebSockets: also the
    subprotocol `api-key.<key or token>`). Raises 401 `unauthorized` with `WWW-Authenticate:
    Bearer`, or 503 when the token provider's keys cannot be fetched.
    """
    known: Authentication | None = getattr(connection.state, "authentication", None)
    if known is not None:
        return known
    authenticator: Authenticator = connection.app.state.authenticator
    if not authenticator.required:  # every caller is local; headers are not read at all
        connection.state.authentication = NO_AUTHENTICATION
        connection.state.principal = NO_AUTHENTICATION.principal
        return NO_AUTHENTICATION
    authorization = connection.headers.get("authorization")
    key = connection.headers.get(API_KEY_HEADER)
    if authorization is None and key is None and connection.scope["type"] == "websocket":
        offered = _subprotocol_credential(connection)  # a key or a token, like Bearer
        authorization = f"Bearer {offered}" if offered is not None else None
    try:
        for header in ("authorization", API_KEY_HEADER):
            if len(connection.headers.getlist(header)) > 1:
                # Proxies and this server could each read a different one.
                raise AuthenticationError(f"Send one {header} header, not several.")
        credential = credential_from_headers(authorization, key)
        result = await authenticator.authenticate(credential)
    except AuthenticationError as error:
        challenge = _INVALID_CHALLENGE if error.invalid_token else _CHALLENGE
        raise ApiError(
            401, "unauthorized", error.message, headers={"WWW-Authenticate": challenge}
        ) from None
    except SigningKeysUnavailableError as error:
        logger.error("authentication: %s", error)
        raise ApiError(
            503,
            "auth_unavailable",
            "The token provider's signing keys could not be fetched; try again later.",
        ) from None
    connection.state.authentication = result
    connection.state.principal = result.principal
    return result


async def get_principal(connection: HTTPConnection) -> Principal:
    """Who is asking: authenticated on first use (`authenticate`), `local` without credentials."""
    return (await authenticate(connection)).principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
"""The principal of the request; routes pass it to agents_core, which enforces ownership."""


async def require_principal(
    connection: HTTPConnection,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)],
    _key: Annotated[str | None, Security(_api_key_scheme)],
) -> Principal:
    """The routers' guard: `get_principal`, with the two ways to send credentials in OpenAPI."""
    return await get_principal(connection)


AuthenticationDep = Annotated[Authentication, Depends(authenticate)]


def get_orchestrator_factory() -> OrchestratorFactory:
    """Override this dependency to run your own orchestrator subclass."""
    return default_orchestrator


OrchestratorFactoryDep = Annotated[OrchestratorFactory, Depends(get_orchestrator_factory)]


def get_run_service(connection: HTTPConnection) -> RunService:
    """The app's run service: every door's routes start, stream, decide and cancel runs with it.

    Its orchestrators come from `get_orchestrator_factory` (an override of that dependency
    applies to every door).
    """
    app = connection.app
    service: RunService | None = getattr(app.state, "run_service", None)
    if service is None:

        def orchestrator(agent: str | None) -> AgentOrchestrator:
            provider = app.dependency_overrides.get(
                get_orchestrator_factory, get_orchestrator_factory
            )
            factory: OrchestratorFactory = provider()
            return factory(agent)

        service = app.state.run_service = RunService(orchestrator)
    return service


RunServiceDep = Annotated[RunService, Depends(get_run_service)]
