"""Conversation histories: list, read, delete; each caller sees only its own (admin: all).

Another principal's session answers 404 as an unknown id does (agents_core decides).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from agents_core.principals import LOCAL_PRINCIPAL_ID
from agents_core.session.agent_session import (
    delete_session,
    list_sessions,
    read_session,
    validate_session_id,
)
from api.deps import PrincipalDep, require_principal
from api.limits import MAX_NAME_CHARS
from api.schemas import ErrorResponse, SessionHistory, SessionInfo

SessionId = Annotated[str, Path(max_length=MAX_NAME_CHARS)]

router = APIRouter(
    prefix="/sessions",
    tags=["sessions"],
    dependencies=[Depends(require_principal)],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)


@router.get("")
async def get_sessions(
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    user_id: Annotated[str | None, Query(max_length=MAX_NAME_CHARS)] = None,
) -> list[SessionInfo]:
    """The caller's stored sessions (every one for role admin), most recently updated first."""
    found = await list_sessions(user_id=user_id, limit=limit, principal=principal)
    return [
        SessionInfo(
            session_id=meta.session_id,
            created_at=meta.created_at,
            updated_at=meta.updated_at,
            title=meta.title,
            user_id=meta.user_id,
            owner=meta.owner or LOCAL_PRINCIPAL_ID,
        )
        for meta in found
    ]


@router.get("/{session_id}", responses={404: {"model": ErrorResponse}})
async def get_session(session_id: SessionId, principal: PrincipalDep) -> SessionHistory:
    """The history of one session (404 when nothing is stored under the id, or it is another
    principal's)."""
    validate_session_id(session_id)
    items = await read_session(session_id, principal=principal)
    history: list[dict[str, Any]] = [dict(item) for item in items]
    return SessionHistory(session_id=session_id, items=history)


@router.delete("/{session_id}", status_code=204, responses={404: {"model": ErrorResponse}})
async def clear_session(session_id: SessionId, principal: PrincipalDep) -> Response:
    """Delete a session: its history and its entry in the list (404 as `GET`)."""
    validate_session_id(session_id)
    await delete_session(session_id, principal=principal)
    return Response(status_code=204)
