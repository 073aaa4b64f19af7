"""Paused runs in Redis: a hash per run and a hash of its approvals, decided by Lua scripts."""

from __future__ import annotations

import json
import time
from typing import Any

from agents_core.approvals.store import StoredRun
from agents_core.utils.tasks import runs_to_end

PREFIX = "agents_core:approvals"
_KEEP_SECONDS = 86_400
"""Keys live a day past the expiry (so a replay meanwhile is refused as decided, not unknown)."""

# KEYS[1] approvals hash; ARGV: approval id, new value. Returns the old status or "unknown".
_DECIDE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 'unknown' end
local old = cjson.decode(raw)[1]
if old == 'pending' then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return old
"""
# KEYS[1] run hash; ARGV: old status, new status. 1 when changed.
_TRANSITION = """
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
if ARGV[2] == 'done' or ARGV[2] == 'expired' or ARGV[2] == 'cancelled' then
  redis.call('HSET', KEYS[1], 'payload', '')
end
return 1
"""


class RedisApprovalStore:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis_asyncio

        self._redis: Any = redis_asyncio.from_url(url)

    @staticmethod
    def _keys(run_id: str) -> tuple[str, str]:
        return f"{PREFIX}:{run_id}", f"{PREFIX}:{run_id}:decisions"

    @runs_to_end
    async def save(self, run: StoredRun) -> None:
        run_key, approvals_key = self._keys(run.run_id)
        ttl = max(1, int(run.expires_at - time.time()) + _KEEP_SECONDS)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(run_key)
            pipe.hset(
                run_key,
                mapping={
                    "session_id": run.session_id,
                    "payload": run.payload,
                    "digest": run.digest,
                    "expires_at": repr(run.expires_at),
                    "status": run.status,
                    **({"owner": run.owner} if run.owner is not None else {}),
                },
            )
            pipe.hset(
                approvals_key,
                mapping={aid: json.dumps(list(value)) for aid, value in run.approvals.items()},
            )
            pipe.expire(run_key, ttl)
            pipe.expire(approvals_key, ttl)
            await pipe.execute()

    @runs_to_end
    async def load(self, run_id: str) -> StoredRun | None:
        run_key, approvals_key = self._keys(run_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(run_key)
            pipe.hgetall(approvals_key)
            raw, decisions = await pipe.execute()
        if not raw:
            return None
        fields = {_text(k): _text(v) for k, v in raw.items()}
        values = {_text(k): json.loads(v) for k, v in decisions.items()}
        run = StoredRun(
            run_id=run_id,
            session_id=fields["session_id"],
            payload=fields.get("payload", ""),
            digest=fields["digest"],
            expires_at=float(fields["expires_at"]),
            status=fields["status"],
            owner=fields.get("owner"),
        )
        for aid, (status, reason) in values.items():
            run.approvals[aid] = (status, reason)
        return run

    @runs_to_end
    async def decide(self, run_id: str, approval_id: str, status: str, reason: str | None) -> str:
        _, approvals_key = self._keys(run_id)
        old = await self._redis.eval(
            _DECIDE, 1, approvals_key, approval_id, json.dumps([status, reason])
        )
        return _text(old)

    @runs_to_end
    async def transition(self, run_id: str, old: str, new: str) -> bool:
        run_key, _ = self._keys(run_id)
        return bool(await self._redis.eval(_TRANSITION, 1, run_key, old, new))

    @runs_to_end
    async def aclose(self) -> None:
        await self._redis.aclose()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
