"""The checkers of the deployment files fail on broken files (the render matrix relies on them).

tests/test_render.py runs them on every combination's render (tests/_deploy_files.py); here each
one is shown a file with a known fault and must refuse it, so a checker that silently passes
everything cannot hide behind a green matrix.
"""

from __future__ import annotations

from pathlib import Path

from tests._deploy_files import hadolint, schema, zizmor
from tests._dockerfile import dockerignore_patterns, ignored, parse


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_hadolint_refuses_a_shell_form_cmd_and_unpinned_base(tmp_path: Path) -> None:
    bad = _write(tmp_path / "Dockerfile", "FROM python\nCMD python -m app\n")
    report = hadolint(bad, tmp_path)
    assert "DL3006" in report  # untagged base image
    assert "DL3025" in report  # CMD not in exec form: signals would not reach the process


def test_compose_schema_refuses_an_unknown_key(tmp_path: Path) -> None:
    bad = _write(tmp_path / "compose.yaml", "services:\n  api:\n    image: x\n    replica: 2\n")
    assert "replica" in schema("compose-spec", [bad], tmp_path)


def test_gitlab_schema_refuses_a_reserved_job_name(tmp_path: Path) -> None:
    # `image` is a global keyword: a job named so is refused (the mistake this template made once).
    bad = _write(tmp_path / ".gitlab-ci.yml", "image:\n  stage: test\n  script: [make]\n")
    assert "$.image" in schema("gitlab-ci", [bad], tmp_path)


def test_github_checks_refuse_a_bad_and_an_unsafe_workflow(tmp_path: Path) -> None:
    invalid = _write(tmp_path / ".github/workflows/a.yml", "on: push\njobs:\n  t:\n    steps: []\n")
    assert schema("github-workflows", [invalid], tmp_path)
    unsafe = _write(
        tmp_path / ".github/workflows/b.yml",
        "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n",
    )
    report = zizmor([unsafe], tmp_path)
    assert "unpinned-uses" in report
    assert "artipacked" in report


def test_dockerfile_reader(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "Dockerfile",
        '# comment\nFROM a:1 AS builder\nENV A=1 \\\n    B="two words"\nRUN --mount=type=cache,'
        'target=/c \\\n    # inside\n    uv sync --frozen\nFROM a:1\nCMD ["x", "serve"]\n',
    )
    builder, final = parse(path)
    assert builder.name == "builder"
    assert builder.env() == {"A": "1", "B": "two words"}
    flags, command = builder.all("RUN")[0].flags_and_rest()
    assert flags == ["--mount=type=cache,target=/c"]
    assert command == "uv sync --frozen"
    last = final.last("CMD")
    assert last is not None
    assert last.exec_form() == ["x", "serve"]


def test_dockerignore_matching(tmp_path: Path) -> None:
    patterns = dockerignore_patterns(
        _write(tmp_path / ".dockerignore", "# x\n.venv\ndata/\n**/__pycache__\n*.rej\n")
    )
    assert ignored(".venv/bin/python", patterns)
    assert ignored("data/sessions.db", patterns)
    assert ignored("agents_core/__pycache__/x.pyc", patterns)
    assert ignored("a.rej", patterns)
    assert not ignored("uv.lock", patterns)
    assert not ignored("agents_core/data.py", patterns)
