"""The questions of copier.yml: every validator with good and bad values, as a user meets them."""

from __future__ import annotations

import ast
import keyword
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests._render import COPIER_YML, choice_values, copy, load_questions
from tests._tools import run


def answers_of(src: Path, tmp_path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Answers copier settles on for `data` (+ defaults), without writing anything.

    Copier validates each `--data` answer and each default it uses, like `copier copy --defaults`.
    """
    worker = copy(src, tmp_path / "pretend", data, pretend=True)
    return dict(worker.answers.combined)


def copier_cli() -> str:
    """The `copier` command of this environment (what a user runs)."""
    return str(Path(sys.executable).parent / "copier")


# --- good values --------------------------------------------------------------------------------

GOOD: list[tuple[str, Any]] = [
    ("project_name", "My Agents"),
    ("project_name", "A"),
    ("project_name", "Acme Bot 2.0"),
    ("project_name", "weather_bot-v2"),
    ("project_name", "A" * 64),
    ("project_slug", "my-agents"),
    ("project_slug", "a"),
    ("project_slug", "bot2-v3"),
    ("package_name", "my_agents"),
    ("package_name", "app"),
    ("package_name", "agents_app"),
    ("package_name", "my_api2"),
    ("project_description", "AI agents that answer questions about the weather"),
    ("project_description", "x" * 200),
    ("project_description", ""),
    ("author_name", "Ada Lovelace"),
    ("author_name", "ACME Corp."),
    ("author_email", "you@example.com"),
    ("author_email", "first.last+tag@mail.example.org"),
    ("author_email", "a_b@sub-domain.example.co"),
    ("license", "MIT"),
    ("license", "Apache-2.0"),
    ("license", "Proprietary"),
    ("default_model", "gpt-5.6-luna"),
    ("default_model", "gpt-4.1-mini"),
    ("default_model", "litellm/anthropic/claude-sonnet-4"),
    ("default_model", "ollama:llama3.2"),
    ("default_model", "o3"),
    ("include_docker", True),
    ("include_docker", False),
    ("ci", "github"),
    ("ci", "gitlab"),
    ("ci", "none"),
]


@pytest.mark.parametrize(("question", "value"), GOOD, ids=[f"{q}={v!r:.30}" for q, v in GOOD])
def test_good_value_is_accepted(
    questions_src: Path, tmp_path: Path, question: str, value: Any
) -> None:
    data = {question: value}
    if question == "package_name":
        data["project_slug"] = "some-app"
    assert answers_of(questions_src, tmp_path, data)[question] == value


def test_defaults_are_valid(questions_src: Path, tmp_path: Path) -> None:
    answers = answers_of(questions_src, tmp_path, {})
    questions = load_questions()
    for name, question in questions.items():
        if "default" in question and "{{" not in str(question["default"]):
            assert answers[name] == question["default"], name


# --- bad values: what the user is told ----------------------------------------------------------

BAD: list[tuple[str, Any, str]] = [
    # (question, value, a piece of the message that says what is allowed)
    ("project_name", "", "must start with a letter"),
    ("project_name", "2fast", "must start with a letter"),
    ("project_name", " Leading space", "must start with a letter"),
    ("project_name", "A" * 65, "at most 64"),
    ("project_name", "Two\nLines", "must start with a letter"),
    ("project_name", 'Say "hi"', "must start with a letter"),
    ("project_name", "Trailing newline\n", "must start with a letter"),
    ("project_slug", "My-Agents", "lowercase letters and digits"),
    ("project_slug", "my_agents", "joined by single dashes"),
    ("project_slug", "my--agents", "joined by single dashes"),
    ("project_slug", "-agents", "starting with a letter"),
    ("project_slug", "agents-", "joined by single dashes"),
    ("project_slug", "2agents", "starting with a letter"),
    ("project_slug", "my-agents\n", "joined by single dashes"),
    ("project_slug", "", 'e.g. "my-agents"'),
    ("package_name", "My_Agents", "lowercase letters, digits and underscores"),
    ("package_name", "my-agents", "lowercase letters, digits and underscores"),
    ("package_name", "_private", "starting with"),
    ("package_name", "1app", "starting with"),
    ("package_name", "my_agents\n", "lowercase letters, digits and underscores"),
    ("package_name", "", 'e.g. "my_agents"'),
    ("project_description", "x" * 201, "at most 200 characters"),
    ("project_description", "two\nlines", "single line"),
    ("author_name", "", "non-empty single line"),
    ("author_name", "   ", "non-empty single line"),
    ("author_name", "Ada\nLovelace", "non-empty single line"),
    ("author_email", "bad", "expected something like name@example.com"),
    ("author_email", "you@example", "expected something like name@example.com"),
    ("author_email", "you@@example.com", "expected something like name@example.com"),
    ("author_email", "you @example.com", "expected something like name@example.com"),
    ("author_email", "<you@example.com>", "expected something like name@example.com"),
    ("author_email", "you@example.c", "expected something like name@example.com"),
    ("author_email", "", "expected something like name@example.com"),
    ("author_email", "you@example.com\n", "expected something like name@example.com"),
    ("default_model", "", "The model name must be one word"),
    ("default_model", "gpt 4", "The model name must be one word"),
    ("default_model", "-gpt", "The model name must be one word"),
    ("default_model", "gpt-4\n", "The model name must be one word"),
    ("default_model", "m" * 129, "The model name must be one word"),
    ("default_model", 'gpt"4', "The model name must be one word"),
]


@pytest.mark.parametrize(
    ("question", "value", "allowed"), BAD, ids=[f"{q}={v!r:.30}" for q, v, _ in BAD]
)
def test_bad_value_is_refused_with_what_is_allowed(
    questions_src: Path, tmp_path: Path, question: str, value: Any, allowed: str
) -> None:
    with pytest.raises(ValueError, match=f"Validation error for question '{question}'") as err:
        answers_of(questions_src, tmp_path, {question: value})
    assert allowed in str(err.value)
    assert not (tmp_path / "pretend").exists()


# Names a package of the generated project must not take: it would shadow or clash with the
# framework, a dependency, the test/example folders, or not be importable at all (keywords).
RESERVED_PACKAGES = sorted(
    {
        "agents",
        "agents_core",
        "workflows_core",
        "api",
        "tests",
        "examples",
        "openai",
        "pydantic",
        "httpx",
        "prefect",
        "fastapi",
        "json",
        "logging",
        "asyncio",
        "typing",
        "sqlite3",
    }
    | {k for k in keyword.kwlist if k.islower()}
)


@pytest.mark.parametrize("name", RESERVED_PACKAGES)
def test_reserved_package_name_is_refused(questions_src: Path, tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="Validation error for question 'package_name'") as err:
        answers_of(questions_src, tmp_path, {"project_slug": "some-app", "package_name": name})
    assert "choose another name" in str(err.value)


def test_license_outside_the_choices_is_refused(questions_src: Path, tmp_path: Path) -> None:
    allowed = choice_values(load_questions()["license"])
    assert allowed == ["MIT", "Apache-2.0", "Proprietary"]
    with pytest.raises(ValueError, match="Invalid choice for 'license'") as err:
        answers_of(questions_src, tmp_path, {"license": "GPL-3.0"})
    for value in allowed:
        assert value in str(err.value)


def test_ci_outside_the_choices_is_refused(questions_src: Path, tmp_path: Path) -> None:
    allowed = choice_values(load_questions()["ci"])
    assert allowed == ["github", "gitlab", "none"]
    for wrong in ("travis", "GitHub", ""):
        with pytest.raises(ValueError, match="Invalid choice for 'ci'") as err:
            answers_of(questions_src, tmp_path, {"ci": wrong})
        for value in allowed:
            assert value in str(err.value)


def test_shipping_defaults_are_docker_and_github(questions_src: Path, tmp_path: Path) -> None:
    answers = answers_of(questions_src, tmp_path, {})
    assert answers["include_docker"] is True
    assert answers["ci"] == "github"


# --- derived defaults ---------------------------------------------------------------------------

DERIVED: list[tuple[dict[str, str], str, str]] = [
    ({"project_name": "My Cool App!"}, "my-cool-app", "my_cool_app"),
    ({"project_name": "My Agents"}, "my-agents", "my_agents"),
    ({"project_name": "Acme  Bot 2.0"}, "acme-bot-2-0", "acme_bot_2_0"),
    ({"project_name": "weather_bot"}, "weather-bot", "weather_bot"),
    ({"project_name": "Anything", "project_slug": "support-desk"}, "support-desk", "support_desk"),
]


@pytest.mark.parametrize(
    ("data", "slug", "package"), DERIVED, ids=[d[0]["project_name"] for d in DERIVED]
)
def test_slug_and_package_are_derived(
    questions_src: Path, tmp_path: Path, data: dict[str, str], slug: str, package: str
) -> None:
    answers = answers_of(questions_src, tmp_path, data)
    assert (answers["project_slug"], answers["package_name"]) == (slug, package)


# --- free text lands verbatim in the generated files --------------------------------------------

FREE_TEXT: list[tuple[str, str]] = [
    ("project_description", 'Agents for "quoted" things'),
    ("project_description", "Back\\slash and it's fine"),
    ("project_description", "Ünïcödé agents, 天气 🚀"),
    ("project_description", "Literal {{ braces }} and {% tags %}"),
    ("author_name", 'Jane "JJ" O\'Brien'),
    ("author_name", "Zoë Ñuñez-Łukasz"),
]


def _project_table(tree: Path) -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((tree / "pyproject.toml").read_text("utf-8"))["project"]
    return project


@pytest.mark.parametrize(
    ("question", "value"), FREE_TEXT, ids=[f"{q}={v!r:.24}" for q, v in FREE_TEXT]
)
def test_free_text_is_refused_or_rendered_verbatim(
    template_src: Path, tmp_path: Path, question: str, value: str
) -> None:
    """A value the validator accepts must come out intact, never as a broken TOML/Python file."""
    try:
        copy(template_src, tmp_path / "out", {question: value})
    except ValueError as err:
        refusal = str(err)
        assert f"question '{question}'" in refusal  # refused with a message: fine
        return
    project = _project_table(tmp_path / "out")
    if question == "project_description":
        assert project["description"] == value
    else:
        assert project["authors"][0]["name"] == value


def test_project_name_reaches_the_code_verbatim(template_src: Path, tmp_path: Path) -> None:
    copy(template_src, tmp_path / "out", {"project_name": "Acme Bot 2.0"})
    defaults = tmp_path / "out" / "agents_core" / "_defaults.py"
    if not defaults.exists():
        pytest.skip("agents_core/_defaults.py is not in the template")
    values = {
        target.id: node.value.value
        for node in ast.parse(defaults.read_text("utf-8")).body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert values["PROJECT_NAME"] == "Acme Bot 2.0"
    assert values["PROJECT_SLUG"] == "acme-bot-2-0"


# --- copy without --trust, and the answers file -------------------------------------------------


def test_template_runs_no_code_at_copy_time() -> None:
    """No tasks and no Jinja extensions: copier never asks the user for --trust."""
    config = yaml.safe_load(COPIER_YML.read_text("utf-8"))
    assert "_tasks" not in config, "_tasks make every copy and update need --trust"
    assert "_jinja_extensions" not in config, "_jinja_extensions make every copy need --trust"


def test_answers_file_records_source_and_commit(template_src: Path, tmp_path: Path) -> None:
    data = {"project_name": "Answers Check", "license": "Apache-2.0", "include_samples": False}
    copy(template_src, tmp_path / "out", data)  # unsafe=False: raises if trust were needed
    answers = yaml.safe_load((tmp_path / "out" / ".copier-answers.yml").read_text("utf-8"))
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=template_src, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert answers["_src_path"] == str(template_src)
    assert answers["_commit"]
    assert head.startswith(answers["_commit"])
    for question, value in data.items():
        assert answers[question] == value
    assert answers["project_slug"] == "answers-check"


def test_cli_bad_answer_fails_and_says_what_is_allowed(template_src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "bad"
    result = run(
        [copier_cli(), "copy", "--defaults", "--data", "author_email=bad", template_src, dst],
        cwd=tmp_path,
    )
    assert result.returncode != 0, result.describe()
    assert "expected something like name@example.com" in result.output, result.describe()
    assert not dst.exists() or not any(dst.iterdir())


def test_cli_good_answers_copy_without_trust(template_src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "good"
    result = run(
        [
            copier_cli(),
            "copy",
            "--defaults",
            "--data",
            "project_name=CLI Project",
            "--data",
            "author_email=dev@example.org",
            template_src,
            dst,
        ],
        cwd=tmp_path,
    )
    assert result.ok, result.describe()
    assert "--trust" not in result.output
    answers = yaml.safe_load((dst / ".copier-answers.yml").read_text("utf-8"))
    assert answers["project_slug"] == "cli-project"
    assert answers["author_email"] == "dev@example.org"
    assert answers["_src_path"] == str(template_src)
    assert answers["_commit"]
    assert _project_table(dst)["name"] == "cli-project"
