"""The offline model's rules, read from `offline_rules.toml` (data a user can read and extend).

The file sits beside this module: edit it (it is your project's) to teach the offline model a
phrasing or a tool of your own. It is read once per process.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

NUMBER = r"-?\d+(?:[.,]\d+)*"
"""What `{n}` stands for in the arithmetic phrases."""


@dataclass(frozen=True)
class Intent:
    """A tool called when one of its patterns matches the question."""

    tool: str
    patterns: tuple[re.Pattern[str], ...]
    arguments: dict[str, str] = field(default_factory=dict)
    """Parameter -> template of slots ("{title|text}": slot title, else text)."""
    slots: dict[str, re.Pattern[str]] = field(default_factory=dict)
    """Slot -> a pattern searched anywhere in the question (its group of that name)."""
    unless: tuple[re.Pattern[str], ...] = ()
    """Patterns that veto the intent: questions it cannot answer as asked."""
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """A metric or a dimension of the sales table: its SQL and the words that name it."""

    name: str
    sql: str
    words: tuple[str, ...]
    label: str
    additive: bool = True
    chronological: bool = False


@dataclass(frozen=True)
class SalesRules:
    table: str
    date_column: str
    default_metric: str
    metrics: dict[str, Vocabulary]
    dimensions: dict[str, Vocabulary]
    order: dict[str, tuple[str, ...]]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class ArithmeticRules:
    phrases: tuple[tuple[re.Pattern[str], str], ...]
    follow_ups: tuple[tuple[re.Pattern[str], str], ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    """Everything `offline_rules.toml` says."""

    routing: dict[str, tuple[str, ...]]
    """Intent category -> words that clearly put a question in it."""
    memory: dict[str, tuple[re.Pattern[str], ...]]
    intents: tuple[Intent, ...]
    arithmetic: ArithmeticRules
    sales: SalesRules

    def examples_for(self, tools: set[str]) -> list[str]:
        """Questions the offline model understands with these tools (for "I can't" sentences)."""
        found = [
            example
            for intent in self.intents
            if intent.tool in tools
            for example in intent.examples
        ]
        if "run_sql_query" in tools:
            found.extend(self.sales.examples)
        if "calculator" in tools:
            found.extend(self.arithmetic.examples)
        return found


def _compile(patterns: list[str], **names: str) -> tuple[re.Pattern[str], ...]:
    return tuple(
        re.compile(pattern.format(**names) if names else pattern, re.IGNORECASE)
        for pattern in patterns
    )


def _vocabulary(name: str, data: dict[str, Any]) -> Vocabulary:
    return Vocabulary(
        name=name,
        sql=str(data["sql"]),
        words=tuple(str(word).lower() for word in data.get("words", [])),
        label=str(data.get("label", name.replace("_", " "))),
        additive=bool(data.get("additive", True)),
        chronological=bool(data.get("chronological", False)),
    )


def parse_rules(data: dict[str, Any]) -> Rules:
    """Rules from the parsed TOML (a KeyError or ValueError names what is malformed)."""
    arithmetic = data.get("arithmetic", {})
    refers_back = "|".join(re.escape(word) for word in arithmetic.get("refers_back", ["that"]))

    def pairs(entries: list[list[str]]) -> tuple[tuple[re.Pattern[str], str], ...]:
        return tuple(
            (
                re.compile(
                    pattern.replace("{n}", NUMBER).replace("{ref}", refers_back), re.IGNORECASE
                ),
                replacement,
            )
            for pattern, replacement in entries
        )

    sales = data.get("sales", {})
    return Rules(
        routing={
            category: tuple(str(word).lower() for word in words)
            for category, words in data.get("routing", {}).get("keywords", {}).items()
        },
        memory={kind: _compile(patterns) for kind, patterns in data.get("memory", {}).items()},
        intents=tuple(
            Intent(
                tool=str(entry["tool"]),
                patterns=_compile(entry.get("patterns", [])),
                arguments={str(k): str(v) for k, v in entry.get("arguments", {}).items()},
                slots={
                    str(name): re.compile(pattern, re.IGNORECASE)
                    for name, pattern in entry.get("slots", {}).items()
                },
                unless=_compile(entry.get("unless", [])),
                examples=tuple(entry.get("examples", [])),
            )
            for entry in data.get("intents", [])
        ),
        arithmetic=ArithmeticRules(
            phrases=pairs(arithmetic.get("phrases", [])),
            follow_ups=pairs(arithmetic.get("follow_ups", [])),
            examples=tuple(arithmetic.get("examples", [])),
        ),
        sales=SalesRules(
            table=str(sales.get("table", "sales")),
            date_column=str(sales.get("date_column", "order_date")),
            default_metric=str(sales.get("default_metric", "revenue")),
            metrics={k: _vocabulary(k, v) for k, v in sales.get("metrics", {}).items()},
            dimensions={k: _vocabulary(k, v) for k, v in sales.get("dimensions", {}).items()},
            order={k: tuple(str(w).lower() for w in v) for k, v in sales.get("order", {}).items()},
            examples=tuple(sales.get("examples", [])),
        ),
    )


@functools.cache
def _load(path: str) -> Rules:
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = (
            resources.files("agents_core.llm")
            .joinpath("offline_rules.toml")
            .read_text(encoding="utf-8")
        )
    return parse_rules(tomllib.loads(text))


def load_rules(path: str | Path | None = None) -> Rules:
    """The rules of `path`, else of the packaged `offline_rules.toml`."""
    return _load(str(path) if path else "")
