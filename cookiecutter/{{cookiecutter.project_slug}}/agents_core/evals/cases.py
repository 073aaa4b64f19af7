"""Eval cases as data: one YAML file per agent under `evals/`.

```yaml
agent: assistant          # the agent under test (cases with expected_agent run through the router)
threshold: 1.0            # share of cases that must pass, else `eval` exits non-zero
cases:
  - id: multiply
    input: What is 12 * (3 + 4)?
    history:              # optional earlier turns of the session
      - {role: user, content: "Hi"}
      - {role: assistant, content: "Hello!"}
    expected_agent: assistant
    tool_calls:
      - name: calculator
        arguments: {expression: {regex: "12"}}
    checks:
      - contains: "84"
      - regex: "\\\\b84\\\\b"
      - number: 84
        tolerance: 0.01
      - judge: The answer gives the product and nothing else.
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ANSWER_CHECKS = ("contains", "not_contains", "regex", "number", "judge")


@dataclass(frozen=True)
class AnswerCheck:
    """One check of the final answer: `kind` is contains | not_contains | regex | number | judge."""

    kind: str
    value: Any
    tolerance: float = 0.0


@dataclass(frozen=True)
class ToolCallExpectation:
    """A tool call the run must make; `arguments` maps each checked argument to a matcher."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EvalCase:
    id: str
    input: str
    history: list[dict[str, Any]] = field(default_factory=list)
    expected_agent: str | None = None
    tool_calls: list[ToolCallExpectation] = field(default_factory=list)
    checks: list[AnswerCheck] = field(default_factory=list)


@dataclass(frozen=True)
class EvalSuite:
    name: str
    agent: str
    threshold: float
    cases: list[EvalCase]
    path: Path | None = None


class EvalFileError(ValueError):
    """An eval file that does not follow the format; the message names the file and the case."""


def load_suite(path: Path) -> EvalSuite:
    """Read one eval file; errors name the file, the case and what is allowed."""
    import yaml  # only evals need YAML

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise EvalFileError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise EvalFileError(f"{path}: expected a mapping with 'agent' and a list of 'cases'.")
    agent = data.get("agent")
    if not isinstance(agent, str) or not agent:
        raise EvalFileError(f"{path}: 'agent' must name the agent under test.")
    threshold = data.get("threshold", 1.0)
    if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise EvalFileError(f"{path}: 'threshold' must be a number from 0 to 1, got {threshold!r}.")
    cases = [_case(path, index, raw) for index, raw in enumerate(data["cases"])]
    ids = [case.id for case in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise EvalFileError(f"{path}: duplicate case ids: {', '.join(duplicates)}.")
    return EvalSuite(path.stem, agent, float(threshold), cases, path)


def default_evals_dir() -> Path:
    """`evals/` beside the project's pyproject.toml when run from a checkout, else in the cwd."""
    project_root = Path(__file__).resolve().parents[2]
    if (project_root / "pyproject.toml").is_file():
        return project_root / "evals"
    return Path.cwd() / "evals"


def load_suites(directory: Path, agent: str | None = None) -> list[EvalSuite]:
    """Every `*.yaml` suite in `directory` (only `agent`'s when given)."""
    if not directory.is_dir():
        raise EvalFileError(f"No eval directory at {directory}.")
    suites = [load_suite(path) for path in sorted(directory.glob("*.y*ml"))]
    if agent is not None:
        suites = [suite for suite in suites if suite.agent == agent]
        if not suites:
            raise EvalFileError(f"No eval suite for agent {agent!r} in {directory}.")
    return suites


def _case(path: Path, index: int, raw: Any) -> EvalCase:
    where = f"{path}: case {index + 1}"
    if not isinstance(raw, dict):
        raise EvalFileError(f"{where}: expected a mapping.")
    unknown = set(raw) - {"id", "input", "history", "expected_agent", "tool_calls", "checks"}
    if unknown:
        raise EvalFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
    if not isinstance(raw.get("input"), str) or not raw["input"].strip():
        raise EvalFileError(f"{where}: 'input' must be a non-empty string.")
    case_id = str(raw.get("id") or f"case-{index + 1}")
    where = f"{path}: case {case_id!r}"
    tool_calls = []
    for call in raw.get("tool_calls") or []:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise EvalFileError(f"{where}: each tool call needs a 'name'.")
        tool_calls.append(ToolCallExpectation(call["name"], dict(call.get("arguments") or {})))
    checks = []
    for check in raw.get("checks") or []:
        kinds = [kind for kind in ANSWER_CHECKS if isinstance(check, dict) and kind in check]
        if len(kinds) != 1:
            raise EvalFileError(
                f"{where}: each check has exactly one of {', '.join(ANSWER_CHECKS)}; got {check!r}."
            )
        kind = kinds[0]
        checks.append(AnswerCheck(kind, check[kind], float(check.get("tolerance", 0.0))))
    history = raw.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(item, dict) and item.get("role") in ("user", "assistant") for item in history
    ):
        raise EvalFileError(f"{where}: 'history' is a list of (role: user|assistant, content).")
    return EvalCase(
        id=case_id,
        input=raw["input"],
        history=list(history),
        expected_agent=raw.get("expected_agent"),
        tool_calls=tool_calls,
        checks=checks,
    )
