"""What AgentSession needs from a storage backend beyond the SDK's four session methods."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from agents.items import TResponseInputItem
from agents.memory import SessionABC

from agents_core.principals import LOCAL_PRINCIPAL_ID
from agents_core.session._lock import local_lock

logger = logging.getLogger("agents_core.session")


@dataclass(frozen=True)
class SessionMetadata:
    """What is stored about a session besides its items (listable for an API)."""

    session_id: str
    created_at: float
    """Seconds since the epoch of the first write."""
    updated_at: float
    """Seconds since the epoch of the last write."""
    title: str | None = None
    user_id: str | None = None
    owner: str | None = None
    """Id of the principal that created the session (None: written before owners, `local`'s).

    Set by the first write and never changed afterwards."""

    def owned_by(self, owner: str | None) -> bool:
        """True when `owner` (a principal id) owns this session (None-owned ones are `local`'s)."""
        return (self.owner or LOCAL_PRINCIPAL_ID) == owner


@runtime_checkable
class SessionStore(Protocol):
    """Storage operations of one session id, each atomic where the backend allows."""

    async def count(self) -> int:
        """Items stored (undecodable ones included)."""

    async def trim(self, keep: int) -> None:
        """Delete every item but the newest `keep`, in one operation."""

    async def replace(self, items: list[TResponseInputItem]) -> None:
        """Replace the whole history with `items`."""

    async def save_metadata(self, metadata: SessionMetadata) -> None:
        """Upsert the metadata (created_at is kept from the first save)."""

    async def load_metadata(self) -> SessionMetadata | None: ...

    async def delete_metadata(self) -> None:
        """Forget the metadata: the session leaves `list_metadata`."""

    async def list_metadata(
        self, *, user_id: str | None = None, owner: str | None = None, limit: int = 100
    ) -> list[SessionMetadata]:
        """Metadata of every session in this store, most recently updated first.

        `owner` keeps the sessions of that principal id (those without an owner are `local`'s).
        """

    def lock(self, wait: float) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the session's turn lock (across processes where the store allows it).

        Waiters get it in arrival order; SessionBusyError after `wait` seconds of waiting.
        """

    async def aclose(self) -> None: ...


@runtime_checkable
class AppendingStore(Protocol):
    """A store that adds a turn's items and upserts the metadata in one transaction."""

    async def append(self, items: list[TResponseInputItem], metadata: SessionMetadata) -> int:
        """Add `items`, upsert `metadata` (as `save_metadata`); return the items now stored.

        All or nothing, and finished even if the caller is cancelled meanwhile.
        """


def decode_item(raw: str | bytes, session_id: str) -> TResponseInputItem:
    """json.loads, logging a warning (not failing) when a stored item cannot be decoded.

    Re-raises JSONDecodeError so that the SDK backends skip the item as they always do.
    """
    try:
        return json.loads(raw)  # type: ignore[no-any-return]
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError):
        logger.warning("Skipped an undecodable stored item in session %r: %.80r", session_id, raw)
        raise


class MemoryStore:
    """Fallback store for a custom SDK session: trims by rewriting; metadata in memory only."""

    def __init__(self, backend: SessionABC, session_id: str) -> None:
        self.backend = backend
        self.session_id = session_id
        self._metadata: SessionMetadata | None = None

    async def count(self) -> int:
        return len(await self.backend.get_items())

    async def trim(self, keep: int) -> None:
        items = await self.backend.get_items()
        await self.replace(items[len(items) - keep :] if keep else [])

    async def replace(self, items: list[TResponseInputItem]) -> None:
        await self.backend.clear_session()
        if items:
            await self.backend.add_items(items)

    async def save_metadata(self, metadata: SessionMetadata) -> None:
        created = self._metadata.created_at if self._metadata else metadata.created_at
        owner = self._metadata.owner if self._metadata else None
        self._metadata = SessionMetadata(
            metadata.session_id,
            created,
            metadata.updated_at,
            metadata.title,
            metadata.user_id,
            owner or metadata.owner,
        )

    async def load_metadata(self) -> SessionMetadata | None:
        return self._metadata

    async def delete_metadata(self) -> None:
        self._metadata = None

    async def list_metadata(
        self, *, user_id: str | None = None, owner: str | None = None, limit: int = 100
    ) -> list[SessionMetadata]:
        found = [self._metadata] if self._metadata else []
        return [
            m
            for m in found
            if (user_id is None or m.user_id == user_id) and (owner is None or m.owned_by(owner))
        ][:limit]

    @contextlib.asynccontextmanager
    async def lock(self, wait: float) -> AsyncIterator[None]:
        # A custom backend offers no lock of its own: this one holds within the process only.
        async with local_lock(self.session_id, self.session_id, wait):
            yield

    async def aclose(self) -> None:
        close = getattr(self.backend, "close", None)
        if callable(close):
            result = close()
            if hasattr(result, "__await__"):
                await result
