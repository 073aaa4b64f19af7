"""Opening a run: what is checked before anything runs (input, ids, the session's owner)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agents_core.config import get_settings
from agents_core.principals import LOCAL, Principal
from agents_core.runs.state import OpenRun
from agents_core.services.safety import SafetyGuard
from agents_core.services.streaming import StreamingHelper
from agents_core.session.agent_session import AgentSession, validate_session_id

if TYPE_CHECKING:
    from agents_core.orchestrator import AgentOrchestrator


def validate_run_id(run_id: str) -> str:
    """A run id is 32 lowercase hex digits (it doubles as an OpenTelemetry trace id)."""
    if not isinstance(run_id, str) or len(run_id) != 32 or set(run_id) - set("0123456789abcdef"):
        raise ValueError(f"A run id is 32 lowercase hex digits, got {run_id!r}.")
    if run_id == "0" * 32:
        raise ValueError("A run id cannot be all zeros.")
    return run_id


def validate_query(query: str) -> str:
    """A non-empty string of at most MAX_INPUT_CHARS characters."""
    if not isinstance(query, str) or not query.strip():
        raise ValueError("The user query must be a non-empty string.")
    limit = get_settings().max_input_chars
    if len(query) > limit:
        raise ValueError(
            f"The user query has {len(query)} characters; the limit is {limit} (MAX_INPUT_CHARS)."
        )
    return query


def open_run(
    orchestrator: AgentOrchestrator,
    query: str,
    context_data: dict[str, Any] | None = None,
    *,
    session_id: str | None = None,
    run_id: str | None = None,
    principal: Principal = LOCAL,
    streaming: StreamingHelper | None = None,
) -> OpenRun:
    """The state of a new run of `orchestrator`; ValueError for a bad query or id."""
    validate_query(query)
    if session_id is not None:
        validate_session_id(session_id)
    state = OpenRun(
        query=query,
        session_id=session_id,
        guard=SafetyGuard(max_agent_runs=orchestrator.max_agent_runs),
        principal=principal,
        streaming=streaming,
        context_data=dict(context_data or {}),
    )
    if run_id is not None:
        state.run_id = validate_run_id(run_id)
    return state


async def authorize_run(orchestrator: AgentOrchestrator, state: OpenRun) -> None:
    """SessionNotFound, before anything runs, when the run's session is another's.

    The session is kept for `setup_session()`; its turn checks again under the lock (a new id
    taken by another principal meanwhile).
    """
    if state.session_id is None:
        return
    session = state.session(state.session_id, orchestrator.session_max_items)
    await session.authorize(state.principal)


async def authorize_session(session_id: str, principal: Principal = LOCAL) -> None:
    """SessionNotFound when `session_id` is stored and is not `principal`'s."""
    async with AgentSession(validate_session_id(session_id)) as session:
        await session.authorize(principal)
