"""Arithmetic in words ("2 to the power of 10", "15% of 80", "add 10 to that") as an expression.

The phrases are data (`[arithmetic]` of `offline_rules.toml`); this module applies them.
"""

from __future__ import annotations

import re

from agents_core.llm._offline_rules import NUMBER, ArithmeticRules

_EXPRESSION = re.compile(r"[-+]?[(\s]*\d[\d\s.+\-*/%()^]*")
_VALUE = re.compile(rf"=\s*({NUMBER})\s*\.?\s*$|({NUMBER})(?!.*\d)")


def previous_value(answer: str) -> str | None:
    """The number an earlier answer gave: after its last '=', else its last number."""
    match = _VALUE.search(answer.strip())
    if not match:
        return None
    return (match.group(1) or match.group(2)).replace(",", "")


def expression_of(text: str, rules: ArithmeticRules, previous_answer: str = "") -> str | None:
    """The arithmetic expression the text asks for, or None when it asks for none."""
    question = text.strip().rstrip("?!. ")
    if previous_answer:
        prev = previous_value(previous_answer)
        for pattern, replacement in rules.follow_ups:
            match = pattern.search(question)
            if match and prev is not None:
                return _clean(match.expand(replacement.replace("{prev}", prev)))
    spoken = re.sub(r"(?<=\d),(?=\d{3}\b)", "", question)  # 1,000 -> 1000
    for pattern, replacement in rules.phrases:
        spoken = pattern.sub(replacement, spoken)
    candidates = [m.group(0).strip() for m in _EXPRESSION.finditer(spoken)]
    candidates = [
        c.rstrip("?., ") for c in candidates if any(op in c.strip()[1:] for op in "+-*/%^")
    ]
    if not candidates:
        return None
    return _clean(max(candidates, key=len))


def _clean(expression: str) -> str:
    expression = " ".join(expression.split())
    while expression.startswith("(") and expression.count("(") > expression.count(")"):
        expression = expression[1:].lstrip()
    while expression.endswith(")") and expression.count(")") > expression.count("("):
        expression = expression[:-1].rstrip()
    return expression
