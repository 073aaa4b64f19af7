"""Atomic flow: process a dataset (load raw -> summarize -> save processed)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from workflows_core.tasks.dataset_tasks import (
    load_records_task,
    save_dataset_task,
    summarize_records_task,
)


@flow(name="Process Dataset", log_prints=True)
async def process_flow(data_id: str) -> dict[str, Any]:
    """Summarize the raw records of dataset `data_id` (per-field statistics) and save them.

    Returns:
        ``{"success": True, "data_id", "records": n, "summary", "path"}``.
    """
    records = load_records_task(data_id)
    summary = summarize_records_task(records)
    path = save_dataset_task(data_id, "processed", summary)
    print(f"processed {summary['records']} records of {data_id!r}")
    return {
        "success": True,
        "data_id": data_id,
        "records": summary["records"],
        "summary": summary,
        "path": path,
    }
