"""Atomic flow: an agent analyzes a processed dataset (load -> agent -> save insights)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from workflows_core.tasks.agent_tasks import run_agent_analysis_task
from workflows_core.tasks.dataset_tasks import load_summary_task, save_dataset_task

ANALYSIS_QUERY = "Analyze this dataset summary and report the main findings."


@flow(name="Analyze Dataset", log_prints=True)
async def analyze_flow(
    data_id: str, agent: str | None = None, query: str = ANALYSIS_QUERY
) -> dict[str, Any]:
    """Give the processed summary of dataset `data_id` to an agent and save its analysis.

    Args:
        data_id: The dataset (processed by `process_flow` before).
        agent: Name of a registered agent; empty routes the query by intent.
        query: What to ask about the summary.

    Returns:
        ``{"success": True, "data_id", "analysis": {...}, "path"}``.
    """
    summary = load_summary_task(data_id)
    analysis = await run_agent_analysis_task(query, agent=agent, data=summary)
    path = save_dataset_task(data_id, "insights", analysis)
    return {"success": True, "data_id": data_id, "analysis": analysis, "path": path}
