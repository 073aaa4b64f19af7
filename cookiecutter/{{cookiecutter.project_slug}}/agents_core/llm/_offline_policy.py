"""How the offline model decides which tools to call, with which arguments, and fills outputs.

Deterministic and rule-based: it reads the latest user message (with the previous one for a
follow-up such as "and the lowest?"), the agent's instructions and the JSON schemas of its
tools and output type, the way a real model would read them, and picks by word overlap. What
it says is `_offline_answers`; what it reads of the conversation is `_offline_turn`. It is a
development and test model, not a language model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agents_core.llm._offline_answers import compose_answer
from agents_core.llm._offline_turn import Turn, read_turn, words

__all__ = [
    "ToolCallPlan",
    "ToolSpec",
    "Turn",
    "arguments_for",
    "choose_tools",
    "compose_answer",
    "fill_schema",
    "read_turn",
    "words",
]
_LOCATION_PARAMS = frozenset({"city", "location", "place", "town", "country", "region_name"})
_EXPRESSION_PARAMS = frozenset({"expression", "formula", "calculation", "math"})
_SQL_PARAMS = frozenset({"sql", "query", "statement", "sql_query"})
_ANSWER_FIELDS = frozenset(
    {"answer", "response", "summary", "text", "content", "message", "result", "reply", "final"}
)
_REASON_FIELDS = frozenset({"reasoning", "rationale", "explanation", "reason", "justification"})
_CHOICE_FIELDS = frozenset({"category", "intent", "agent", "route", "target", "label", "kind"})
_FALLBACK_CHOICES = ("general", "other", "default", "none", "unknown")
_OPTION_LINE = re.compile(r"^\s*[-*]\s*`?([A-Za-z0-9_.-]+)`?\s*[:—-]\s*(.+)$")
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
        values.extend(str(v) for v in _resolve_options(prop, schema))
    return values


def _resolve_options(prop: Mapping[str, Any], root: Mapping[str, Any]) -> list[Any]:
    prop = _deref(prop, root)
    if "enum" in prop:
        return list(prop["enum"])
    if "const" in prop:
        return [prop["const"]]
    for key in ("anyOf", "oneOf", "allOf"):
        for variant in prop.get(key, []):
            options = _resolve_options(variant, root)
            if options:
                return options
    return []


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
    for index, (name, prop) in enumerate(properties.items()):
        arguments[name] = _argument(name, prop, schema, turn, index)
    return arguments


def _argument(
    name: str, prop: Mapping[str, Any], root: Mapping[str, Any], turn: Turn, index: int = 0
) -> Any:
    prop = _deref(prop, root)
    options = _resolve_options(prop, root)
    if options:
        return _pick_option(options, turn.topic_text, {}, prop.get("default"))
    kind = _schema_type(prop, root)
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
        if "default" in prop and prop["default"] is not None:
            return prop["default"]
        low, high = prop.get("minimum"), prop.get("maximum")
        for match in _NUMBER.finditer(text):
            value: float = float(match.group(0))
            if (low is None or value >= low) and (high is None or value <= high):
                return int(value) if kind == "integer" else value
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


# --- structured outputs -------------------------------------------------------------------


def _deref(prop: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while "$ref" in prop and seen < 20:
        path = str(prop["$ref"]).lstrip("#/").split("/")
        target: Any = root
        for part in path:
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        extra = {k: v for k, v in prop.items() if k != "$ref"}
        prop = {**target, **extra}
        seen += 1
    return prop


def _schema_type(prop: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    for key in ("anyOf", "oneOf"):
        for variant in prop.get(key, []):
            resolved = _deref(variant, root)
            variant_kind = _schema_type(resolved, root)
            if variant_kind != "null":
                return variant_kind
    if "properties" in prop:
        return "object"
    return "string"


def instruction_options(instructions: str) -> dict[str, str]:
    """Bullet lists in the instructions (`- name: description`) are the options a model picks."""
    options: dict[str, str] = {}
    for line in instructions.splitlines():
        match = _OPTION_LINE.match(line)
        if match:
            options.setdefault(match.group(1), match.group(2))
    return options


def _pick_option(
    options: Sequence[Any], user_text: str, descriptions: Mapping[str, str], default: Any = None
) -> Any:
    query_words = words(user_text)
    lowered = user_text.lower()

    def score(option: Any) -> int:
        label = str(option)
        exact = 10 if re.search(rf"\b{re.escape(label.lower())}s?\b", lowered) else 0
        label_words = words(label.replace("_", " "))
        return (
            exact
            + 3 * len(query_words & label_words)
            + len(query_words & words(descriptions.get(label, "")))
        )

    best = max(options, key=score)
    if score(best) > 0:
        return best
    if default is not None and default in options:
        return default
    for fallback in _FALLBACK_CHOICES:
        for option in options:
            if str(option).lower() == fallback or str(option).lower().startswith(fallback):
                return option
    return options[0]


def fill_schema(
    prop: Mapping[str, Any], root: Mapping[str, Any], turn: Turn, name: str = ""
) -> Any:
    """A value valid for `prop`, filled from the conversation where the field name says how."""
    prop = _deref(prop, root)
    described = instruction_options(turn.instructions)
    options = _resolve_options(prop, root)
    if options:
        return _pick_option(options, turn.topic_text, described)
    kind = _schema_type(prop, root)
    lowered = name.lower()
    if kind == "object":
        properties: Mapping[str, Any] = prop.get("properties", {})
        if not properties and "anyOf" in prop:
            for variant in prop["anyOf"]:
                resolved = _deref(variant, root)
                if _schema_type(resolved, root) == "object":
                    return fill_schema(resolved, root, turn, name)
        return {key: fill_schema(sub, root, turn, key) for key, sub in properties.items()}
    if kind == "array":
        items = prop.get("items", {})
        if lowered in ("sources", "tools", "tools_used", "references"):
            return [tool for tool, _ in turn.tool_results] or ["conversation"]
        count = max(int(prop.get("minItems", 1)), 1)
        return [fill_schema(items, root, turn, name.rstrip("s")) for _ in range(count)]
    if kind == "string":
        if lowered in _CHOICE_FIELDS and described:
            return _pick_option(list(described), turn.topic_text, described)
        if lowered in _REASON_FIELDS:
            matched = sorted(words(turn.user_text))[:8]
            return "Offline model: matched on " + (", ".join(matched) or "no keywords") + "."
        if lowered in _ANSWER_FIELDS:
            return compose_answer(turn)
        if prop.get("format") == "date-time":
            return "1970-01-01T00:00:00Z"
        return turn.user_text or "n/a"
    if kind == "number":
        if lowered in ("confidence", "score", "probability"):
            return _bounded(0.9 if words(turn.user_text) else 0.5, prop)
        return _bounded(0.0, prop)
    if kind == "integer":
        return int(_bounded(0, prop))
    if kind == "boolean":
        return False
    return None


def _bounded(value: float, prop: Mapping[str, Any]) -> float:
    low, high = prop.get("minimum"), prop.get("maximum")
    if low is not None:
        value = max(value, float(low))
    if high is not None:
        value = min(value, float(high))
    return value
