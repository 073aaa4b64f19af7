"""What the offline model says: short sentences built only from what its tools returned.

It never repeats its instructions, never passes on a tool's advice to the model ("say so
instead of guessing"), and never states a figure that no tool returned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agents.tool import DEFAULT_APPROVAL_REJECTION_MESSAGE

from agents_core.llm._offline_turn import Turn, words
from agents_core.utils.messages import to_text

_GREETINGS = frozenset(
    {"hello", "hi", "hey", "hiya", "howdy", "greetings", "morning", "afternoon", "evening"}
)
_LOW_WORDS = frozenset({"lowest", "least", "smallest", "fewest", "bottom", "worst", "minimum"})
_HIGH_WORDS = frozenset(
    {"highest", "most", "top", "best", "largest", "biggest", "maximum", "max", "leading"}
)
_MAX_ROWS = 10
# Sentences (or clauses after ';') that tell the model what to do, not what happened.
_ADVICE = re.compile(
    r"^(say|tell|ask|do not|don't|never|always|try|please|use|answer|explain|mention)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|;\s*")
_SHARE_KEYS = ("share_pct", "share", "percent", "pct")
_MAX_FIELDS = 6


def compose_answer(turn: Turn) -> str:
    """A plain-text answer built only from what the tools returned or other agents said."""
    if turn.tool_results:
        return "\n".join(describe_result(tool, result, turn) for tool, result in turn.tool_results)
    if turn.earlier_answers:
        return turn.earlier_answers[-1]
    if turn.attached_data is not None:
        return describe_data(turn.attached_data)
    if not turn.user_text or _is_greeting(turn.user_text):
        tools = ", ".join(_label(tool) for tool in turn.tools)
        offer = f" I can help with: {tools}." if tools else ""
        return f"Hello! How can I help?{offer}"
    tools = ", ".join(_label(tool) for tool in turn.tools) or "no tools"
    return (
        f"I can't answer that offline: none of my tools ({tools}) fits the question, and the "
        "offline model only answers through tools. Set OPENAI_API_KEY to use a real model."
    )


def describe_result(tool: str, result: Any, turn: Turn) -> str:
    """One or two sentences on one tool result."""
    if isinstance(result, str) and result.startswith(DEFAULT_APPROVAL_REJECTION_MESSAGE):
        reason = result.removeprefix(DEFAULT_APPROVAL_REJECTION_MESSAGE).strip()
        reason = reason.removeprefix("Reason:").strip()
        because = f" (reason: {facts(reason).rstrip('.')})" if reason else ""
        return f"I did not run the {_label(tool)} tool: the call was not approved{because}."
    if isinstance(result, Mapping):
        if result.get("error"):
            return (
                f"I could not get that from the {_label(tool)} tool: {facts(str(result['error']))}"
            )
        if "expression" in result and ("value" in result or "result" in result):
            value = result.get("value", result.get("result"))
            return f"{result['expression']} = {_number(value)}."
        rows = result.get("rows")
        columns = result.get("columns")
        if isinstance(rows, list) and isinstance(columns, list):  # a SQL result: name the values
            rows = [
                dict(zip(columns, row, strict=False)) if isinstance(row, list) else row
                for row in rows
            ]
            if not rows:
                return f"The {_label(tool)} tool returned no rows."
        if isinstance(rows, list) and rows and all(isinstance(row, Mapping) for row in rows):
            asked = words(turn.topic_text)
            lowest = bool(words(turn.user_text) & _LOW_WORDS)
            sentence = (
                _ranked(result, rows, lowest=lowest) if lowest or asked & _HIGH_WORDS else None
            )
            return sentence or _listing(tool, rows)
        if "temperature_c" in result:
            return _weather(result)
        if "temperature_max_c" in result:
            return _forecast(result)
        if isinstance(result.get("summary"), str):
            return facts(result["summary"])
        return f"The {_label(tool)} tool returned {_fields(result)}."
    if isinstance(result, list):
        shown = "; ".join(_fields(row) if isinstance(row, Mapping) else str(row) for row in result)
        return f"The {_label(tool)} tool returned {len(result)} items: {shown}."
    return f"The {_label(tool)} tool returned: {facts(to_text(result))}"


def facts(text: str) -> str:
    """The text without the sentences that advise the model ("say so instead of guessing")."""
    kept = [
        part.strip()
        for part in _SENTENCE_END.split(text.strip())
        if part.strip() and not _ADVICE.match(part.strip())
    ]
    joined = " ".join(part if part[-1] in ".!?" else part + "." for part in kept)
    return joined or "no details were given."


def _ranked(result: Mapping[str, Any], rows: list[Any], *, lowest: bool) -> str | None:
    """'North had the highest revenue: 373,041.00 (38.5% of the 969,538.00 total).'"""
    metric = result.get("metric") if isinstance(result.get("metric"), str) else None
    first: Mapping[str, Any] = rows[0]
    if metric not in first:
        metric = next((k for k, v in first.items() if _is_number(v) and k not in _SHARE_KEYS), None)
    label_key = next((k for k, v in first.items() if isinstance(v, str)), None)
    if metric is None or label_key is None:
        return None
    if lowest and result.get("truncated"):
        return f"The report lists only the top {len(rows)}, so it cannot say which is lowest."
    pick = min if lowest else max
    row = pick(rows, key=lambda r: float(r.get(metric, 0) if _is_number(r.get(metric)) else 0))
    word = "lowest" if lowest else "highest"
    sentence = f"{row[label_key]} had the {word} {metric.replace('_', ' ')}: {_number(row[metric])}"
    share = next((row[k] for k in _SHARE_KEYS if _is_number(row.get(k))), None)
    total = result.get("total")
    if share is not None and _is_number(total):
        sentence += f" ({_number(share)}% of the {_number(total)} total"
        groups = result.get("groups")
        dimension = result.get("dimension")
        if isinstance(groups, int) and isinstance(dimension, str):
            sentence += f" over {groups} {_plural(dimension, groups)}"
        sentence += ")"
    return sentence + "."


def _listing(tool: str, rows: list[Any]) -> str:
    shown = "; ".join(_fields(row) for row in rows[:_MAX_ROWS])
    more = f"; and {len(rows) - _MAX_ROWS} more" if len(rows) > _MAX_ROWS else ""
    return f"The {_label(tool)} tool returned {len(rows)} rows: {shown}{more}."


def _weather(result: Mapping[str, Any]) -> str:
    place = ", ".join(
        str(result[k]) for k in ("name", "city", "country") if result.get(k) and k in result
    )
    parts = [f"{_number(result['temperature_c'])} °C"]
    if result.get("conditions"):
        parts.append(str(result["conditions"]))
    extra = []
    if _is_number(result.get("humidity_pct")):
        extra.append(f"humidity {_number(result['humidity_pct'])}%")
    if _is_number(result.get("wind_kmh")):
        extra.append(f"wind {_number(result['wind_kmh'])} km/h")
    where = f"In {place}" if place else "There"
    sentence = f"{where} it is {' and '.join(parts)}"
    if extra:
        sentence += f", {', '.join(extra)}"
    when = f" at {result['observed_at']}" if result.get("observed_at") else ""
    source = f" ({result['source']}{when})" if result.get("source") else ""
    return sentence + source + "."


def _forecast(result: Mapping[str, Any]) -> str:
    """'In Tokyo, Japan tomorrow (2025-11-25): light rain, 9 to 14 °C, 4.2 mm of rain...'"""
    place = ", ".join(str(result[k]) for k in ("city", "country") if result.get(k))
    day = str(result.get("day") or "")
    when = f"{day} ({result['date']})" if day and day != result.get("date") else str(result["date"])
    sentence = (
        f"In {place or 'that city'} {when}: {result.get('conditions', 'no conditions given')}, "
        f"{_number(result['temperature_min_c'])} to {_number(result['temperature_max_c'])} °C"
    )
    if _is_number(result.get("precipitation_mm")):
        sentence += f", {_number(result['precipitation_mm'])} mm of precipitation"
    if _is_number(result.get("precipitation_probability_pct")):
        sentence += f" ({_number(result['precipitation_probability_pct'])}% chance)"
    source = f" ({result['source']} forecast)" if result.get("source") else ""
    return sentence + source + "."


def _fields(value: Mapping[str, Any]) -> str:
    shown = [
        f"{key.replace('_', ' ')} {_number(val)}"
        for key, val in value.items()
        if isinstance(val, str | int | float) and not isinstance(val, bool)
    ][:_MAX_FIELDS]
    return ", ".join(shown) or "no readable fields"


def describe_data(data: Any) -> str:
    """A few sentences on data attached to the question (a workflow's per-field summary)."""
    if isinstance(data, Mapping) and isinstance(data.get("fields"), Mapping):
        parts = []
        for name, stats in data["fields"].items():
            if not isinstance(stats, Mapping):
                continue
            if stats.get("type") == "number":
                parts.append(
                    f"{name}: total {_number(stats.get('total'))}, "
                    f"min {_number(stats.get('min'))}, max {_number(stats.get('max'))}, "
                    f"mean {_number(stats.get('mean'))}"
                )
            else:
                top = stats.get("top") or []
                shown = ", ".join(
                    f"{entry.get('value')} ({entry.get('count')})"
                    for entry in top
                    if isinstance(entry, Mapping)
                )
                parts.append(f"{name}: {stats.get('distinct', len(top))} distinct values ({shown})")
        records = data.get("records")
        head = f"The data has {records} records" if isinstance(records, int) else "The data"
        return f"{head}. " + "; ".join(parts) + "." if parts else f"{head}, with no fields."
    if isinstance(data, list):
        return f"The data has {len(data)} records."
    if isinstance(data, Mapping):
        return f"The data has {_fields(data)}."
    return f"The data is: {to_text(data)}"


def is_greeting(text: str) -> bool:
    """'Hello there', 'good morning': a greeting and nothing else."""
    return _is_greeting(text)


def _is_greeting(text: str) -> bool:
    found = words(text)
    return bool(found) and found <= _GREETINGS | {"good", "there", "all", "everyone", "folks"}


def _label(tool: str) -> str:
    return tool.removeprefix("get_").replace("_", " ")


def _plural(noun: str, count: int) -> str:
    return noun if count == 1 else noun + "s"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:g}"
    return str(value)
