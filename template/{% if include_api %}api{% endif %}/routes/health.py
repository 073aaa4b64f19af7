"""Liveness and readiness (no API key: load balancers call them)."""

from __future__ import annotations

from fastapi import APIRouter

from agents_core.registry.agent_registry import get_agent_registry
from agents_core.session.agent_session import list_sessions
from api.errors import ApiError
from api.schemas import ErrorResponse, Health

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> Health:
    """The process answers."""
    return Health(status="ok")


@router.get("/ready", responses={503: {"model": ErrorResponse}})
async def ready() -> Health:
    """The agents load and the session store answers."""
    checks: dict[str, str] = {}
    try:
        checks["agents"] = f"{len(get_agent_registry().names())} registered"
        await list_sessions(limit=1)
        checks["sessions"] = "ok"
    except Exception as error:  # any failure means not ready; say which check failed
        failed = "sessions" if "agents" in checks else "agents"
        message = f"{failed}: {type(error).__name__}"
        raise ApiError(503, "not_ready", message, checks) from error
    return Health(status="ready", checks=checks)
