"""Build and read SDK input items (Responses format) without repeating dict shapes."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any, cast

from agents.items import TResponseInputItem


def user_message(text: str) -> TResponseInputItem:
    return cast(TResponseInputItem, {"role": "user", "content": text})


def assistant_message(text: str) -> TResponseInputItem:
    return cast(TResponseInputItem, {"role": "assistant", "content": text})


def system_message(text: str) -> TResponseInputItem:
    return cast(TResponseInputItem, {"role": "system", "content": text})


def _get(item: Any, key: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(key)
    return getattr(item, key, None)


def item_text(item: Any) -> str:
    """The text of a message item, whether its content is a string or a list of parts."""
    content = _get(item, "content")
    if isinstance(content, str):
        return content
    if isinstance(content, Iterable):
        parts = []
        for part in content:
            text = _get(part, "text")
            if isinstance(text, str):
                parts.append(text)
            elif isinstance(_get(part, "refusal"), str):
                parts.append(_get(part, "refusal"))
        return "".join(parts)
    return ""


def item_role(item: Any) -> str | None:
    role = _get(item, "role")
    return role if isinstance(role, str) else None


def item_type(item: Any) -> str:
    """`message`, `function_call`, `function_call_output`, ... (messages may omit `type`)."""
    kind = _get(item, "type")
    if isinstance(kind, str):
        return kind
    return "message" if item_role(item) else "unknown"


def last_user_text(run_input: str | Iterable[Any]) -> str:
    """The text of the latest user message of a run input."""
    if isinstance(run_input, str):
        return run_input
    for item in reversed(list(run_input)):
        if item_role(item) == "user":
            return item_text(item)
    return ""


def to_text(value: Any) -> str:
    """A readable text for any agent output: strings as is, models and dicts as `key: value`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, type):
        return value.__name__
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        value = dump(mode="json")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return "\n".join(f"{key}: {_compact(val)}" for key, val in value.items())
    return _compact(value)


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
