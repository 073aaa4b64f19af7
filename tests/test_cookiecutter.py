"""The cookiecutter form of the template (cookiecutter/): fresh, same answers, same refusals, cruft.

Every combination of the render matrix is also rendered with cookiecutter and compared with
copier's render byte for byte in tests/test_render.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.exceptions import FailedHookException, OutputDirExistsException

from tests._cookiecutter import COOKIECUTTER_DIR, cookiecutter_render, tree_differences
from tests._render import Renderer, load_questions, snapshot_template
from tests._tools import REPO_ROOT
from tests.test_answers import BAD, answers_of

EXPORT = REPO_ROOT / "scripts" / "export_cookiecutter.py"


def _export(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "export_cookiecutter.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_committed_export_is_fresh() -> None:
    """cookiecutter/ is what the script generates from copier.yml and template/ now."""
    result = _export(REPO_ROOT, "--check")
    assert result.returncode == 0, result.stderr


def test_check_names_a_stale_file(tmp_path: Path) -> None:
    src = snapshot_template(tmp_path / "src")
    readme = src / "template" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nA user's line.\n", encoding="utf-8")
    result = _export(src, "--check")
    assert result.returncode == 1
    assert "stale: cookiecutter/{{cookiecutter.project_slug}}/README.md" in result.stderr
    assert "Run: python scripts/export_cookiecutter.py" in result.stderr


def test_export_refuses_what_it_cannot_translate(tmp_path: Path) -> None:
    src = snapshot_template(tmp_path / "src")
    extra = src / "template" / "agents_core" / "extra.txt.jinja"
    extra.write_text("{{ project_name | regex_replace('a', 'b') }}\n", encoding="utf-8")
    result = _export(src)
    assert result.returncode == 2
    assert "extra.txt.jinja" in result.stderr
    assert "copier-only" in result.stderr


def test_cookiecutter_json_has_every_question() -> None:
    context = json.loads((REPO_ROOT / COOKIECUTTER_DIR / "cookiecutter.json").read_text())
    for name, question in load_questions().items():
        if question.get("when") is False:
            assert f"__{name}" in context, name
            continue
        assert name in context, name
        if question.get("type") == "bool":
            assert context[name] is question["default"], name
        elif question.get("choices"):
            assert context[name][0] == question["default"], name
            assert sorted(context[name]) == sorted(question["choices"].values()), name


def test_cruft_flavour_differs_only_where_it_names_its_tool(
    renderer: Renderer, tmp_path: Path
) -> None:
    """Without the override a cookiecutter user gets cruft's update section and CI job."""
    for ci, job_file in (
        ("github", ".github/workflows/template-update.yml"),
        ("gitlab", ".gitlab-ci.yml"),
    ):
        data = {"ci": ci}
        copier_tree = renderer.render(data, name=f"cruft-{ci}")
        cruft_tree = cookiecutter_render(renderer.src, data, tmp_path / ci, tool=None)
        assert sorted(tree_differences(copier_tree, cruft_tree)) == sorted(
            ["differs: README.md", f"differs: {job_file}"]
        )
        readme = (cruft_tree / "README.md").read_text(encoding="utf-8")
        head, _, section = readme.partition("## Update from the template")
        assert (
            head
            == (copier_tree / "README.md")
            .read_text(encoding="utf-8")
            .partition("## Update from the template")[0]
        )
        assert "cruft update" in section
        assert "copier" not in section
        assert "uvx cruft check" in (cruft_tree / job_file).read_text(encoding="utf-8")


# Each question's first bad value, and every empty or multi-line one (they reach the file names).
BAD_SAMPLE = [
    (q, v, allowed)
    for i, (q, v, allowed) in enumerate(BAD)
    if q not in {other for other, _, _ in BAD[:i]} or not str(v).strip() or "\n" in str(v)
]


@pytest.mark.parametrize(
    ("question", "value", "allowed"),
    BAD_SAMPLE,
    ids=[f"{q}={v!r:.30}" for q, v, _ in BAD_SAMPLE],
)
def test_bad_answer_is_refused_with_copiers_message(
    questions_src: Path,
    template_src: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    question: str,
    value: Any,
    allowed: str,
) -> None:
    with pytest.raises(ValueError, match="Validation error") as copier_error:
        answers_of(questions_src, tmp_path, {question: value})
    out = tmp_path / "out"
    with pytest.raises((FailedHookException, OutputDirExistsException)) as refused:
        cookiecutter_render(template_src, {question: value}, out, tool=None)
    if isinstance(refused.value, FailedHookException):
        # The pre-gen hook printed copier's own message; nothing is left half-rendered.
        assert str(copier_error.value) in capfd.readouterr().err
    assert list(out.iterdir()) == []


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _cruft(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cruft = Path(sys.executable).parent / "cruft"
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(
        [str(cruft), *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )


def test_cruft_update_keeps_the_users_edit_and_brings_the_framework_change(
    tmp_path: Path,
) -> None:
    """cruft create from an older version, a user edit, cruft update to HEAD."""
    src = snapshot_template(tmp_path / "template")
    old = _git(src, "rev-parse", "HEAD")
    framework = src / "template" / "agents_core" / "utils" / "messages.py"
    framework.write_text(
        framework.read_text(encoding="utf-8") + "\n\nFRAMEWORK_MARKER = 'from the new version'\n",
        encoding="utf-8",
    )
    assert _export(src).returncode == 0  # the template's maintainers regenerate cookiecutter/
    _git(src, "add", "-A")
    _git(src, "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm", "v2")

    created = _cruft(
        tmp_path,
        "create", str(src), "--directory", COOKIECUTTER_DIR, "--checkout", old,
        "--no-input", "--output-dir", str(tmp_path / "out"),
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    project = tmp_path / "out" / "my-agents"
    assert json.loads((project / ".cruft.json").read_text())["commit"] == old
    identity = ["-c", "user.name=U", "-c", "user.email=u@example.invalid"]
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, *identity, "commit", "-qm", "start")
    user_file = project / "agents_core" / "agents" / "assistant.py"
    user_file.write_text(
        user_file.read_text(encoding="utf-8") + "\n# The user's own note.\n", encoding="utf-8"
    )
    _git(project, "add", "-A")
    _git(project, *identity, "commit", "-qm", "user edit")
    assert _cruft(project, "check").returncode == 1  # a newer template exists

    updated = _cruft(project, "update", "--skip-apply-ask", "--allow-untracked-files")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "FRAMEWORK_MARKER = 'from the new version'" in (
        project / "agents_core" / "utils" / "messages.py"
    ).read_text(encoding="utf-8")
    assert "# The user's own note." in user_file.read_text(encoding="utf-8")
    assert not list(project.rglob("*.rej"))
    assert "<<<<<<<" not in _git(project, "diff")
    assert json.loads((project / ".cruft.json").read_text())["commit"] == _git(
        src, "rev-parse", "HEAD"
    )
    assert _cruft(project, "check").returncode == 0
