"""A run's stream, started while the request is answered and read by its streaming response.

A door that streams must learn whether the run was refused (a limit, a bad argument) before
it sends a status, so it awaits the first event in the route; the rest is read by the response
body, in another task. The run service's stream keeps context variables across its events
(the run's token count), which must be set and reset in one context: so one task of its own
reads the whole stream and hands the events over.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from agents_core.runs import RunRequest, RunService
from agents_core.services.streaming import StreamEvent
from agents_core.utils.tasks import cancel_and_wait

_END = None


async def start_stream(
    service: RunService, run: RunRequest
) -> tuple[StreamEvent, AsyncGenerator[StreamEvent, None]]:
    """The run's first event (what refuses the run is raised here) and all its events from the
    first; closing the generator cancels the run."""
    queue: asyncio.Queue[StreamEvent | Exception | None] = asyncio.Queue()

    async def pump() -> None:
        try:
            async with contextlib.aclosing(service.stream(run)) as events:
                async for event in events:
                    queue.put_nowait(event)
        except Exception as error:  # handed to the reader, which raises it
            queue.put_nowait(error)
        else:
            queue.put_nowait(_END)

    task = asyncio.ensure_future(pump())
    first = await queue.get()
    if first is None or isinstance(first, Exception):
        await cancel_and_wait(task)
        raise first or RuntimeError("The run ended without an event.")

    async def events() -> AsyncGenerator[StreamEvent, None]:
        try:
            yield first
            while (item := await queue.get()) is not _END:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            await cancel_and_wait(task)

    return first, events()
