"""Which of an agent's own tools the offline model calls, and with which arguments.

For tools that `offline_rules.toml` does not describe (your own), it picks by word overlap
between the question and the tools' names, descriptions and JSON schemas, and fills each
parameter from its own part of the question. The tools the rules describe are understood in
`_offline_intents` instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agents_core.llm._offline_schema import (
    deref,
    fill_schema,
    pick_option,
    resolve_options,
    schema_type,
)
from agents_core.llm._offline_turn import Turn, words

_LOCATION_PARAMS = frozenset({"city", "location", "place", "town", "country", "region_name"})
_EXPRESSION_PARAMS = frozenset({"expression", "formula", "calculation", "math"})
_SQL_PARAMS = frozenset({"sql", "query", "statement", "sql_query"})
_LOCATION = re.compile(r"\b(?:in|for|at|of|about)\s+((?:[A-Z][\w'’.-]*)(?:\s+[A-Z][\w'’.-]*)*)")
_SQL = re.compile(r"\b((?:select|with)\b[^;]*;?)", re.IGNORECASE | re.DOTALL)
_ARITHMETIC = re.compile(r"[-+]?\(*\s*\d[\d\s.+\-*/%()^]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_QUOTED = re.compile(r"[\"“']([^\"”']{1,200})[\"”']")


@dataclass
class ToolSpec:
    """What the policy needs to know about one tool."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass
class ToolCallPlan:
    name: str
    arguments: dict[str, Any]


# --- tools -------------------------------------------------------------------------------


def _enum_values(schema: Mapping[str, Any]) -> list[str]:
    values: list[str] = []
    for prop in schema.get("properties", {}).values():
        values.extend(str(v) for v in resolve_options(prop, schema))
    return values


def tool_score(tool: ToolSpec, query_words: set[str], query_text: str) -> int:
    """How strongly the query asks for this tool: name words count triple."""
    if re.search(rf"\b{re.escape(tool.name.lower())}\b", query_text.lower()):
        return 100
    name_words = words(tool.name.replace("_", " "))
    other = words(tool.description) | words(" ".join(_enum_values(tool.parameters)))
    score = 3 * len(query_words & name_words) + len(query_words & (other - name_words))
    # A parameter whose value is plainly in the message (an expression, a SQL statement)
    # is as strong a hint as the tool's name.
    for name in tool.parameters.get("properties", {}):
        if _extract(name.lower(), query_text) is not None and name.lower() not in _LOCATION_PARAMS:
            score += 3
    return score


def choose_tools(turn: Turn, tools: Sequence[ToolSpec]) -> list[ToolCallPlan]:
    """The best-matching tool(s) for the user's message, or none when nothing fits well."""
    query_words = words(turn.topic_text)
    scored = [(tool_score(tool, query_words, turn.topic_text), tool) for tool in tools]
    best = max((score for score, _ in scored), default=0)
    if best < 2:
        return []
    return [
        ToolCallPlan(tool.name, arguments_for(tool.parameters, turn))
        for score, tool in scored
        if score == best
    ]


def arguments_for(schema: Mapping[str, Any], turn: Turn) -> dict[str, Any]:
    """Arguments valid for a tool's JSON schema, taken from the user's message where possible."""
    arguments: dict[str, Any] = {}
    properties: Mapping[str, Any] = schema.get("properties", {})
    # Each number of the message fills one numeric parameter, in order: get_sum(a, b) with
    # "add 3 and 4" is a=3, b=4, never a=3, b=3.
    numbers = [float(match.group(0)) for match in _NUMBER.finditer(turn.user_text)]
    for index, (name, prop) in enumerate(properties.items()):
        arguments[name] = _argument(name, prop, schema, turn, index, numbers)
    return arguments


def _argument(
    name: str,
    prop: Mapping[str, Any],
    root: Mapping[str, Any],
    turn: Turn,
    index: int = 0,
    numbers: list[float] | None = None,
) -> Any:
    prop = deref(prop, root)
    options = resolve_options(prop, root)
    if options:
        return pick_option(options, turn.topic_text, {}, prop.get("default"))
    kind = schema_type(prop, root)
    text = turn.user_text
    if kind == "string":
        lowered = name.lower()
        if "city" in str(prop.get("description", "")).lower():
            lowered = "city"
        extracted = _extract(lowered, text)
        if extracted is None and turn.is_follow_up:  # "and in Rome?" vs "what about tomorrow?"
            extracted = _extract(lowered, turn.previous_user_text)
        if extracted is not None:
            return extracted
        # Quoted values fill the string parameters in order ("titled 'a' with the text 'b'").
        quoted = _QUOTED.findall(text)
        return quoted[min(index, len(quoted) - 1)] if quoted else text
    if kind in ("integer", "number"):
        low, high = prop.get("minimum"), prop.get("maximum")
        unused = numbers if numbers is not None else []
        for position, value in enumerate(unused):
            if (low is None or value >= low) and (high is None or value <= high):
                del unused[position]  # taken: the next numeric parameter gets the next number
                return int(value) if kind == "integer" else value
        if "default" in prop and prop["default"] is not None:
            return prop["default"]
        return low if low is not None else 1
    return fill_schema(prop, root, turn, name)


def _extract(param: str, text: str) -> str | None:
    """The value of a well-known kind of parameter, when the message plainly contains it."""
    if param in _LOCATION_PARAMS:
        match = _LOCATION.search(text)
        if match:
            return match.group(1).rstrip("?.!,;:'’").removesuffix("'s")
    elif param in _EXPRESSION_PARAMS:
        candidates = [m.group(0).strip().rstrip("?.,") for m in _ARITHMETIC.finditer(text)]
        candidates = [c for c in candidates if any(op in c[1:] for op in "+-*/%^")]
        if candidates:
            return max(candidates, key=len)
    elif param in _SQL_PARAMS:
        match = _SQL.search(text.replace("`", ""))
        if match:
            return match.group(1).strip().rstrip("?").strip()
    return None


def extract_sql(text: str) -> str | None:
    """The SQL statement the message plainly contains ("run: SELECT ..."), or None."""
    return _extract("sql", text)
