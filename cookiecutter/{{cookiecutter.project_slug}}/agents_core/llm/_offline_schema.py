"""How the offline model fills a structured output (router, planner, your output types).

A value valid for the JSON schema, filled from the conversation where a field's name says
how: answer fields get the answer, choice fields (`category`, `intent`...) pick one of the
options the instructions list, the router's way (`_offline_routing`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from agents_core.llm._offline_answers import compose_answer
from agents_core.llm._offline_routing import choose_category
from agents_core.llm._offline_turn import Turn, words

_ANSWER_FIELDS = frozenset(
    {"answer", "response", "summary", "text", "content", "message", "result", "reply", "final"}
)
_REASON_FIELDS = frozenset({"reasoning", "rationale", "explanation", "reason", "justification"})
_CHOICE_FIELDS = frozenset({"category", "intent", "agent", "route", "target", "label", "kind"})
_FALLBACK_CHOICES = ("general", "other", "default", "none", "unknown")
_OPTION_LINE = re.compile(r"^\s*[-*]\s*`?([A-Za-z0-9_.-]+)`?\s*[:—-]\s*(.+)$")


def resolve_options(prop: Mapping[str, Any], root: Mapping[str, Any]) -> list[Any]:
    prop = deref(prop, root)
    if "enum" in prop:
        return list(prop["enum"])
    if "const" in prop:
        return [prop["const"]]
    for key in ("anyOf", "oneOf", "allOf"):
        for variant in prop.get(key, []):
            options = resolve_options(variant, root)
            if options:
                return options
    return []


def deref(prop: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
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


def schema_type(prop: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    for key in ("anyOf", "oneOf"):
        for variant in prop.get(key, []):
            resolved = deref(variant, root)
            variant_kind = schema_type(resolved, root)
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


def pick_option(
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
    prop = deref(prop, root)
    described = instruction_options(turn.instructions)
    options = resolve_options(prop, root)
    if options:
        return pick_option(options, turn.topic_text, described)
    kind = schema_type(prop, root)
    lowered = name.lower()
    if kind == "object":
        properties: Mapping[str, Any] = prop.get("properties", {})
        if not properties and "anyOf" in prop:
            for variant in prop["anyOf"]:
                resolved = deref(variant, root)
                if schema_type(resolved, root) == "object":
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
            return choose_category(
                described, turn, lambda text: pick_option(list(described), text, described)
            )
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
