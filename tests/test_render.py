"""Every combination of the answers that change files is rendered and checked statically."""

from __future__ import annotations

import fnmatch
import io
import json
import os
import re
import sys
import tokenize
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests._cookiecutter import cookiecutter_render, tree_differences
from tests._deploy_files import deploy_file_problems
from tests._render import (
    MATRIX,
    NOT_IN_MATRIX,
    Combo,
    Renderer,
    choice_values,
    combinations,
    files_of,
    load_questions,
)
from tests._tools import SharedVenv, digest, isolated_env, run

COMBOS = combinations()

# Files that may legitimately hold a Jinja-like marker after rendering, and the marker text that is
# allowed there (everything else that looks like `{{`, `{%` or `{#` is a rendering leftover).
JINJA_ALLOWED: dict[str, re.Pattern[str]] = {
    ".github/**": re.compile(r"\$\{\{.*?\}\}"),  # GitHub Actions expressions: ${{ matrix.x }}
}
JINJA_MARKER = re.compile(r"\{\{|\{%|\{#")

# Files that may be empty.
EMPTY_ALLOWED = frozenset({"__init__.py", "py.typed", ".gitkeep"})

# Top-level folders that are not importable packages of the generated project.
NOT_PACKAGES = frozenset({"tests", "examples", "docs", "data", "scripts"})

# Modules that cannot be imported with the runtime dependencies alone (they need an extra).
IMPORT_SKIP: frozenset[str] = frozenset()

# Modules of optional backends, and the distribution that must be a dependency to import them
# (agents_core loads them only when SESSION_URL names their backend).
OPTIONAL_MODULES: dict[str, str] = {
    "agents_core.session._redis_store": "openai-agents[redis]",
    "agents_core.session._sql_store": "openai-agents[sqlalchemy]",
    "agents_core.approvals._postgres": "openai-agents[sqlalchemy]",
    "agents_core.limits._postgres": "openai-agents[sqlalchemy]",
    # TRACING_EXPORTER=otlp|console: the `otel` extra (agents_core loads it only then).
    "agents_core.observability.otel_processor": "opentelemetry-sdk",
}

IMPORT_SCRIPT = """
import importlib, sys, traceback
failed = 0
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException:
        failed += 1
        print(f"--- import {name} failed:")
        traceback.print_exc(file=sys.stdout)
sys.exit(1 if failed else 0)
"""


class _AnyTagLoader(yaml.SafeLoader):
    """SafeLoader that accepts application tags (mkdocs `!!python/name:`, GitLab `!reference`)."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_AnyTagLoader.add_multi_constructor("!", _any_tag)
_AnyTagLoader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)


def _rel(path: Path, tree: Path) -> str:
    return path.relative_to(tree).as_posix()


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


# Inside a Python f-string `{{` is an escaped brace (regex quantifiers, literal JSON): allowed there
# unless it looks like a Jinja expression (`{{ name`).
_JINJA_EXPRESSION = re.compile(r"\{\{-?\s*[A-Za-z_]")


def _fstring_spans(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) positions, as (line, column), of the f-string tokens of Python source."""
    spans = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            prefix = re.match(r"[A-Za-z]*", tok.string)
            if tok.type == tokenize.STRING and prefix and "f" in prefix.group().lower():
                spans.append((tok.start, tok.end))
    except (tokenize.TokenError, SyntaxError):
        return []  # ruff reports the syntax error
    return spans


def _escaped_brace(
    line: str, number: int, column: int, spans: list[tuple[tuple[int, int], tuple[int, int]]]
) -> bool:
    if line[column : column + 2] != "{{" or _JINJA_EXPRESSION.match(line, column):
        return False
    return any(start <= (number, column) < end for start, end in spans)


# Findings per (path, content): most files are identical across the matrix's combinations, and
# tokenizing the Python ones cost 0.4 CPU-seconds a render.
_JINJA_RESULTS: dict[str, list[str]] = {}


def jinja_leftovers(tree: Path) -> Iterable[str]:
    for path in files_of(tree):
        text = _text(path)
        if text is None:
            continue
        rel = _rel(path, tree)
        key = digest(rel, text)
        if key not in _JINJA_RESULTS:
            _JINJA_RESULTS[key] = list(_file_jinja_leftovers(rel, path.suffix, text))
        yield from _JINJA_RESULTS[key]


def _file_jinja_leftovers(rel: str, suffix: str, text: str) -> Iterable[str]:
    for pattern, allowed in JINJA_ALLOWED.items():
        if fnmatch.fnmatch(rel, pattern):
            text = allowed.sub(lambda m: " " * len(m.group()), text)
    spans = _fstring_spans(text) if suffix == ".py" else []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in JINJA_MARKER.finditer(line):
            if not _escaped_brace(line, number, match.start(), spans):
                yield f"{rel}:{number}: Jinja marker left: {line.strip()[:120]}"
                break


def layout_problems(tree: Path) -> Iterable[str]:
    for path in sorted(tree.rglob("*")):
        rel = _rel(path, tree)
        if any(ch in path.name for ch in "{}"):
            yield f"{rel}: braces in a file name (a conditional name that did not render)"
        if path.name.endswith(".jinja"):
            yield f"{rel}: still ends in .jinja"
        if path.is_dir() and not any(path.iterdir()):
            yield f"{rel}/: empty folder (git would drop it; an orphan of a condition?)"
        if path.is_file() and path.name not in EMPTY_ALLOWED:
            text = _text(path)
            if path.stat().st_size == 0 or (text is not None and not text.strip()):
                yield f"{rel}: empty file"


def parse_problems(tree: Path) -> Iterable[str]:
    for path in files_of(tree):
        rel = _rel(path, tree)
        try:
            if path.suffix == ".toml":
                tomllib.loads(path.read_text("utf-8"))
            elif path.suffix in {".yml", ".yaml"}:
                list(yaml.load_all(path.read_text("utf-8"), Loader=_AnyTagLoader))
            elif path.suffix == ".json":
                json.loads(path.read_text("utf-8"))
        except (ValueError, yaml.YAMLError) as err:
            yield f"{rel}: does not parse: {err}"


_RUFF_RESULTS: dict[str, list[str]] = {}


def ruff_problems(tree: Path) -> Iterable[str]:
    """ruff check and ruff format --check; trees with the same Python files and pyproject.toml
    (combinations that differ only in non-Python files: Docker, CI) share one result."""
    sources = [
        f"{_rel(p, tree)}\n{p.read_text('utf-8')}"
        for p in files_of(tree)
        if p.suffix in {".py", ".pyi"} or p.name == "pyproject.toml"
    ]
    key = digest(*sources)
    if key not in _RUFF_RESULTS:
        ruff = Path(sys.executable).parent / "ruff"
        found = []
        for args in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
            result = run([ruff, *args], cwd=tree, timeout=300)
            if not result.ok:
                found.append(result.describe(80))
        _RUFF_RESULTS[key] = found
    yield from _RUFF_RESULTS[key]


def modules_of(tree: Path, requirements: Iterable[str] = ()) -> list[str]:
    """Every module of the rendered top-level packages (agents_core always).

    Modules of optional backends are left out unless `requirements` holds their extra.
    """
    required = " ".join(requirements)
    tops = {"agents_core"} | {
        p.parent.name for p in tree.glob("*/__init__.py") if p.parent.name not in NOT_PACKAGES
    }
    modules: list[str] = []
    for top in sorted(tops):
        for path in sorted((tree / top).rglob("*.py")):
            parts = list(path.relative_to(tree).with_suffix("").parts)
            if parts[-1] == "__main__":
                continue
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join(parts)
            needs = OPTIONAL_MODULES.get(name)
            if name not in IMPORT_SKIP and (needs is None or needs in required):
                modules.append(name)
    return modules or ["agents_core"]


def import_problems(tree: Path, venv: SharedVenv, scratch: Path) -> Iterable[str]:
    """Import every module of the tree with the project's runtime dependencies installed.

    Combinations whose Python files and dependencies are identical share one result, across the
    session's xdist workers too (a file per result beside the import venv). The imports write
    bytecode under one prefix beside the venv, so the SDK, Prefect and FastAPI are compiled once
    a session, not once per combination (PYTHONDONTWRITEBYTECODE is set on the CI machines):
    about 6 CPU-seconds an import run without bytecode, 3 with it.
    """
    project = tomllib.loads((tree / "pyproject.toml").read_text("utf-8")).get("project", {})
    requirements = sorted(project.get("dependencies", []))
    sources = [
        f"{_rel(p, tree)}\n{p.read_text('utf-8')}" for p in files_of(tree) if p.suffix == ".py"
    ]
    stored = venv.root / "import-results" / digest(*requirements, *sources)
    if not stored.exists():
        python = venv.ensure(requirements)
        env = isolated_env(
            PYTHONPATH=str(tree),
            PREFECT_HOME=str(scratch / "prefect-home"),
            DO_NOT_TRACK="1",
            PYTHONPYCACHEPREFIX=str(venv.root / "import-pycache"),
        )
        modules = modules_of(tree, requirements)
        result = run([python, "-c", IMPORT_SCRIPT, *modules], cwd=tree, env=env)
        stored.parent.mkdir(parents=True, exist_ok=True)
        partial = stored.with_name(f"{stored.name}.{os.getpid()}")
        partial.write_text("" if result.ok else result.describe(80), encoding="utf-8")
        partial.replace(stored)  # whole or absent for the other workers
    found = stored.read_text(encoding="utf-8")
    if found:
        yield found


@pytest.mark.parametrize("combo", COMBOS, ids=str)
def test_rendered_tree_is_clean(
    combo: Combo, renderer: Renderer, import_venv: SharedVenv, tmp_path: Path
) -> None:
    tree = renderer.render(combo.data, name=combo.id)
    # The cookiecutter form renders the same files, byte for byte (tests/test_cookiecutter.py).
    cookie_tree = cookiecutter_render(renderer.src, combo.data, tmp_path / "cookiecutter")
    problems = {
        "cookiecutter render differs from copier's": tree_differences(tree, cookie_tree),
        "leftover Jinja": list(jinja_leftovers(tree)),
        "layout": list(layout_problems(tree)),
        "parsing": list(parse_problems(tree)),
        "ruff": list(ruff_problems(tree)),
        "imports": list(import_problems(tree, import_venv, tmp_path)),
        "deployment files": list(deploy_file_problems(tree, combo.data)),
    }
    report = "\n\n".join(
        f"== {kind} ({len(found)}) ==\n" + "\n".join(found)
        for kind, found in problems.items()
        if found
    )
    if report:
        pytest.fail(f"rendered tree {tree} for {combo.data}:\n{report}", pytrace=False)


def test_matrix_covers_every_choice_question() -> None:
    """A new bool or choice question must join MATRIX (or NOT_IN_MATRIX, with a reason)."""
    for name, question in load_questions().items():
        is_bool = question.get("type") == "bool"
        values = choice_values(question)
        if not is_bool and not values:
            continue
        assert name in MATRIX or name in NOT_IN_MATRIX, (
            f"question {name!r} changes the project: add it to MATRIX in tests/_render.py"
        )
        if name in MATRIX:
            expected = [True, False] if is_bool else values
            assert sorted(map(str, MATRIX[name].values)) == sorted(map(str, expected)), name
    for name in MATRIX:
        assert name in load_questions(), f"MATRIX names {name!r}, which copier.yml does not ask"


def _tree_contents(tree: Path) -> dict[str, bytes]:
    return {
        _rel(p, tree): p.read_bytes() for p in files_of(tree) if p.name != ".copier-answers.yml"
    }


@pytest.mark.parametrize("question", list(MATRIX))
def test_every_matrix_answer_changes_the_files(renderer: Renderer, question: str) -> None:
    """Each value of a MATRIX question renders differently (else it does not belong there)."""
    base = {name: next(iter(axis.values)) for name, axis in MATRIX.items() if axis.when is None}
    trees = {}
    for value, label in MATRIX[question].values.items():
        data = {**base, question: value}
        name = "-".join(MATRIX[q].values[v] for q, v in data.items())
        trees[label] = _tree_contents(renderer.render(data, name=name))
    labels = list(trees)
    for i, first in enumerate(labels):
        for second in labels[i + 1 :]:
            assert trees[first] != trees[second], (
                f"{question}: {first!r} and {second!r} render the same files"
            )


def test_the_matrix_renders_what_git_head_renders(renderer: Renderer, tmp_path: Path) -> None:
    """The matrix's renders (a plain folder, git hidden: tests/_render.py) equal a user's render
    from git HEAD: every file byte for byte with its mode; the answers file differs only in
    `_commit` (none without git) and `_src_path`."""
    assert renderer.plain is not None, "the matrix renders from git HEAD: is /tmp in a git repo?"
    data = {"include_api": True, "include_workflows": True, "ci": "gitlab"}
    matrix = renderer.render(data, name="plain-vs-git")
    head = renderer.render_fresh(data, tmp_path / "head")

    def modes(tree: Path) -> dict[str, tuple[int, bytes]]:
        return {_rel(p, tree): (p.stat().st_mode, p.read_bytes()) for p in files_of(tree)}

    left, right = modes(matrix), modes(head)
    answers = ".copier-answers.yml"
    assert left.keys() == right.keys()
    assert [rel for rel in left if rel != answers and left[rel] != right[rel]] == []
    plain_answers = yaml.safe_load(left[answers][1])
    head_answers = yaml.safe_load(right[answers][1])
    assert "_commit" not in plain_answers
    assert head_answers.pop("_commit")
    assert plain_answers.pop("_src_path") == str(renderer.plain)
    assert head_answers.pop("_src_path") == str(renderer.src)
    assert plain_answers == head_answers


def test_matrix_ids_are_unique_and_complete() -> None:
    every = combinations()
    code = combinations(code_only=True)
    assert len({c.id for c in every}) == len(every)
    assert len({c.id for c in code}) == len(code)
    code_axes = {name for name, axis in MATRIX.items() if axis.code}
    assert {frozenset(c.data.items()) for c in code} == {
        frozenset((k, v) for k, v in c.data.items() if k in code_axes) for c in every
    }
