"""What the offline model understands, and the honest sentence for what it does not.

For the tools `offline_rules.toml` describes (the samples' notes, weather, calculator and SQL
tools, and any you add), a question is understood when a rule matches it: the tool is called
with arguments taken from the question's own parts. A question no rule matches is never
answered with another tool or another question's figures: the model says, in one sentence,
what it can answer offline and how to use a real model. Questions about the conversation
("what did I ask first?") are answered from the history by any agent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agents_core.llm._offline_answers import describe_data, describe_result, is_greeting
from agents_core.llm._offline_arithmetic import expression_of
from agents_core.llm._offline_rules import Intent, Rules, load_rules
from agents_core.llm._offline_sales import SalesQuestion, parse
from agents_core.llm._offline_tools import ToolCallPlan, ToolSpec, arguments_for, extract_sql
from agents_core.llm._offline_turn import Turn

_SLOT = re.compile(r"\{([a-z_|]+)\}")
_EXPRESSION_PARAMS = ("expression", "formula", "calculation", "math")
_SQL_TOOL = "run_sql_query"
MAX_TITLE_CHARS = 80


@dataclass
class Understood:
    """The offline model's decision for a question its rules cover."""

    plans: list[ToolCallPlan] = field(default_factory=list)
    """Tools to call now."""
    answer: str | None = None
    """Or the answer itself (from the history, or "I can't answer that offline")."""


def understand(
    turn: Turn, tools: Sequence[ToolSpec], rules: Rules | None = None
) -> Understood | None:
    """The decision for this turn; None when no rule covers the agent's tools (generic policy)."""
    rules = rules or load_rules()
    question = turn.question
    remembered = _from_history(turn, rules)
    if remembered is not None:
        return Understood(answer=remembered)
    by_name = {tool.name: tool for tool in tools}
    covered = _covered(by_name, rules)
    if not covered:
        return None
    if is_greeting(question):
        return None
    plan = (
        _sql_plan(turn, by_name, rules)
        or _arithmetic_plan(turn, tools, rules)
        or _intent_plan(turn, by_name, rules)
    )
    if plan is not None:
        return Understood(plans=[plan])
    if turn.attached_data is not None:
        return Understood(answer=describe_data(turn.attached_data))
    return Understood(answer=cannot_answer(rules.examples_for(covered)))


def cannot_answer(examples: list[str]) -> str:
    """The one sentence for a question the offline model did not understand."""
    shown = ", ".join(f'"{example}"' for example in examples[:4])
    such_as = f" questions such as {shown}" if shown else " questions its rules describe"
    return (
        "I can't answer that offline: the offline model only answers"
        f"{such_as}; set OPENAI_API_KEY to use a real model."
    )


def answer_from_results(turn: Turn, rules: Rules | None = None) -> str | None:
    """The answer from this turn's tool results, phrased for the question the rules parsed."""
    rules = rules or load_rules()
    if not any(tool == _SQL_TOOL for tool, _ in turn.tool_results):
        return None
    asked = _sales_question(turn, rules)
    lines = []
    for tool, result in turn.tool_results:
        if tool == _SQL_TOOL and asked is not None and isinstance(result, dict):
            lines.append(asked.describe(result))
        else:
            lines.append(describe_result(tool, result, turn))
    return "\n".join(lines)


def _covered(tools: dict[str, ToolSpec], rules: Rules) -> set[str]:
    names = {intent.tool for intent in rules.intents} | {_SQL_TOOL}
    covered = {name for name in tools if name in names}
    covered |= {
        name
        for name, tool in tools.items()
        if any(param in tool.parameters.get("properties", {}) for param in _EXPRESSION_PARAMS)
    }
    return covered


def _from_history(turn: Turn, rules: Rules) -> str | None:
    asked = turn.user_texts[:-1]
    for kind, patterns in rules.memory.items():
        if any(pattern.search(turn.question) for pattern in patterns):
            if not asked:
                return "This is your first question in this conversation."
            text = asked[0] if kind == "first" else asked[-1]
            return f'You {"first" if kind == "first" else "last"} asked: "{text}"'
    return None


def _sales_question(turn: Turn, rules: Rules) -> SalesQuestion | None:
    if extract_sql(turn.question) is not None:
        return None
    return parse(turn.question, turn.instructions, rules.sales, previous=turn.previous_user_text)


def _sql_plan(turn: Turn, tools: dict[str, ToolSpec], rules: Rules) -> ToolCallPlan | None:
    if _SQL_TOOL not in tools:
        return None
    explicit = extract_sql(turn.question)
    if explicit is not None:
        return ToolCallPlan(_SQL_TOOL, {"sql": explicit})
    asked = _sales_question(turn, rules)
    if asked is None or (
        turn.attached_data is not None and "database" not in turn.question.lower()
    ):
        return None
    return ToolCallPlan(_SQL_TOOL, {"sql": asked.to_sql()})


def _arithmetic_plan(turn: Turn, tools: Sequence[ToolSpec], rules: Rules) -> ToolCallPlan | None:
    for tool in tools:
        properties = tool.parameters.get("properties", {})
        param = next((name for name in _EXPRESSION_PARAMS if name in properties), None)
        if param is None:
            continue
        expression = expression_of(turn.question, rules.arithmetic, turn.previous_answer)
        if expression is not None:
            return ToolCallPlan(tool.name, {param: expression})
    return None


def _intent_plan(turn: Turn, tools: dict[str, ToolSpec], rules: Rules) -> ToolCallPlan | None:
    texts = [turn.question]
    if turn.is_follow_up:  # "and in Rome?": the intent of the previous question
        texts.append(turn.previous_user_text)
    for text in texts:
        for intent in rules.intents:
            tool = tools.get(intent.tool)
            if tool is None or any(pattern.search(turn.question) for pattern in intent.unless):
                continue
            match = next((m for m in (p.search(text) for p in intent.patterns) if m), None)
            if match is not None:
                return ToolCallPlan(
                    tool.name,
                    _arguments(
                        intent, tool, turn, match.groupdict() if text == turn.question else {}
                    ),
                )
    return None


def _arguments(intent: Intent, tool: ToolSpec, turn: Turn, slots: dict[str, Any]) -> dict[str, Any]:
    arguments = arguments_for(tool.parameters, turn)
    slots = dict(slots)
    for name, pattern in intent.slots.items():
        found = pattern.search(turn.question)
        if found is not None and not slots.get(name):
            slots[name] = found.group(name)
    properties = tool.parameters.get("properties", {})
    for name, template in intent.arguments.items():
        if name not in arguments:
            continue
        value = _fill(template, slots)
        if value:
            arguments[name] = value[:MAX_TITLE_CHARS] if name == "title" else value
        elif "default" in properties.get(name, {}):  # the slot is empty: the tool's default
            arguments[name] = properties[name]["default"]
    return arguments


def _fill(template: str, slots: dict[str, Any]) -> str:
    def slot(match: re.Match[str]) -> str:
        for name in match.group(1).split("|"):
            value = slots.get(name)
            if value:
                return str(value).strip().rstrip(".!?")
        return ""

    return _SLOT.sub(slot, template).strip()
