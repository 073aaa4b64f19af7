"""Tasks of the data workflows: fetch, process and save datasets (`workflows_core.datasets`)."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NONE as NO_CACHE

from workflows_core import datasets
from workflows_core.datasets import Stage


# Tasks that read or write files never cache: the files change between runs.
@task(name="Fetch Records", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def fetch_records_task(source: str) -> list[dict[str, Any]]:
    """Read the inbox file of data id `source` (a list of objects). Retried: it may be arriving.

    `source` is a data id, never a path: the file is ``<DATA_DIR>/workflows/inbox/<source>.json``.
    """
    return datasets.read_records(datasets.inbox_path(source))


@task(name="Load Records", cache_policy=NO_CACHE)
def load_records_task(data_id: str) -> list[dict[str, Any]]:
    """The raw records of a dataset, as uploaded."""
    return datasets.check_records(datasets.load_stage(data_id, "raw"), f"dataset {data_id!r}")


@task(name="Load Summary", cache_policy=NO_CACHE)
def load_summary_task(data_id: str) -> dict[str, Any]:
    """The processed summary of a dataset."""
    summary = datasets.load_stage(data_id, "processed")
    if not isinstance(summary, dict):
        raise datasets.DatasetError(f"The processed data of {data_id!r} is not a JSON object.")
    return summary


@task(name="Summarize Records")
def summarize_records_task(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-field statistics of the records (a pure function: default caching is fine)."""
    return datasets.summarize_records(records)


@task(name="Save Dataset", cache_policy=NO_CACHE)
def save_dataset_task(data_id: str, stage: Stage, payload: Any) -> str:
    """Write one stage of a dataset; returns the file's path relative to DATA_DIR."""
    return datasets.shown_path(datasets.write_json(datasets.dataset_path(data_id, stage), payload))


@task(name="Save Report", cache_policy=NO_CACHE)
def save_report_task(name: str, payload: Any) -> str:
    """Write a report to ``<DATA_DIR>/workflows/reports/<name>.json``; returns its path relative
    to DATA_DIR."""
    return datasets.shown_path(datasets.write_json(datasets.report_path(name), payload))
