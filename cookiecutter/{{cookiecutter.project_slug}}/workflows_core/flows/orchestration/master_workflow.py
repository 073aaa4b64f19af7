"""Master flow: route one dataset through upload -> process -> analyze by its trigger source."""

from __future__ import annotations

from typing import Any, Final, Literal, get_args

from prefect import flow

from workflows_core.flows.analyze_flow import analyze_flow
from workflows_core.flows.process_flow import process_flow
from workflows_core.flows.upload_flow import upload_flow

TriggerSource = Literal["upload", "api", "scheduled"]
TRIGGER_SOURCES: Final[tuple[str, ...]] = get_args(TriggerSource)
"""upload: upload -> process -> analyze; api: process -> analyze; scheduled: analyze only."""


class UnknownTriggerSourceError(ValueError):
    """`trigger_source` is not one of `TRIGGER_SOURCES`."""


@flow(name="Master Data Orchestration", log_prints=True)
async def orchestrate_data_workflow(
    data_id: str,
    trigger_source: TriggerSource = "api",
    records: list[dict[str, Any]] | None = None,
    source: str | None = None,
    agent: str | None = None,
) -> dict[str, Any]:
    """Master orchestrator routing to the atomic flows (each one a subflow run).

    Args:
        data_id: The dataset.
        trigger_source: Controls the execution path:
            - "upload": Upload -> Process -> Analyze
            - "api": Process -> Analyze (skip upload)
            - "scheduled": Analyze only
        records: With "upload": the records to upload (else the inbox file of `source`, else
            the inbox file of `data_id`).
        source: With "upload": a data id, not a path: reads
            ``<DATA_DIR>/workflows/inbox/<source>.json``.
        agent: The agent that analyzes; empty routes by intent.

    Returns:
        ``{"success": True, "trigger_source", "steps": [...], "results": {step: result}}``.
    """
    # Prefect checks the Literal before the run; this covers direct calls of `.fn`.
    if trigger_source not in TRIGGER_SOURCES:
        raise UnknownTriggerSourceError(
            f"Unknown trigger_source {trigger_source!r}; allowed: {', '.join(TRIGGER_SOURCES)}."
        )
    if trigger_source != "upload" and (records is not None or source is not None):
        raise ValueError("records and source are only used with trigger_source='upload'.")
    results: dict[str, Any] = {}

    # Conditional routing
    if trigger_source == "upload":
        results["upload"] = await upload_flow(data_id, records=records, source=source)

    if trigger_source in ("upload", "api"):
        results["process"] = await process_flow(data_id)

    # Always analyze
    results["analyze"] = await analyze_flow(data_id, agent=agent)

    return {
        "success": True,
        "trigger_source": trigger_source,
        "steps": list(results),
        "results": results,
    }
