"""The `context` of a run request: checked here, then passed as the orchestrator's `context_data`.

A client may set the JSON-typed fields of the orchestrator's `context_class` (for `AgentContext`:
`filters` and `schema`). Fields the run fills itself, in-process objects and the framework's own
scratch space (`metadata`) are not settable over HTTP. A subclass of `AgentContext` with its own
typed fields (a `tenant: str`, a `region: Literal[...]`) accepts them with no change here.
"""

from __future__ import annotations

import dataclasses
import json
import typing
import weakref
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic.errors import PydanticSchemaGenerationError

from agents_core.models.context import AgentContext
from api.errors import ApiError, validation_details

# Set by the run, holding in-process objects, or read by the framework's services.
NOT_SETTABLE = frozenset(
    {
        "user_query",
        "session_id",
        "query_results",
        "discovered_items",
        "agent_outputs",
        "database_connector",
        "metadata",
        "principal",  # who the run is for comes from authentication, never from the body
    }
)


_settable: weakref.WeakKeyDictionary[type[AgentContext], dict[str, TypeAdapter[Any]]] = (
    weakref.WeakKeyDictionary()
)


def settable_fields(context_class: type[AgentContext]) -> dict[str, TypeAdapter[Any]]:
    """The fields of `context_class` a request may set, each with the validator of its type."""
    if context_class not in _settable:
        _settable[context_class] = _find_settable(context_class)
    return _settable[context_class]


def _find_settable(context_class: type[AgentContext]) -> dict[str, TypeAdapter[Any]]:
    try:
        hints = typing.get_type_hints(context_class)
    except (NameError, TypeError):  # annotations that only resolve for type checkers
        hints = {}
    fields: dict[str, TypeAdapter[Any]] = {}
    for field in dataclasses.fields(context_class):
        hint = hints.get(field.name, Any)
        if field.name in NOT_SETTABLE or not field.init or hint is Any:
            continue
        try:
            fields[field.name] = TypeAdapter(hint)
        except PydanticSchemaGenerationError:  # not a JSON type: an in-process object
            continue
    return fields


def context_data(
    context_class: type[AgentContext], given: dict[str, Any] | None, max_chars: int
) -> dict[str, Any]:
    """`given` checked against `context_class`: 413 when too large, 422 naming what is allowed."""
    if not given:
        return {}
    size = len(json.dumps(given, ensure_ascii=False))
    if size > max_chars:
        raise ApiError(
            413,
            "context_too_large",
            f"The context has {size} characters as JSON; the limit is {max_chars} "
            "(MAX_CONTEXT_CHARS).",
            {"limit": max_chars, "size": size},
        )
    fields = settable_fields(context_class)
    allowed = sorted(fields)
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise ApiError(
            422,
            "invalid_context",
            f"Unknown context field(s) {', '.join(map(repr, unknown))}; a request may set: "
            f"{', '.join(allowed) or 'nothing'}.",
            {"unknown": unknown, "allowed": allowed},
        )
    data: dict[str, Any] = {}
    for name, value in given.items():
        try:
            data[name] = fields[name].validate_python(value)
        except ValidationError as error:
            details = validation_details(error.errors())
            raise ApiError(
                422,
                "invalid_context",
                f"Context field {name!r} has the wrong type.",
                {"field": name, "allowed": allowed, **details},
            ) from error
    return data
