"""`AgentSession`: the conversation history of one session id, on an SDK storage backend."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

from agents.items import TResponseInputItem
from agents.memory import SessionABC, SessionSettings

from agents_core.config import get_settings
from agents_core.exceptions import InvalidSessionIdError, SessionNotFound
from agents_core.principals import LOCAL, LOCAL_PRINCIPAL_ID, Principal
from agents_core.session._store import AppendingStore, MemoryStore, SessionMetadata, SessionStore
from agents_core.session.backends import open_store
from agents_core.session.turn import SessionTurn
from agents_core.utils.messages import assistant_message, item_role, item_text, item_type, to_text
from agents_core.utils.tasks import run_to_end

if TYPE_CHECKING:
    from agents_core.core.runner import AgentRunner

SUMMARY_PREFIX = "Summary of the earlier conversation:"

SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

TITLE_CHARS = 80
"""A session's title is the start of its first message, cut to this many characters."""


def title_of(message: str) -> str:
    """The title of a conversation that starts with `message`: its words on one line, cut."""
    words = " ".join(message.split())
    return words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rstrip() + "…"


def validate_session_id(session_id: str) -> str:
    """Return `session_id` if it is 1-128 letters, digits, '.', '_', ':' or '-'; else raise."""
    # fullmatch: `$` alone would let a trailing newline through.
    if not isinstance(session_id, str) or not SESSION_ID_PATTERN.fullmatch(session_id):
        text = str(session_id)
        shown = text if len(text) <= 40 else text[:40] + "…"  # never echo a long input whole
        raise InvalidSessionIdError(
            f"Invalid session id {shown!r}: use 1 to 128 letters, digits, '.', '_', ':' "
            "or '-', starting with a letter or digit."
        )
    return session_id


class AgentSession(SessionABC):
    """Conversation history for the Agents SDK, bounded and cleaned.

    Pass it to `Runner.run(..., session=...)` or to the orchestrator. Storage is the SDK's own
    session for `SESSION_URL` (SQLite file under the data dir by default, Redis or PostgreSQL).
    On top of it: `max_items` trims what is stored (at a user-message boundary, so tool calls
    keep their outputs), `needs_summarization()` and `summarize()` compact a long history,
    structured outputs are stored as readable text so the next agent is not fed raw JSON, and
    metadata (created, updated, title, user id) is stored with the session and listable
    (`list_sessions()`). Close it with `await session.aclose()` (or `async with`).

    `turn()` runs one turn under the session's lock (across processes) and stores it whole or
    not at all; the orchestrator runs every turn that way.

    `owner` is the id of the principal the session is created for; it is stored by the first
    write and never changes. `authorize(principal)` raises SessionNotFound when the stored
    session belongs to another principal (role admin may use every session).
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
        title: str | None = None,
        user_id: str | None = None,
        owner: str | None = None,
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
        if title is not None:
            self.metadata["title"] = title
        if user_id is not None:
            self.metadata["user_id"] = validate_session_id(user_id)
        if owner is not None:
            self.metadata["owner"] = owner
        self._authorized: str | None = None
        """Id of the principal found allowed on the stored session (ownership never changes)."""
        self.clean_structured_outputs = clean_structured_outputs
        if backend is not None:
            self._store: SessionStore = MemoryStore(backend, self.session_id)
            self._backend = backend
        else:
            store = open_store(self.session_id, url or settings.resolved_session_url)
            self._store = store
            self._backend = cast(SessionABC, store)
        self._count: int | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> AgentSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

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
            self.metadata["updated_at"] = time.time()
            if isinstance(self._store, AppendingStore):
                # Items, metadata and the count in one transaction.
                self._count = await self._store.append(items, self._metadata_record())
                if self._count > self.max_items:
                    await self._trim_locked()
                return
            if self._count is None:
                self._count = await self._store.count()
            await self._backend.add_items(items)
            self._count += len(items)
            if self._count > self.max_items:
                await self._trim_locked()
            await self._store.save_metadata(self._metadata_record())

    @contextlib.asynccontextmanager
    async def turn(
        self,
        query: str | None = None,
        *,
        wait_seconds: float | None = None,
        principal: Principal | None = None,
    ) -> AsyncIterator[SessionTurn]:
        """Hold the session for one turn; store the turn when the block ends without error.

        Turns on one session id wait for each other in arrival order, across processes (the
        store's own lock). After `wait_seconds` (SESSION_LOCK_TIMEOUT_SECONDS by default)
        of waiting it raises SessionBusyError. `query` becomes the turn's user message.
        With `principal`, the session's owner is checked under the lock (`authorize`): of two
        principals creating one new session id at once, the second gets SessionNotFound.
        """
        wait = get_settings().session_lock_timeout_seconds if wait_seconds is None else wait_seconds
        if wait <= 0:
            raise ValueError(f"wait_seconds must be positive, got {wait}")
        async with self._store.lock(wait):
            if principal is not None and self._authorized != principal.id:
                await self.authorize(principal)
            history = await self.get_items()
            if not history and query and "title" not in self.metadata:
                self.metadata["title"] = title_of(query)  # a conversation's first message
            readable = _readable if self.clean_structured_outputs else None
            turn = SessionTurn(self.session_id, history, query, readable=readable)
            yield turn
            await self.add_items(turn.to_store())

    async def _trim_locked(self) -> None:
        """Delete the oldest items in storage so at most `max_items` stay, from a user message."""
        newest = await self._backend.get_items(self.max_items)
        keep = len(_trim(newest, self.max_items))
        await self._store.trim(keep)
        self._count = keep

    async def pop_item(self) -> TResponseInputItem | None:
        item = await self._backend.pop_item()
        if item is not None and self._count:
            self._count -= 1
        return item

    async def clear_session(self) -> None:
        await self._backend.clear_session()
        self._count = 0

    async def delete(self) -> None:
        """Forget the session: its items and its metadata (it leaves `list_sessions()`)."""
        await self.clear_session()
        await self._store.delete_metadata()

    def needs_summarization(self) -> bool:
        """True when the history has reached `summarize_after` items (as of the last access)."""
        return (self._count or 0) >= self.summarize_after

    async def count_items(self) -> int:
        """Items stored (read from the backend)."""
        async with self._lock:
            self._count = await self._store.count()
            return self._count

    async def summarize(
        self, *, runner: AgentRunner | None = None, agent: str = "session_summarizer"
    ) -> str | None:
        """Replace the history before the last user message with one summary message.

        The summary is written by `agent` (the registered `session_summarizer` by default) from
        a transcript of the old items; the newest turn is kept as it is. Returns the summary,
        or None when there was nothing old enough to summarize.
        """
        from agents_core.core.runner import AgentRunner

        async with self._lock:
            items = await self._backend.get_items()
            start = max((i for i, item in enumerate(items) if item_role(item) == "user"), default=0)
            old, recent = items[:start], items[start:]
            if len(old) == 1 and item_text(old[0]).startswith(SUMMARY_PREFIX):
                return None  # already summarized up to the newest turn
            transcript = "\n".join(
                f"{item_role(item) or item_type(item)}: {text}"
                for item in old
                if (text := item_text(item).strip())
            )
            if not transcript:
                return None
            result = await (runner or AgentRunner()).run(agent, transcript)
            summary = to_text(result.final_output).strip()
            summary_item = assistant_message(f"{SUMMARY_PREFIX}\n{summary}")
            await self._store.replace([summary_item, *recent])
            self._count = 1 + len(recent)
            self.metadata["updated_at"] = time.time()
            self.metadata["summarized_at"] = self.metadata["updated_at"]
            await self._store.save_metadata(self._metadata_record())
            return summary

    async def authorize(self, principal: Principal) -> SessionMetadata | None:
        """Raise SessionNotFound unless `principal` may use this session; its stored metadata.

        A session with nothing stored is new: it becomes `principal`'s at its first write
        (unless an `owner` was given). Items stored without metadata (written by the SDK
        directly) and metadata without an owner belong to `local`.
        """
        stored = await self._store.load_metadata()
        if stored is None:
            if await self._store.count() == 0:
                self.metadata.setdefault("owner", principal.id)
                return None
            owner = None
        else:
            owner = stored.owner
        if not principal.may_access(owner):
            raise SessionNotFound(self.session_id)
        self.metadata["owner"] = owner or LOCAL_PRINCIPAL_ID  # an admin's write keeps the owner
        self._authorized = principal.id
        return stored

    async def claim(self) -> None:
        """Store this session's metadata (its owner) now if nothing is stored yet.

        A first turn that pauses for an approval stores no item until it is resumed; claiming
        keeps the session its principal's meanwhile (another principal gets SessionNotFound).
        """
        if await self._store.load_metadata() is None:
            await self._store.save_metadata(self._metadata_record())

    async def exists(self) -> bool:
        """True when anything (items or metadata) is stored under this session id."""
        return await self._store.load_metadata() is not None or await self._store.count() > 0

    def _metadata_record(self) -> SessionMetadata:
        title = self.metadata.get("title")
        user_id = self.metadata.get("user_id")
        owner = self.metadata.get("owner")
        return SessionMetadata(
            session_id=self.session_id,
            created_at=float(self.metadata["created_at"]),
            updated_at=float(self.metadata.get("updated_at", self.metadata["created_at"])),
            title=None if title is None else str(title),
            user_id=None if user_id is None else str(user_id),
            owner=None if owner is None else str(owner),
        )

    async def load_metadata(self) -> SessionMetadata | None:
        """The stored metadata of this session (None before its first write)."""
        stored = await self._store.load_metadata()
        if stored is not None:
            self.metadata.update(
                {k: v for k, v in dataclasses.asdict(stored).items() if v is not None}
            )
            self.metadata.pop("session_id", None)
        return stored

    async def set_title(self, title: str) -> None:
        """Give the session a title (stored at once)."""
        self.metadata["title"] = title
        self.metadata.setdefault("updated_at", time.time())
        await self._store.save_metadata(self._metadata_record())

    async def aclose(self) -> None:
        """Release the backend's connections (the session's history stays stored).

        Runs to its end even if the caller is cancelled meanwhile (CancelledError afterwards).
        """
        await run_to_end(self._store.aclose())

    def close(self) -> None:
        """Close a SQLite backend synchronously; use `aclose()` for any backend."""
        close = getattr(self._backend, "close", None)
        if callable(close) and not inspect.iscoroutinefunction(close):
            close()


async def list_sessions(
    url: str | None = None,
    *,
    user_id: str | None = None,
    limit: int = 100,
    principal: Principal = LOCAL,
) -> list[SessionMetadata]:
    """Metadata of `principal`'s sessions stored at `url` (SESSION_URL by default), newest
    first; every principal's for role admin."""
    if user_id is not None:
        validate_session_id(user_id)
    if not 1 <= limit <= 10_000:
        raise ValueError(f"limit must be between 1 and 10000, got {limit}")
    owner = None if principal.is_admin else principal.id
    store = open_store("_list", url or get_settings().resolved_session_url)
    try:
        return await store.list_metadata(user_id=user_id, owner=owner, limit=limit)
    finally:
        await store.aclose()


async def read_session(
    session_id: str, *, principal: Principal = LOCAL, url: str | None = None
) -> list[TResponseInputItem]:
    """The stored history of a session of `principal`'s; SessionNotFound when nothing is
    stored under the id or it is another principal's (the two are not told apart)."""
    async with AgentSession(session_id, url=url) as session:
        if not await session.exists():
            raise SessionNotFound(session_id)
        await session.authorize(principal)
        return await session.get_items()


async def delete_session(
    session_id: str, *, principal: Principal = LOCAL, url: str | None = None
) -> None:
    """Delete a session of `principal`'s: its history and its metadata (it leaves
    `list_sessions()`, and its id is free again); SessionNotFound as `read_session`."""
    async with AgentSession(session_id, url=url) as session:
        if not await session.exists():
            raise SessionNotFound(session_id)
        await session.authorize(principal)
        await session.delete()


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
