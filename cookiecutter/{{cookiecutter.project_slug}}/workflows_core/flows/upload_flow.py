"""Atomic flow: upload records into a dataset (fetch -> check -> save)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from workflows_core import datasets
from workflows_core.tasks.dataset_tasks import fetch_records_task, save_dataset_task


@flow(name="Upload Dataset", log_prints=True)
async def upload_flow(
    data_id: str, records: list[dict[str, Any]] | None = None, source: str | None = None
) -> dict[str, Any]:
    """Store records as the raw stage of dataset `data_id`.

    The records come from `records`, else from the inbox file of `source` (a data id, never a
    path: ``<DATA_DIR>/workflows/inbox/<source>.json``), else from the inbox file of `data_id`.

    Returns:
        ``{"success": True, "data_id", "records": n, "path"}`` (path relative to DATA_DIR).
    """
    datasets.validate_data_id(data_id)
    if records is not None and source is not None:
        raise ValueError("Pass either records or source, not both.")
    if records is None:
        records = fetch_records_task(datasets.validate_data_id(source or data_id))
    records = datasets.check_records(records)
    path = save_dataset_task(data_id, "raw", records)
    print(f"uploaded {len(records)} records to {path}")
    return {"success": True, "data_id": data_id, "records": len(records), "path": path}
