"""Cleanup that ends before its caller does, even when the caller is cancelled.

A cancelled task gets CancelledError at its current await, and under anyio (Starlette, an SSE
response whose client went away) at every await after it too. Cleanup awaited directly (or
through a bare `asyncio.shield`) is then abandoned half-way: it goes on alone while the caller
closes what the cleanup still uses. These helpers run the cleanup in a task of its own, wait for
it to its end however often the caller is cancelled meanwhile, and then let the cancellation go
on (CancelledError is raised again).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


async def run_to_end(work: Awaitable[T]) -> T:
    """Await `work` to its end; if the caller was cancelled meanwhile, raise CancelledError then.

    When the caller was cancelled, an exception of `work` is chained to that CancelledError
    (the cancellation wins: the caller asked to stop).
    """
    task = asyncio.ensure_future(work)
    cancellation: asyncio.CancelledError | None = None
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError as caught:
            # The caller's cancellation: wait on, and raise it afterwards.
            cancellation = cancellation or caught
    if cancellation is not None:
        error = None if task.cancelled() else task.exception()
        raise cancellation from error
    return task.result()


async def cancel_and_wait(task: asyncio.Future[Any]) -> None:
    """Cancel `task` and wait until it has ended (its own cleanup included).

    Its result or exception is retrieved and dropped; CancelledError is raised afterwards if
    the caller was cancelled meanwhile.
    """
    task.cancel()
    await run_to_end(asyncio.gather(task, return_exceptions=True))


def runs_to_end(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Decorate an async function so that each call runs to its end (see `run_to_end`).

    For short store operations whose half-done state would outlive a cancelled caller: a
    transaction left open, a connection never given back, a thread still writing.
    """

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return await run_to_end(method(*args, **kwargs))

    return call
