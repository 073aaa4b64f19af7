"""Per-session turn locks: one turn at a time per session id, across processes, in arrival order.

Each store brings its own lock, built on the store's own means (a ticket table in the SQLite
file, a ticket queue in Redis, a PostgreSQL advisory lock). SQLite and Redis share the ticket
scheme below: a waiter takes the next ticket, the lowest live ticket holds the session, and a
ticket lives only while its owner refreshes its lease, so a process killed with -9 frees the
session once its lease runs out instead of wedging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Protocol

from agents_core.exceptions import SessionBusyError
from agents_core.utils.tasks import cancel_and_wait, run_to_end

logger = logging.getLogger("agents_core.session")

LEASE_SECONDS = 15.0
"""How long a ticket lives without a refresh (its owner refreshes it every third of that)."""

_FIRST_POLL, _MAX_POLL = 0.002, 0.05


class TicketQueue(Protocol):
    """What a store implements to get the ticket lock."""

    async def take_ticket(self, owner: str, lease: float) -> tuple[int, bool]:
        """Append a ticket for `owner` to the session's queue; return it and `is_first()`.

        One round trip where the store allows it: an uncontended turn starts at once.
        """

    async def is_first(self, owner: str, ticket: int, lease: float) -> bool:
        """Drop expired tickets, refresh this one; True when it is the oldest left."""

    async def refresh_ticket(self, owner: str, ticket: int, lease: float) -> None: ...

    async def drop_ticket(self, owner: str, ticket: int) -> None: ...


@contextlib.asynccontextmanager
async def ticket_lock(
    queue: TicketQueue, session_id: str, wait: float, lease: float | None = None
) -> AsyncIterator[None]:
    """Hold the session while the block runs; SessionBusyError after `wait` s of waiting."""
    lease = LEASE_SECONDS if lease is None else lease
    owner = uuid.uuid4().hex
    released = _release_event(session_id)  # taken before looking: no missed wake-up
    ticket, first = await _take_ticket(queue, owner, lease)
    try:
        start = time.monotonic()
        poll = _FIRST_POLL
        while not first:
            waited = time.monotonic() - start
            if waited >= wait:
                raise SessionBusyError(session_id, round(waited, 3))
            # Another process's release is seen by polling; this process's at once.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(released.wait(), min(poll, wait - waited))
            poll = min(poll * 1.5, _MAX_POLL)
            released = _release_event(session_id)
            first = await queue.is_first(owner, ticket, lease)
        heartbeat = asyncio.create_task(_keep_alive(queue, owner, ticket, lease))
        try:
            yield
        finally:
            await cancel_and_wait(heartbeat)
    finally:
        # To its end even when the turn is cancelled (then CancelledError goes on afterwards):
        # the session is given to the next turn before the caller can close the store.
        await run_to_end(_release(queue, session_id, owner, ticket))


async def _release(queue: TicketQueue, session_id: str, owner: str, ticket: int) -> None:
    try:
        await queue.drop_ticket(owner, ticket)
    finally:
        _release_event(session_id).set()
        _releases.pop(_loop_key(session_id), None)


async def _take_ticket(queue: TicketQueue, owner: str, lease: float) -> tuple[int, bool]:
    """`queue.take_ticket`; a ticket taken after the caller was cancelled is given back.

    Both run to their end before CancelledError goes on, so nothing is left running that
    still uses the store.
    """
    task = asyncio.ensure_future(queue.take_ticket(owner, lease))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        try:
            await run_to_end(_give_back(queue, owner, task))
        except Exception:
            logger.warning("Could not give back a cancelled turn's ticket", exc_info=True)
        raise


async def _give_back(
    queue: TicketQueue, owner: str, taking: asyncio.Future[tuple[int, bool]]
) -> None:
    try:
        ticket, _first = await taking
    except Exception:
        return  # no ticket was taken
    await queue.drop_ticket(owner, ticket)


_releases: dict[str, asyncio.Event] = {}


def _loop_key(session_id: str) -> str:
    return f"{id(asyncio.get_running_loop())}:{session_id}"


def _release_event(session_id: str) -> asyncio.Event:
    """Set when a turn of this process on `session_id` ends (then replaced by a new one)."""
    return _releases.setdefault(_loop_key(session_id), asyncio.Event())


async def _keep_alive(queue: TicketQueue, owner: str, ticket: int, lease: float) -> None:
    while True:
        await asyncio.sleep(lease / 3)
        await queue.refresh_ticket(owner, ticket, lease)


_local_locks: dict[str, asyncio.Lock] = {}


@contextlib.asynccontextmanager
async def local_lock(key: str, session_id: str, wait: float) -> AsyncIterator[None]:
    """An in-process lock (for custom SDK backends, whose storage offers none of its own)."""
    # asyncio locks belong to one event loop: one lock per loop and key.
    lock = _local_locks.setdefault(_loop_key(key), asyncio.Lock())
    start = time.monotonic()
    try:
        await asyncio.wait_for(lock.acquire(), wait)
    except TimeoutError:
        raise SessionBusyError(session_id, round(time.monotonic() - start, 3)) from None
    try:
        yield
    finally:
        lock.release()
