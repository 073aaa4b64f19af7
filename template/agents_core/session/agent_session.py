"""`AgentSession`: the conversation history of one session id, on an SDK storage backend."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any, cast

from agents.items import TResponseInputItem
from agents.memory import SessionABC, SessionSettings

from agents_core.config import get_settings
from agents_core.exceptions import InvalidSessionIdError
from agents_core.session.backends import open_backend
from agents_core.utils.messages import item_role, item_text, to_text

SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def validate_session_id(session_id: str) -> str:
    """Return `session_id` if it is 1-128 letters, digits, '.', '_', ':' or '-'; else raise."""
    if not isinstance(session_id, str) or not SESSION_ID_PATTERN.match(session_id):
        raise InvalidSessionIdError(
            f"Invalid session id {session_id!r}: use 1 to 128 letters, digits, '.', '_', ':' "
            "or '-', starting with a letter or digit."
        )
    return session_id


class AgentSession(SessionABC):
    """Conversation history for the Agents SDK, bounded and cleaned.

    Pass it to `Runner.run(..., session=...)` or to the orchestrator. Storage is the SDK's own
    session for `SESSION_URL` (SQLite file under the data dir by default). On top of it:
    `max_items` trims what is stored (at a user-message boundary, so tool calls keep their
    outputs), `needs_summarization()` signals a long history, structured outputs are stored as
    readable text so the next agent is not fed raw JSON, and `metadata` travels with it.
    """

    def __init__(
        self,
        session_id: str | None = None,
        *,
        max_items: int | None = None,
        summarize_after: int | None = None,
        url: str | None = None,
        backend: SessionABC | None = None,
        metadata: dict[str, Any] | None = None,
        clean_structured_outputs: bool = True,
    ) -> None:
        settings = get_settings()
        self.session_id = validate_session_id(
            uuid.uuid4().hex if session_id is None else session_id
        )
        self.max_items = max_items if max_items is not None else settings.session_max_items
        if self.max_items < 2:
            raise ValueError(f"max_items must be at least 2, got {self.max_items}")
        self.summarize_after = summarize_after or max(1, int(self.max_items * 0.8))
        self.session_settings: SessionSettings | None = None
        self.metadata: dict[str, Any] = {"created_at": time.time(), **(metadata or {})}
        self.clean_structured_outputs = clean_structured_outputs
        self._backend = backend or open_backend(
            self.session_id, url or settings.resolved_session_url
        )
        self._count: int | None = None
        self._lock = asyncio.Lock()

    @property
    def backend(self) -> SessionABC:
        """The SDK session that stores the items."""
        return self._backend

    @property
    def item_count(self) -> int | None:
        """Items stored, as of the last read or write (None before the first one)."""
        return self._count

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        items = await self._backend.get_items(limit)
        if limit is None:
            self._count = len(items)
        return items

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        if not items:
            return
        if self.clean_structured_outputs:
            items = [_readable(item) for item in items]
        async with self._lock:
            if self._count is None:
                self._count = len(await self._backend.get_items())
            await self._backend.add_items(items)
            self.metadata["updated_at"] = time.time()
            self._count += len(items)
            if self._count > self.max_items:
                kept = _trim(await self._backend.get_items(), self.max_items)
                await self._backend.clear_session()
                await self._backend.add_items(kept)
                self._count = len(kept)

    async def pop_item(self) -> TResponseInputItem | None:
        item = await self._backend.pop_item()
        if item is not None and self._count:
            self._count -= 1
        return item

    async def clear_session(self) -> None:
        await self._backend.clear_session()
        self._count = 0

    def needs_summarization(self) -> bool:
        """True when the history has reached `summarize_after` items (as of the last access)."""
        return (self._count or 0) >= self.summarize_after

    async def count_items(self) -> int:
        return len(await self.get_items())

    def close(self) -> None:
        close = getattr(self._backend, "close", None)
        if callable(close):
            close()


def _trim(items: list[TResponseInputItem], max_items: int) -> list[TResponseInputItem]:
    """The newest `max_items` items, starting at a user message when there is one."""
    kept = items[-max_items:]
    for index, item in enumerate(kept):
        if item_role(item) == "user":
            return kept[index:]
    return kept


def _readable(item: TResponseInputItem) -> TResponseInputItem:
    """An assistant message holding a JSON object, rewritten as `key: value` lines."""
    if item_role(item) != "assistant":
        return item
    text = item_text(item).strip()
    if not (text.startswith("{") and text.endswith("}")):
        return item
    try:
        value = json.loads(text)
    except ValueError:
        return item
    if not isinstance(value, dict):
        return item
    readable = to_text(value.get("response", value) if len(value) == 1 else value)
    copy: dict[str, Any] = dict(cast(dict[str, Any], item))
    content = copy.get("content")
    if isinstance(content, list):
        copy["content"] = [
            {**part, "text": readable} if isinstance(part, dict) and "text" in part else part
            for part in content
        ]
    else:
        copy["content"] = readable
    return cast(TResponseInputItem, copy)
