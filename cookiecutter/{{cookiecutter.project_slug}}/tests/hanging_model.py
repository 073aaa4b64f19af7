"""A model that answers like the offline model until one call, which waits until it is cancelled.

For cancellation tests: the run is inside that model call (its session held) once `entered` is
set, and `cancelled` tells that the cancellation reached it. Both are threading events, so a test
can wait on them while the run goes on in another thread (the API tests' uvicorn server).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

from agents import ModelResponse

from agents_core import OfflineModel

GIVE_UP_SECONDS = 60.0
"""How long a test waits for the model's events before failing (a bound, not a pause)."""


class HangingModel(OfflineModel):
    """The offline model, except that call number `hang_at` (from 1) never answers."""

    def __init__(self, hang_at: int = 1) -> None:
        super().__init__()
        self.hang_at = hang_at
        self.started = 0
        self.entered = threading.Event()
        self.cancelled = threading.Event()

    async def _maybe_hang(self) -> None:
        self.started += 1
        if self.started != self.hang_at:
            return
        self.entered.set()
        try:
            await asyncio.Event().wait()  # set by nobody: only a cancellation ends it
        except asyncio.CancelledError:
            self.cancelled.set()
            raise

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        await self._maybe_hang()
        return await super().get_response(*args, **kwargs)

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        await self._maybe_hang()
        async for event in super().stream_response(*args, **kwargs):
            yield event

    async def wait_entered(self) -> None:
        """Until the hanging call has started (AssertionError after GIVE_UP_SECONDS)."""
        entered = await asyncio.to_thread(self.entered.wait, GIVE_UP_SECONDS)
        assert entered, "the model was never called"

    async def wait_cancelled(self) -> None:
        """Until the hanging call was cancelled (AssertionError after GIVE_UP_SECONDS)."""
        cancelled = await asyncio.to_thread(self.cancelled.wait, GIVE_UP_SECONDS)
        assert cancelled, "the run was not cancelled"
