"""Atomic flow: fan out N agent runs at once and collect their results in order."""

from __future__ import annotations

import asyncio
from typing import Any, Final

from prefect import flow

from workflows_core.tasks.agent_tasks import run_agent_analysis_task

MAX_QUERIES: Final = 1_000
MAX_CONCURRENCY: Final = 100


# Fan-out in an async flow is `asyncio.gather` over the async task: every run is its own task run
# (own state, retries, logs) on the flow's event loop. `task.submit()` / `task.map()` are the
# fan-out of *sync* flows: their futures have no async result, and `.result()` inside an async
# flow would block the very loop the agent runs need. In a sync flow you would write
#     futures = run_agent_analysis_task.map(queries, agent=unmapped(agent))
#     results = [future.result() for future in futures]
# (`from prefect import unmapped`); it runs them on the task runner's threads instead.
@flow(name="Parallel Agent Analysis", log_prints=True)
async def parallel_agent_analysis_flow(
    queries: list[str], agent: str | None = None, max_concurrency: int = 10
) -> dict[str, Any]:
    """Run one agent (or the router) on each query, at most `max_concurrency` at a time.

    Each query gets its own session. A failed run fails the flow, naming that run's error.

    Args:
        queries: The queries, 1 to `MAX_QUERIES`.
        agent: Name of a registered agent; empty routes each query by intent.
        max_concurrency: Most agent runs in flight at once, 1 to `MAX_CONCURRENCY` (a hosted
            model's rate limit is the usual bound).

    Returns:
        ``{"success": True, "count": N, "results": [analysis, ...]}`` in the order of `queries`.
    """
    if not 1 <= len(queries) <= MAX_QUERIES:
        raise ValueError(f"queries must hold 1 to {MAX_QUERIES} queries, got {len(queries)}.")
    if not 1 <= max_concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"max_concurrency must be 1 to {MAX_CONCURRENCY}, got {max_concurrency}.")
    slots = asyncio.Semaphore(max_concurrency)

    async def one(query: str) -> dict[str, Any]:
        async with slots:
            return await run_agent_analysis_task(query, agent=agent)

    results = await asyncio.gather(*(one(query) for query in queries))
    print(f"{len(results)} agent runs completed")
    return {"success": True, "count": len(results), "results": list(results)}
