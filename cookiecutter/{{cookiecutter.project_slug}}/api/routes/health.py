"""Liveness and readiness (no API key: load balancers call them)."""

from __future__ import annotations

from fastapi import APIRouter

from agents_core.llm.readiness import check_model_server
from agents_core.registry.agent_registry import get_agent_registry
from agents_core.session.agent_session import list_sessions
from api.deps import SettingsDep
from api.errors import ApiError
from api.schemas import ErrorResponse, Health

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> Health:
    """The process answers."""
    return Health(status="ok")


@router.get("/ready", responses={503: {"model": ErrorResponse}})
async def ready(settings: SettingsDep) -> Health:
    """The agents load and the session store answers (and the model server, with
    `READY_CHECKS_MODEL=true`)."""
    checks: dict[str, str] = {}
    steps = ["agents", "sessions"] + (["model"] if settings.ready_checks_model else [])
    try:
        checks["agents"] = f"{len(get_agent_registry().names())} registered"
        await list_sessions(limit=1)
        checks["sessions"] = "ok"
        if settings.ready_checks_model:
            checks["model"] = await check_model_server(settings)
    except Exception as error:  # any failure means not ready; say which check failed
        failed = steps[len(checks)]
        message = f"{failed}: {type(error).__name__}"
        raise ApiError(503, "not_ready", message, checks) from error
    return Health(status="ready", checks=checks)
