"""Evals: cases as data (`evals/*.yaml`), run against the agents, scored, reported.

`<cli> eval` runs them; `load_suites`, `run_suites` and the reports are the API.
"""

from agents_core.evals.cases import (
    AnswerCheck,
    EvalCase,
    EvalSuite,
    ToolCallExpectation,
    default_evals_dir,
    load_suite,
    load_suites,
)
from agents_core.evals.matchers import check_answer, match_arguments, match_value
from agents_core.evals.reports import html_report, json_report, junit_report, table
from agents_core.evals.runner import CaseResult, SuiteResult, run_suite, run_suites

__all__ = [
    "AnswerCheck",
    "CaseResult",
    "EvalCase",
    "EvalSuite",
    "SuiteResult",
    "ToolCallExpectation",
    "check_answer",
    "default_evals_dir",
    "html_report",
    "json_report",
    "junit_report",
    "load_suite",
    "load_suites",
    "match_arguments",
    "match_value",
    "run_suite",
    "run_suites",
    "table",
]
