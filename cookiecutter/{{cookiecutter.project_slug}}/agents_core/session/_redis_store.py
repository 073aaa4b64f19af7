"""The SDK's RedisSession plus trimming (LTRIM), replacement and metadata hashes."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from agents.extensions.memory.redis_session import RedisSession
from agents.items import TResponseInputItem
from agents.memory.session import _await_mutation

from agents_core.session._lock import ticket_lock
from agents_core.session._store import SessionMetadata, decode_item

_APPEND_SCRIPT = """
for i = 1, 3 do
    local kind = redis.call('TYPE', KEYS[i]).ok
    if kind ~= 'none' and kind ~= (i == 2 and 'list' or 'hash') then
        return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' holds a ' .. kind)
    end
end
redis.call('HSET', KEYS[1], 'session_id', ARGV[1])
redis.call('HSETNX', KEYS[1], 'created_at', ARGV[2])
local count = redis.call('RPUSH', KEYS[2], unpack(ARGV, 9))
redis.call('HSET', KEYS[1], 'updated_at', ARGV[2])
redis.call('HSETNX', KEYS[3], 'created_at', ARGV[3])
redis.call('HSET', KEYS[3], 'updated_at', ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], 'title', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[3], 'user_id', ARGV[7]) end
if ARGV[8] ~= '' then redis.call('HSETNX', KEYS[3], 'owner', ARGV[8]) end
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return count
"""
"""Atomic append (Redis runs a script whole, all or nothing after its type checks): the SDK's
own writes of `add_items` (session hash, message list), our metadata hash and the index, and
the new length, in one round trip."""
_IDLE_SECONDS = 86_400
"""A session's turn queue keys expire after a day without a new turn."""


class RedisStore(RedisSession):
    """`RedisSession` with the `SessionStore` operations.

    Keys follow the SDK's layout (`<prefix>:<session id>:messages`); the session id is validated
    before it reaches a key. Metadata lives in `<prefix>:<session id>:meta` (a hash) and the
    index of sessions in the sorted set `<prefix>:index` (score: updated_at). The turn lock is
    a ticket queue: the sorted set `<prefix>:<session id>:turns` (member: owner, score: ticket
    from the counter `...:turns:next`) and one lease key per owner, `...:turns:<owner>`, with
    a TTL; a queue head whose lease key is gone is dropped.
    """

    def __init__(self, session_id: str, *, redis_client: Any, **kwargs: Any) -> None:
        super().__init__(session_id, redis_client=redis_client, **kwargs)
        self._meta_key = f"{self._session_key}:meta"
        self._index_key = f"{self._key_prefix}:index"
        self._turns_key = f"{self._session_key}:turns"
        self._append_script = redis_client.register_script(_APPEND_SCRIPT)  # EVALSHA, cached

    @classmethod
    def owning(cls, session_id: str, client: Any) -> RedisStore:
        """A store that closes `client` when it is closed (as `RedisSession.from_url` does)."""
        store = cls(session_id, redis_client=client)
        store._owns_client = True
        return store

    async def _deserialize_item(self, item: str) -> TResponseInputItem:
        return decode_item(item, self.session_id)

    async def count(self) -> int:
        return int(await self._redis.llen(self._messages_key))

    async def trim(self, keep: int) -> None:
        if keep <= 0:
            await self._redis.delete(self._messages_key)
        else:
            await self._redis.ltrim(self._messages_key, -keep, -1)

    async def replace(self, items: list[TResponseInputItem]) -> None:
        # One MULTI/EXEC transaction: readers see all old or all new items.
        serialized = [await self._serialize_item(item) for item in items]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._messages_key)
            if serialized:
                pipe.rpush(self._messages_key, *serialized)
            await pipe.execute()

    async def save_metadata(self, metadata: SessionMetadata) -> None:
        values: dict[Any, Any] = {"updated_at": repr(metadata.updated_at)}
        if metadata.title is not None:
            values["title"] = metadata.title
        if metadata.user_id is not None:
            values["user_id"] = metadata.user_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self._meta_key, "created_at", repr(metadata.created_at))
            if metadata.owner is not None:  # the first owner stays
                pipe.hsetnx(self._meta_key, "owner", metadata.owner)
            pipe.hset(self._meta_key, mapping=values)
            pipe.zadd(self._index_key, {self.session_id: metadata.updated_at})
            await pipe.execute()

    async def append(self, items: list[TResponseInputItem], metadata: SessionMetadata) -> int:
        """Items, metadata and the new count in one atomic script (one round trip)."""
        self._check_not_closed()
        serialized = [await self._serialize_item(item) for item in items]
        title = metadata.title
        args = [
            self.session_id,
            str(int(time.time())),  # the SDK's own created_at / updated_at (whole seconds)
            repr(metadata.created_at),
            repr(metadata.updated_at),
            "" if title is None else "1",
            title or "",
            metadata.user_id or "",
            metadata.owner or "",
            *serialized,
        ]
        keys = [self._session_key, self._messages_key, self._meta_key, self._index_key]

        async def write() -> int:
            async with self._lock:  # the SDK's per-object lock, as its add_items
                self._check_not_closed()
                return int(await self._append_script(keys=keys, args=args))

        return int(await _await_mutation(write()))

    async def load_metadata(self) -> SessionMetadata | None:
        raw = await self._redis.hgetall(self._meta_key)
        return _metadata(self.session_id, raw)

    async def delete_metadata(self) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._meta_key)
            pipe.zrem(self._index_key, self.session_id)
            await pipe.execute()

    async def list_metadata(
        self, *, user_id: str | None = None, owner: str | None = None, limit: int = 100
    ) -> list[SessionMetadata]:
        ids = [_text(i) for i in await self._redis.zrevrange(self._index_key, 0, -1)]
        found: list[SessionMetadata] = []
        async with self._redis.pipeline(transaction=False) as pipe:
            for session_id in ids:
                pipe.hgetall(f"{self._key_prefix}:{session_id}:meta")
            hashes = await pipe.execute()
        for session_id, raw in zip(ids, hashes, strict=True):
            metadata = _metadata(session_id, raw)
            if (
                metadata
                and (user_id is None or metadata.user_id == user_id)
                and (owner is None or metadata.owned_by(owner))
            ):
                found.append(metadata)
                if len(found) >= limit:
                    break
        return found

    # -- the turn lock -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lock(self, wait: float) -> AsyncIterator[None]:
        async with ticket_lock(self, self.session_id, wait):
            yield

    async def take_ticket(self, owner: str, lease: float) -> tuple[int, bool]:
        counter = f"{self._turns_key}:next"
        ticket = int(await self._redis.incr(counter))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{self._turns_key}:{owner}", ticket, px=int(lease * 1000))
            pipe.zadd(self._turns_key, {owner: ticket})
            # The queue and its counter of an idle session go away on their own.
            pipe.expire(counter, _IDLE_SECONDS)
            pipe.expire(self._turns_key, _IDLE_SECONDS)
            await pipe.execute()
        return ticket, await self.is_first(owner, ticket, lease)

    async def is_first(self, owner: str, ticket: int, lease: float) -> bool:
        await self.refresh_ticket(owner, ticket, lease)
        while True:
            head = await self._redis.zrange(self._turns_key, 0, 0)
            if not head:
                return False  # our own ticket was dropped as expired: keep waiting (and time out)
            first = _text(head[0])
            if first == owner:
                return True
            if await self._redis.exists(f"{self._turns_key}:{first}"):
                return False
            await self._redis.zrem(self._turns_key, first)  # its owner died: drop its ticket

    async def refresh_ticket(self, owner: str, ticket: int, lease: float) -> None:
        await self._redis.set(f"{self._turns_key}:{owner}", ticket, px=int(lease * 1000))

    async def drop_ticket(self, owner: str, ticket: int) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._turns_key, owner)
            pipe.delete(f"{self._turns_key}:{owner}")
            await pipe.execute()

    async def aclose(self) -> None:
        await self.close()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _metadata(session_id: str, raw: dict[Any, Any]) -> SessionMetadata | None:
    fields = {_text(k): _text(v) for k, v in raw.items()}
    if "created_at" not in fields:
        return None
    return SessionMetadata(
        session_id=session_id,
        created_at=float(fields["created_at"]),
        updated_at=float(fields.get("updated_at", fields["created_at"])),
        title=fields.get("title"),
        user_id=fields.get("user_id"),
        owner=fields.get("owner"),
    )
