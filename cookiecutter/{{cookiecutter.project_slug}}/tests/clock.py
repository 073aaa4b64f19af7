"""Tests of per-minute limits on the real clock: a count that a new minute reset proves nothing."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from agents_core.limits.limiter import minute_window


async def within_one_minute(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run `scenario` (which makes its own principals) once more if it failed while the
    calendar minute turned. A scenario takes seconds, so the second attempt runs inside one
    minute: no test waits for the clock, and none passes or fails by where the minute fell."""
    for attempt in range(2):
        minute = minute_window(time.time())
        try:
            await scenario()
        except BaseException:
            if attempt or minute_window(time.time()) == minute:
                raise
            continue
        return
