"""Which session an OpenAI-style request continues, for clients that send the whole history.

Chat front ends (Open WebUI, LibreChat, most `openai` scripts) are stateless: every request
carries the conversation so far. The session already holds it, so it is not stored again:
after each turn the index remembers, per principal, a hash of the conversation as the client
now holds it (its messages and our answer) -> the session id. The next request whose earlier
messages hash to a known key continues that session with its last user message only; an unknown
history (another process answered the last turn, the index forgot it, the client edited a
message) starts a new session, seeded once with the earlier messages.

The index lives in this process (bounded, the oldest forgotten first); `X-Session-Id` names a
session explicitly and works across processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection

from agents_core.exceptions import SessionNotFound
from agents_core.principals import Principal
from agents_core.session.agent_session import AgentSession, delete_session, read_session

MAX_CONVERSATIONS = 10_000
"""Conversations the index remembers per process; beyond, the least recently used go."""


@dataclass(frozen=True)
class Message:
    """One message of a conversation as the client holds it: its role and its text."""

    role: str
    text: str

    def item(self) -> dict[str, Any]:
        """The session item of the message (an input message the Agents SDK reads back)."""
        return {"role": self.role, "content": self.text}


def conversation_key(principal: Principal, messages: Sequence[Message]) -> str:
    """The index key of `messages` for `principal` (a hash: no text is kept in memory)."""
    data = [principal.id, [[message.role, message.text] for message in messages]]
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


class ConversationIndex:
    """Conversation hash -> session id, the least recently used forgotten past `size`."""

    def __init__(self, size: int = MAX_CONVERSATIONS) -> None:
        self.size = size
        self._sessions: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        session_id = self._sessions.get(key)
        if session_id is not None:
            self._sessions.move_to_end(key)
        return session_id

    def remember(self, key: str, session_id: str) -> None:
        self._sessions[key] = session_id
        self._sessions.move_to_end(key)
        while len(self._sessions) > self.size:
            self._sessions.popitem(last=False)


def conversation_index(connection: HTTPConnection) -> ConversationIndex:
    """The app's index (one per app)."""
    state = connection.app.state
    index: ConversationIndex | None = getattr(state, "openai_conversations", None)
    if index is None:
        index = state.openai_conversations = ConversationIndex()
    return index


async def seed_session(session_id: str, messages: Sequence[Message], principal: Principal) -> None:
    """Store the messages a client already holds in `principal`'s session before its next run
    (SessionNotFound when the session is another principal's)."""
    async with AgentSession(session_id) as session:
        await session.authorize(principal)
        await session.add_items([message.item() for message in messages])  # type: ignore[misc]


async def require_session(session_id: str, principal: Principal) -> None:
    """SessionNotFound unless `session_id` is stored and `principal` may use it."""
    await read_session(session_id, principal=principal)


async def discard_session(session_id: str, principal: Principal) -> None:
    """Delete a session this request created (after a failed run, or `store: false`)."""
    with contextlib.suppress(SessionNotFound):
        await delete_session(session_id, principal=principal)
