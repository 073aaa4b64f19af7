"""Datasets of the data workflows: JSON records under ``<DATA_DIR>/workflows/``, and their summary.

Plain functions (no Prefect): the tasks in `workflows_core.tasks.dataset_tasks` are thin wrappers
around them. No flow parameter names a path: flows take data ids, and every file they read or
write is resolved under ``<DATA_DIR>/workflows`` (`resolve_inside` refuses anything that would land
outside, symbolic links included). Messages and results show paths relative to DATA_DIR, never the
server's absolute paths. Layout, with `data_id` a short name such as ``orders-2025``::

    <DATA_DIR>/workflows/inbox/<data_id>.json         files waiting to be uploaded
    <DATA_DIR>/workflows/datasets/<data_id>/raw.json  records as uploaded (a JSON list of objects)
    .../datasets/<data_id>/processed.json             their summary
    .../datasets/<data_id>/insights.json              an agent's analysis of the summary
    <DATA_DIR>/workflows/reports/<name>.json          reports of other flows
"""

from __future__ import annotations

import json
import math
import os
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Final, Literal, get_args

from agents_core.config import get_settings

Stage = Literal["raw", "processed", "insights"]

MAX_RECORDS: Final = 100_000
MAX_FILE_BYTES: Final = 50_000_000
TOP_VALUES: Final = 5
_DATA_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class DatasetError(ValueError):
    """A dataset is missing or its content is not a list of JSON objects."""


def workflows_dir() -> Path:
    """``<DATA_DIR>/workflows``, with the settings read now."""
    return get_settings().data_dir / "workflows"


def validate_data_id(data_id: str) -> str:
    """`data_id` if it is a safe file name, else a `DatasetError` saying what is allowed."""
    if not isinstance(data_id, str) or not _DATA_ID.fullmatch(data_id) or ".." in data_id:
        text = str(data_id)
        shown = text if len(text) <= 40 else text[:40] + "…"  # never echo a long input whole
        raise DatasetError(
            f"Invalid data id {shown!r}: use 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, no '..' (e.g. 'orders-2025')."
        )
    return data_id


def resolve_inside(*parts: str) -> Path:
    """``<DATA_DIR>/workflows/<parts...>``, refused if it resolves outside (e.g. via a symlink)."""
    base = workflows_dir().resolve()
    path = base.joinpath(*parts).resolve()
    if not path.is_relative_to(base):
        raise DatasetError(f"{'/'.join(parts)} leads outside the project's workflow data.")
    return path


def shown_path(path: Path) -> str:
    """`path` as messages and results show it: relative to DATA_DIR, never absolute."""
    data_dir = get_settings().data_dir.resolve()
    try:
        return path.resolve().relative_to(data_dir).as_posix()
    except ValueError:
        return path.name


def inbox_path(data_id: str) -> Path:
    """``<DATA_DIR>/workflows/inbox/<data_id>.json``: where `upload` reads a dataset's file."""
    return resolve_inside("inbox", f"{validate_data_id(data_id)}.json")


def dataset_path(data_id: str, stage: Stage) -> Path:
    if stage not in get_args(Stage):
        raise DatasetError(f"Unknown stage {stage!r}; stages are: {', '.join(get_args(Stage))}.")
    return resolve_inside("datasets", validate_data_id(data_id), f"{stage}.json")


def report_path(name: str) -> Path:
    return resolve_inside("reports", f"{validate_data_id(name)}.json")


def check_records(records: Any, origin: str = "records") -> list[dict[str, Any]]:
    """`records` if it is a list of JSON objects (at most `MAX_RECORDS`), else `DatasetError`."""
    if not isinstance(records, list) or not all(isinstance(item, dict) for item in records):
        raise DatasetError(f"{origin} must be a JSON list of objects, e.g. [{{'amount': 3}}].")
    if len(records) > MAX_RECORDS:
        raise DatasetError(f"{origin} has {len(records)} records; the limit is {MAX_RECORDS}.")
    return records


def read_json(path: Path) -> Any:
    """The JSON document at `path`, with errors that name the file (relative to DATA_DIR)."""
    shown = shown_path(path)
    try:
        if not path.is_file():
            raise DatasetError(f"No file {shown} under DATA_DIR.")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DatasetError(f"{shown} is larger than {MAX_FILE_BYTES} bytes.")
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"No file {shown} under DATA_DIR.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DatasetError(f"{shown} is not valid JSON: {error}.") from None
    except OSError as error:
        raise DatasetError(f"{shown} cannot be read ({type(error).__name__}).") from None


def read_records(path: Path) -> list[dict[str, Any]]:
    return check_records(read_json(path), shown_path(path))


def write_json(path: Path, payload: Any) -> Path:
    """Write `payload` as JSON; readers never see a half-written file (write, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_text(
            json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def load_stage(data_id: str, stage: Stage) -> Any:
    """A dataset's stage, or a `DatasetError` that says which flow produces it."""
    path = dataset_path(data_id, stage)
    if not path.is_file():
        producer = {"raw": "upload", "processed": "process", "insights": "analyze"}[stage]
        raise DatasetError(
            f"Dataset {data_id!r} has no {stage} data ({shown_path(path)}); run the {producer} "
            "step first "
            "(e.g. trigger_source='upload')."
        )
    return read_json(path)


def summarize_records(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per field: count, and for numbers total/min/max/mean, for other values the most common.

    Returns:
        ``{"records": n, "fields": {name: {...}}}``, JSON-serializable.
    """
    names: list[str] = []
    for record in records:
        names.extend(key for key in record if key not in names)
    fields: dict[str, Any] = {}
    for name in names:
        values = [record[name] for record in records if record.get(name) is not None]
        numbers = [
            float(v)
            for v in values
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        ]
        if values and len(numbers) == len(values):
            fields[name] = {
                "type": "number",
                "count": len(numbers),
                "total": round(sum(numbers), 6),
                "min": min(numbers),
                "max": max(numbers),
                "mean": round(sum(numbers) / len(numbers), 6),
            }
        else:
            counts = Counter(json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values)
            fields[name] = {
                "type": "text",
                "count": len(values),
                "distinct": len(counts),
                "top": [
                    {"value": json.loads(value), "count": count}
                    for value, count in counts.most_common(TOP_VALUES)
                ],
            }
    return {"records": len(records), "fields": fields}
