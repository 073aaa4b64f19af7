"""Conversation history on the SDK's session backends."""

from agents_core.session.agent_session import AgentSession, validate_session_id
from agents_core.session.backends import open_backend

__all__ = ["AgentSession", "open_backend", "validate_session_id"]
