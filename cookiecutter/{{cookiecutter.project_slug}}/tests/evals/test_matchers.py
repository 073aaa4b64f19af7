"""Answer checks and tool-argument matchers of the eval runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents_core.evals import AnswerCheck, check_answer, load_suite, match_arguments, match_value
from agents_core.evals.cases import EvalFileError
from agents_core.evals.matchers import NOT_RUN


@pytest.mark.parametrize(
    ("check", "answer", "passes"),
    [
        (AnswerCheck("contains", "north"), "North had the most.", True),
        (AnswerCheck("contains", "south"), "North had the most.", False),
        (AnswerCheck("not_contains", "error"), "All good.", True),
        (AnswerCheck("not_contains", "error"), "An error occurred.", False),
        (AnswerCheck("regex", r"\b25\b"), "5 * 5 = 25.", True),
        (AnswerCheck("regex", r"\b25\b"), "5 * 5 = 250.", False),
        (AnswerCheck("number", 373041, 1), "Revenue: 373,041.00 in total.", True),
        (AnswerCheck("number", 373041, 1), "Revenue: 373,043.00 in total.", False),
        (AnswerCheck("number", 0.5, 0.01), "about 0.505", True),
        (AnswerCheck("number", 84), "no figure here", False),
    ],
)
def test_answer_checks(check: AnswerCheck, answer: str, passes: bool) -> None:
    assert (check_answer(check, answer, judge_available=False) is None) is passes


def test_a_judge_is_not_run_without_a_real_model() -> None:
    judge = AnswerCheck("judge", "Polite and correct.")
    assert check_answer(judge, "anything", judge_available=False) == NOT_RUN


@pytest.mark.parametrize(
    ("matcher", "value", "passes"),
    [
        ("Paris", "Paris", True),
        ("Paris", "paris", False),
        ({"contains": "par"}, "Paris, France", True),
        ({"regex": r"^\d+$"}, "123", True),
        ({"regex": r"^\d+$"}, "12a", False),
        ({"number": 3.14, "tolerance": 0.01}, 3.141, True),
        ({"number": 3.14}, "3.2", False),
        ({"any": True}, None, True),
        (5, 5, True),
    ],
)
def test_argument_matchers(matcher: object, value: object, passes: bool) -> None:
    assert (match_value(matcher, value) is None) is passes


def test_missing_arguments_are_named() -> None:
    problem = match_arguments({"city": "Paris"}, {"town": "Paris"})
    assert problem == "argument 'city' missing (got town)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases: []", "'agent' must name the agent"),
        ("agent: a\nthreshold: 2\ncases: []", "from 0 to 1"),
        ("agent: a\ncases:\n  - {input: hi, checks: [{size: 3}]}", "exactly one of contains"),
        ("agent: a\ncases:\n  - {input: hi, color: red}", "unknown key"),
        ("agent: a\ncases:\n  - {id: x, input: a}\n  - {id: x, input: b}", "duplicate case ids"),
        ("agent: a\ncases:\n  - {input: hi, history: [{role: bot}]}", "role: user|assistant"),
    ],
)
def test_bad_eval_files_are_refused_with_what_is_allowed(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EvalFileError, match=message):
        load_suite(path)
