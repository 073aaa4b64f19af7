"""Matchers of answers and tool arguments. Each returns None when it passes, else why not."""

from __future__ import annotations

import json
import re
from typing import Any

from agents_core.evals.cases import AnswerCheck

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
NOT_RUN = "not run"


def match_value(expected: Any, actual: Any) -> str | None:
    """An argument matcher: a plain value (equal), or {contains|regex|number(+tolerance)|any}."""
    if isinstance(expected, dict) and len(set(expected) - {"tolerance"}) == 1:
        if "any" in expected:
            return None
        text = actual if isinstance(actual, str) else json.dumps(actual, default=str)
        if "contains" in expected:
            needle = str(expected["contains"])
            return None if needle.lower() in text.lower() else f"{text!r} lacks {needle!r}"
        if "regex" in expected:
            pattern = str(expected["regex"])
            return None if re.search(pattern, text) else f"{text!r} does not match /{pattern}/"
        if "number" in expected:
            return _near(text, float(expected["number"]), float(expected.get("tolerance", 0)))
    return None if expected == actual else f"expected {expected!r}, got {actual!r}"


def match_arguments(expected: dict[str, Any], actual: dict[str, Any]) -> str | None:
    """Each expected argument is present and matches; other arguments are not checked."""
    for name, matcher in expected.items():
        if name not in actual:
            return f"argument {name!r} missing (got {', '.join(sorted(actual)) or 'none'})"
        problem = match_value(matcher, actual[name])
        if problem:
            return f"argument {name!r}: {problem}"
    return None


def check_answer(check: AnswerCheck, answer: str, *, judge_available: bool) -> str | None:
    """One answer check; a judge check returns `NOT_RUN` without a real model."""
    if check.kind == "contains":
        ok = str(check.value).lower() in answer.lower()
        return None if ok else f"answer lacks {check.value!r}"
    if check.kind == "not_contains":
        ok = str(check.value).lower() not in answer.lower()
        return None if ok else f"answer contains {check.value!r}"
    if check.kind == "regex":
        ok = re.search(str(check.value), answer) is not None
        return None if ok else f"answer does not match /{check.value}/"
    if check.kind == "number":
        return _near(answer, float(check.value), check.tolerance)
    if check.kind == "judge":
        return NOT_RUN if not judge_available else None
    raise ValueError(f"unknown check {check.kind!r}")


def _near(text: str, expected: float, tolerance: float) -> str | None:
    numbers = [float(raw.replace(",", "")) for raw in _NUMBER.findall(text)]
    if any(abs(number - expected) <= tolerance for number in numbers):
        return None
    return f"no number within {tolerance:g} of {expected:g} in {text[:120]!r}"
