"""Conversation history on the SDK's session backends (SQLite, Redis, PostgreSQL)."""

from agents_core.session._store import SessionMetadata, SessionStore
from agents_core.session.agent_session import (
    AgentSession,
    delete_session,
    list_sessions,
    read_session,
    validate_session_id,
)
from agents_core.session.backends import open_store, require_backend

__all__ = [
    "AgentSession",
    "SessionMetadata",
    "SessionStore",
    "delete_session",
    "list_sessions",
    "open_store",
    "read_session",
    "require_backend",
    "validate_session_id",
]
