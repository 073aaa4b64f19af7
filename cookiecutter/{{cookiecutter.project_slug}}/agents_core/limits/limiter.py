"""Limits per principal: runs per minute and model tokens per UTC day, shared by every process.

`admit()` runs before a run (or the decision that resumes one) calls any model: it counts one
request in the principal's current minute and refuses with `LimitExceeded` when the minute's
count passes RATE_LIMIT_PER_MINUTE, or when the tokens counted today (UTC) have reached
TOKEN_BUDGET_PER_DAY. `record_tokens()` adds a finished run's model tokens (input + output, as
the model reported them). Both limits are empty (unlimited) by default; usage is counted anyway,
so `usage_of()` (and the API's `GET /usage`) shows it.

The windows are fixed: a calendar minute and a UTC day. A burst may pass up to twice the
per-minute limit across a minute boundary, and a run that starts under the token budget
finishes even when it passes it: the budget refuses the next run, not the running one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from agents_core.config import get_settings
from agents_core.exceptions import LimitExceeded
from agents_core.limits.usage_store import DAY_KEEP_SECONDS, MINUTE_KEEP_SECONDS, open_usage_store
from agents_core.principals import Principal


def minute_window(now: float) -> str:
    """The request counter's window of the minute holding `now` (epoch seconds)."""
    return f"m:{int(now // 60)}"


def day_window(now: float) -> str:
    """The token counter's window of the UTC day holding `now`."""
    return f"d:{datetime.fromtimestamp(now, UTC).date().isoformat()}"


def minute_reset(now: float) -> float:
    """When the minute holding `now` ends (epoch seconds)."""
    return (int(now // 60) + 1) * 60.0


def day_reset(now: float) -> float:
    """When the UTC day holding `now` ends: the next midnight UTC (epoch seconds)."""
    day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (day + timedelta(days=1)).timestamp()


def _seconds_until(moment: float, now: float) -> int:
    return max(1, math.ceil(moment - now))


@dataclass(frozen=True)
class Usage:
    """One principal's usage now, its limits (None: unlimited) and when its windows end."""

    principal_id: str
    requests_this_minute: int
    request_limit: int | None
    requests_reset_at: float
    """Epoch seconds: the start of the next minute."""
    tokens_today: int
    token_budget: int | None
    tokens_reset_at: float
    """Epoch seconds: the next midnight UTC."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the reset times as ISO 8601 UTC."""

        def iso(moment: float) -> str:
            return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")

        return {
            "principal": self.principal_id,
            "requests": {
                "used": self.requests_this_minute,
                "limit": self.request_limit,
                "window": "minute",
                "resets_at": iso(self.requests_reset_at),
            },
            "tokens": {
                "used": self.tokens_today,
                "limit": self.token_budget,
                "window": "day (UTC)",
                "resets_at": iso(self.tokens_reset_at),
            },
        }


async def admit(principal: Principal, *, now: float | None = None) -> None:
    """Count one request of `principal`; raise `LimitExceeded` if it is over a limit.

    Refused requests count too: a client that keeps retrying within the minute stays refused.
    """
    now = time.time() if now is None else now
    settings = get_settings()
    store = open_usage_store()
    try:
        requests = await store.add(principal.id, minute_window(now), 1, MINUTE_KEEP_SECONDS)
        limit = settings.rate_limit_per_minute
        if limit and requests > limit:
            retry = _seconds_until(minute_reset(now), now)
            raise LimitExceeded("requests", principal.id, limit, requests, retry)
        budget = settings.token_budget_per_day
        if budget:
            (tokens,) = await store.read(principal.id, [day_window(now)])
            if tokens >= budget:
                retry = _seconds_until(day_reset(now), now)
                raise LimitExceeded("tokens", principal.id, budget, tokens, retry)
    finally:
        await store.aclose()


async def record_tokens(principal: Principal, tokens: int, *, now: float | None = None) -> int:
    """Add `tokens` to `principal`'s count of today (UTC); returns the day's total."""
    now = time.time() if now is None else now
    if tokens < 0:
        raise ValueError(f"tokens must be >= 0, got {tokens}")
    store = open_usage_store()
    try:
        if tokens == 0:
            (total,) = await store.read(principal.id, [day_window(now)])
            return total
        return await store.add(principal.id, day_window(now), tokens, DAY_KEEP_SECONDS)
    finally:
        await store.aclose()


async def usage_of(principal: Principal, *, now: float | None = None) -> Usage:
    """`principal`'s usage in the current minute and UTC day, with its limits."""
    now = time.time() if now is None else now
    settings = get_settings()
    store = open_usage_store()
    try:
        requests, tokens = await store.read(principal.id, [minute_window(now), day_window(now)])
    finally:
        await store.aclose()
    return Usage(
        principal_id=principal.id,
        requests_this_minute=requests,
        request_limit=settings.rate_limit_per_minute or None,
        requests_reset_at=minute_reset(now),
        tokens_today=tokens,
        token_budget=settings.token_budget_per_day or None,
        tokens_reset_at=day_reset(now),
    )
