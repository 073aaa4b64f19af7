"""Atomic flow: one agent run, as a Prefect flow run (retries, logs, state, schedulable)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from workflows_core.tasks.agent_tasks import run_agent_analysis_task


@flow(name="Agent Analysis", log_prints=True)
async def agent_analysis_flow(
    query: str,
    agent: str | None = None,
    data: dict[str, Any] | None = None,
    session_id: str | None = None,
) -> dict[str, Any]:
    """Ask one agent (or the intent router, when `agent` is empty) and return its answer.

    Args:
        query: The question or instruction.
        agent: Name of a registered agent; empty routes the query by intent.
        data: Optional JSON data for the agent to analyze (appended to the query).
        session_id: Continue this conversation; empty starts a new one.

    Returns:
        ``{"success": True, "analysis": {"agent", "intent", "output", "text", "session_id"}}``.
    """
    analysis = await run_agent_analysis_task(query, agent=agent, data=data, session_id=session_id)
    return {"success": True, "analysis": analysis}
