"""Dependencies of the routes, as `Annotated` aliases."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader
from starlette.requests import HTTPConnection

from agents_core.orchestrator import AgentOrchestrator, RoutingOrchestrator
from agents_core.principals import LOCAL, Principal
from agents_core.registry.agent_registry import get_agent_registry
from api.errors import ApiError
from api.settings import ApiSettings

API_KEY_HEADER = "X-API-Key"

OrchestratorFactory = Callable[[str | None], AgentOrchestrator]
"""Builds the orchestrator of one run: the named agent, or the router when None."""


def get_settings(connection: HTTPConnection) -> ApiSettings:
    """The settings the app was created with."""
    settings: ApiSettings = connection.app.state.settings
    return settings


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


def check_api_key(settings: ApiSettings, given: str | None) -> None:
    """Raise 401 unless API_KEY is unset or `given` matches it."""
    if settings.api_key is None:
        return
    expected = settings.api_key.get_secret_value()
    if given is None or not secrets.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", f"Missing or wrong {API_KEY_HEADER} header.")


_api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def require_api_key(
    settings: SettingsDep, api_key: Annotated[str | None, Security(_api_key_header)]
) -> None:
    """The routes' guard: a no-op while API_KEY is empty."""
    check_api_key(settings, api_key)


def get_principal(connection: HTTPConnection) -> Principal:
    """Who is asking: the principal authentication put on the connection, else `local`."""
    principal: Principal = getattr(connection.state, "principal", LOCAL)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
"""The principal of the request; routes pass it to agents_core, which enforces ownership."""


def default_orchestrator(agent: str | None) -> AgentOrchestrator:
    """`AgentOrchestrator` on `agent` (404 if unknown), else the `RoutingOrchestrator`."""
    if agent is None:
        return RoutingOrchestrator()
    get_agent_registry().get(agent)  # UnknownNameError -> 404, listing the agents
    return AgentOrchestrator(default_agent=agent)


def get_orchestrator_factory() -> OrchestratorFactory:
    """Override this dependency to run your own orchestrator subclass."""
    return default_orchestrator


OrchestratorFactoryDep = Annotated[OrchestratorFactory, Depends(get_orchestrator_factory)]
