"""Conversation histories: list, read, clear."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from agents_core.session.agent_session import AgentSession, list_sessions, validate_session_id
from api.deps import require_api_key
from api.errors import ApiError
from api.limits import MAX_NAME_CHARS
from api.schemas import ErrorResponse, SessionHistory, SessionInfo

SessionId = Annotated[str, Path(max_length=MAX_NAME_CHARS)]

router = APIRouter(
    prefix="/sessions",
    tags=["sessions"],
    dependencies=[Depends(require_api_key)],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)


@router.get("")
async def get_sessions(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    user_id: Annotated[str | None, Query(max_length=MAX_NAME_CHARS)] = None,
) -> list[SessionInfo]:
    """Stored sessions, most recently updated first."""
    found = await list_sessions(user_id=user_id, limit=limit)
    return [
        SessionInfo(
            session_id=meta.session_id,
            created_at=meta.created_at,
            updated_at=meta.updated_at,
            title=meta.title,
            user_id=meta.user_id,
        )
        for meta in found
    ]


@router.get("/{session_id}", responses={404: {"model": ErrorResponse}})
async def get_session(session_id: SessionId) -> SessionHistory:
    """The history of one session (404 when nothing is stored under the id)."""
    validate_session_id(session_id)
    async with AgentSession(session_id) as session:
        items = await session.get_items()
        if not items and await session.load_metadata() is None:
            raise ApiError(404, "session_not_found", f"No session {session_id!r} is stored.")
    history: list[dict[str, Any]] = [dict(item) for item in items]
    return SessionHistory(session_id=session_id, items=history)


@router.delete("/{session_id}", status_code=204)
async def clear_session(session_id: SessionId) -> Response:
    """Forget a session's history."""
    validate_session_id(session_id)
    async with AgentSession(session_id) as session:
        await session.clear_session()
    return Response(status_code=204)
