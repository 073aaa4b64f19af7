"""`copier update` brings framework changes into a project its user has changed, losing nothing.

A temporary template repository gets two tagged versions: v0.1.0 is the current template, v0.2.0
adds framework changes of every kind (a changed module, a new file, a renamed file, a changed
dependency, a new question with a default). A project is copied from v0.1.0, committed, edited as a
user would, committed, and updated with the copier command line exactly as users run it (no
`--trust`). The copier facts these tests rely on are in the docs (docs/updating.md): update exits 0
even when it leaves conflicts, so the tests look for markers, unmerged entries and `.rej` files.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests._render import files_of
from tests._tools import Result, cache_dir, isolated_env, run, uv_executable
from tests.conftest import TIMINGS_PROPERTY

COPIER = str(Path(sys.executable).with_name("copier"))
IDENTITY = ["-c", "user.name=Update Tests", "-c", "user.email=tests@example.invalid"]
MARKERS = ("<<<<<<< before updating", ">>>>>>> after updating")
CONFLICT_LINE = re.compile(r"^(<<<<<<<|=======$|>>>>>>>)", re.MULTILINE)

# The v0.2.0 framework changes (paths inside the template's `template/` folder).
SAFETY = "agents_core/services/safety.py"
SAFETY_OLD_DOC = (
    '"""Safety guard of an orchestration: a budget of agent runs and loop detection."""'
)
SAFETY_NEW_DOC = (
    '"""Safety guard of one orchestration run: a budget of agent runs, loop detection."""'
)
SAFETY_ADDED = "\n\n# Added in v0.2.0.\nDEFAULT_MAX_AGENT_RUNS = 12\n"
NEW_FILE = "agents_core/utils/text_limits.py"
NEW_FILE_TEXT = '''"""Added in v0.2.0: clip long texts before they reach a model."""


def clip(text: str, limit: int) -> str:
    """`text`, cut to at most `limit` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"
'''
RENAMED_FROM = "examples/multi_agent_orchestration.py"
RENAMED_TO = "examples/orchestration_demo.py"
OLD_DEPENDENCY = '"httpx>=0.28",'
NEW_DEPENDENCY = '"httpx>=0.28.1",'
NEW_QUESTION = """
update_channel:
  type: str
  help: Which releases of the template you follow (added in v0.2.0)
  default: stable
  choices: [stable, preview]
"""
USER_PACKAGE_DOC = '"""Your agent definitions (v0.2.0 wording, never merged: _skip_if_exists)."""\n'

# What the user does to the v0.1.0 project.
USER_AGENT = "agents_core/agents/billing.py"
USER_AGENT_TEXT = '''"""Billing questions: our own agent, added after generating the project."""

from agents_core.registry.agent_registry import AgentDefinition, register_agent

billing = register_agent(
    AgentDefinition(
        name="billing",
        description="Billing: invoices and refunds",
        instructions="You answer billing questions. Use refund_status for refunds.",
        tools=["refund_status"],
    )
)
'''
USER_TOOL = "agents_core/tools/refunds.py"
USER_TOOL_TEXT = '''"""Our own tool: the state of a refund."""

from agents_core.registry.tool_registry import register_tool


@register_tool
def refund_status(refund_id: str) -> str:
    """The state of refund `refund_id`."""
    return f"Refund {refund_id} was paid."
'''
USER_TEST = "tests/test_billing.py"
USER_TEST_TEXT = """from agents_core.registry.agent_registry import get_agent_registry
from agents_core.tools.refunds import refund_status


def test_billing_agent_and_tool_are_ours() -> None:
    assert "billing" in get_agent_registry().names()
    assert refund_status("r1") == "Refund r1 was paid."
"""
SAMPLE_AGENT = "agents_core/agents/weather_assistant.py"
SAMPLE_OLD = "You help users with the weather."
SAMPLE_NEW = "You help travellers with the weather at their destination."
DELETED_SAMPLE = "examples/simple_chat_agent.py"
USER_PACKAGE_INIT = "agents_core/agents/__init__.py"
DELETED_REQUIRED = "agents_core/guardrails/__init__.py"
USER_PACKAGE_LINE = "# Our agents live in billing.py; keep this file.\n"
SAMPLE_FILES = [
    "agents_core/agents/weather_assistant.py",
    "agents_core/agents/data_analyst.py",
    "agents_core/tools/weather.py",
    "agents_core/tools/sales.py",
    "agents_core/tools/sales_database.py",
    "agents_core/guardrails/sql_guardrails.py",
    "tests/test_samples.py",
    "tests/fixtures/open_meteo_forecast_paris.json",
]


def git(*args: str, cwd: Path) -> str:
    result = run(["git", *IDENTITY, "-c", "commit.gpgsign=false", *args], cwd=cwd, timeout=120)
    assert result.ok, result.describe()
    return result.output


def commit_all(repo: Path, message: str) -> None:
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", message, cwd=repo)


def copier(*args: str, cwd: Path) -> Result:
    """The copier command line, as users run it (never with --trust)."""
    assert "--trust" not in args
    assert "--UNSAFE" not in args
    return run([COPIER, *args], cwd=cwd, env=isolated_env(), timeout=300)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{path}: {old!r} not found (the template changed: update this test)"
    path.write_text(text.replace(old, new, 1), "utf-8")


def answers(project: Path) -> dict[str, object]:
    loaded = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def leftovers(project: Path) -> list[str]:
    """Conflict markers, unmerged index entries and .rej files: what an update must not leave."""
    found = [
        f"{path.relative_to(project)}: conflict marker"
        for path in files_of(project)
        if CONFLICT_LINE.search(path.read_text("utf-8", errors="replace"))
    ]
    found += [f"{p.relative_to(project)}: rejected hunks" for p in project.rglob("*.rej")]
    unmerged = git("ls-files", "-u", cwd=project).strip()
    if unmerged:
        found.append(f"unmerged index entries:\n{unmerged}")
    return found


# --- the template's two versions ----------------------------------------------------------------


def release_v2(repo: Path) -> None:
    """Framework changes of every kind, as a maintainer would make them."""
    tree = repo / "template"
    safety = tree / SAFETY
    edit(safety, SAFETY_OLD_DOC, SAFETY_NEW_DOC)
    safety.write_text(safety.read_text("utf-8") + SAFETY_ADDED, "utf-8")
    (tree / NEW_FILE).write_text(NEW_FILE_TEXT, "utf-8")
    git("mv", f"template/{RENAMED_FROM}", f"template/{RENAMED_TO}", cwd=repo)
    edit(tree / "pyproject.toml.jinja", OLD_DEPENDENCY, NEW_DEPENDENCY)
    (tree / USER_PACKAGE_INIT).write_text(USER_PACKAGE_DOC, "utf-8")
    with (repo / "copier.yml").open("a", encoding="utf-8") as handle:
        handle.write(NEW_QUESTION)


@pytest.fixture(scope="module")
def template_repo(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template repository tagged v0.1.0 (today's template) and v0.2.0 (framework changes)."""
    repo = tmp_path_factory.mktemp("update") / "agents-core"
    repo.mkdir()
    shutil.copy2(template_src / "copier.yml", repo / "copier.yml")
    shutil.copytree(template_src / "template", repo / "template")
    git("-c", "init.defaultBranch=main", "init", "-q", cwd=repo)
    commit_all(repo, "agents-core 0.1.0")
    git("tag", "v0.1.0", cwd=repo)
    release_v2(repo)
    commit_all(repo, "agents-core 0.2.0")
    git("tag", "v0.2.0", cwd=repo)
    return repo


def new_project(template_repo: Path, dst: Path, *extra: str, ref: str = "v0.1.0") -> Path:
    """`copier copy --defaults` from the template's absolute path, then a first commit."""
    made = copier(
        "copy", "--defaults", "--vcs-ref", ref, *extra, str(template_repo), str(dst), cwd=dst.parent
    )
    assert made.ok, made.describe()
    git("-c", "init.defaultBranch=main", "init", "-q", cwd=dst)
    commit_all(dst, "Start from the agents-core template")
    return dst


def user_edits(project: Path) -> None:
    """What a user does in the weeks after generating the project."""
    (project / USER_AGENT).write_text(USER_AGENT_TEXT, "utf-8")
    (project / USER_TOOL).write_text(USER_TOOL_TEXT, "utf-8")
    (project / USER_TEST).write_text(USER_TEST_TEXT, "utf-8")
    edit(project / SAMPLE_AGENT, SAMPLE_OLD, SAMPLE_NEW)
    edit(project / ".env.example", "LOG_LEVEL=WARNING", "LOG_LEVEL=INFO")
    edit(project / "pyproject.toml", "line-length = 100", "line-length = 110")
    (project / USER_PACKAGE_INIT).write_text(
        (project / USER_PACKAGE_INIT).read_text("utf-8") + USER_PACKAGE_LINE, "utf-8"
    )
    (project / DELETED_SAMPLE).unlink()
    (project / DELETED_REQUIRED).unlink()  # by mistake: the update brings it back
    commit_all(project, "Our billing agent; tuned samples and settings")


@dataclass(frozen=True)
class Updated:
    project: Path
    update: Result


@pytest.fixture(scope="module")
def updated(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Updated:
    """A v0.1.0 project, edited by its user, then updated to v0.2.0 (once per module)."""
    project = new_project(template_repo, tmp_path_factory.mktemp("user") / "my-agents")
    user_edits(project)
    update = copier("update", "--defaults", cwd=project)
    return Updated(project, update)


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.xdist_group("update-main")
def test_update_brings_every_framework_change(updated: Updated, template_repo: Path) -> None:
    assert updated.update.ok, updated.update.describe()
    project = updated.project
    safety = (project / SAFETY).read_text("utf-8")
    assert SAFETY_NEW_DOC in safety
    assert SAFETY_OLD_DOC not in safety
    assert safety.endswith(SAFETY_ADDED)
    assert (project / NEW_FILE).read_text("utf-8") == NEW_FILE_TEXT
    assert (project / RENAMED_TO).is_file()
    assert not (project / RENAMED_FROM).exists()
    assert NEW_DEPENDENCY in (project / "pyproject.toml").read_text("utf-8")
    recorded = answers(project)
    assert recorded["_commit"] == "v0.2.0"
    assert recorded["_src_path"] == str(template_repo)
    assert recorded["update_channel"] == "stable"


@pytest.mark.xdist_group("update-main")
def test_update_keeps_every_user_edit(updated: Updated) -> None:
    project = updated.project
    assert (project / USER_AGENT).read_text("utf-8") == USER_AGENT_TEXT
    assert (project / USER_TOOL).read_text("utf-8") == USER_TOOL_TEXT
    assert (project / USER_TEST).read_text("utf-8") == USER_TEST_TEXT
    sample = (project / SAMPLE_AGENT).read_text("utf-8")
    assert SAMPLE_NEW in sample
    assert SAMPLE_OLD not in sample
    assert "LOG_LEVEL=INFO" in (project / ".env.example").read_text("utf-8")
    assert "line-length = 110" in (project / "pyproject.toml").read_text("utf-8")
    assert not (project / DELETED_SAMPLE).exists(), "a file the user deleted came back"
    # _skip_if_exists: the user's package marker is theirs; the template's new wording is ignored.
    package_init = (project / USER_PACKAGE_INIT).read_text("utf-8")
    assert package_init.endswith(USER_PACKAGE_LINE)
    assert USER_PACKAGE_DOC not in package_init
    assert (project / DELETED_REQUIRED).is_file(), "_skip_if_exists files are recreated"


@pytest.mark.xdist_group("update-main")
def test_update_of_separate_lines_leaves_no_conflict(updated: Updated) -> None:
    assert leftovers(updated.project) == []
    # Only the update's own changes are pending, for the user to review and commit.
    status = git("status", "--porcelain", cwd=updated.project)
    assert USER_AGENT not in status
    assert USER_TOOL not in status


@pytest.mark.generated
@pytest.mark.cost(60)  # seconds, for the start order
@pytest.mark.xdist_group("update-main")
def test_updated_project_passes_its_tests(
    updated: Updated, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    """The updated project syncs (its changed dependency resolves), every test module imports
    (the renamed and new framework files and the user's package break nothing), and the user's
    tests and the CLI's pass.

    Not the whole suite: the framework here is today's tree plus the synthetic v0.2.0 edits,
    whose whole suite the generated default combination runs, and the whole suite of an updated
    project (a real release, with the same user agent, tool and test and more) runs in
    tests/test_update_from_release.py. Running it a third time cost ~190 s of CI for nothing new.
    """
    assert updated.update.ok, updated.update.describe()
    uv = uv_executable()
    env = isolated_env(
        MYPY_CACHE_DIR=str(cache_dir("mypy")),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        DO_NOT_TRACK="1",
    )
    synced = run([uv, "sync"], cwd=updated.project, env=env, timeout=1200)
    assert synced.ok, synced.describe()
    pytest_cmd = [uv, "run", "pytest", "-q", "-p", "no:cacheprovider"]
    collected = run([*pytest_cmd, "--collect-only"], cwd=updated.project, env=env, timeout=600)
    assert collected.ok, collected.describe()
    assert re.search(r"^\d{3,} tests collected", collected.output, re.MULTILINE), collected.output[
        -2000:
    ]
    tested = run(
        [*pytest_cmd, USER_TEST, "tests/test_cli.py"], cwd=updated.project, env=env, timeout=600
    )
    line = (
        f"{'updated v0.1.0 -> v0.2.0':<28} sync {synced.seconds:.1f}s  "
        f"collect {collected.seconds:.1f}s  pytest {tested.seconds:.1f}s"
    )
    print(line)
    record_property(TIMINGS_PROPERTY, line)
    assert tested.ok, tested.describe()
    assert re.search(r"^\d+ passed", tested.output, re.MULTILINE), tested.output[-2000:]


def test_update_reports_a_conflict_on_the_same_lines_inline(
    template_repo: Path, tmp_path: Path
) -> None:
    project = new_project(template_repo, tmp_path / "my-agents")
    ours = '"""Safety guard, tuned for our billing workflows."""'
    edit(project / SAFETY, SAFETY_OLD_DOC, ours)
    commit_all(project, "Our own wording")

    update = copier("update", "--defaults", cwd=project)

    # copier exits 0 even with conflicts: the markers are the report.
    assert update.ok, update.describe()
    safety = (project / SAFETY).read_text("utf-8")
    assert all(marker in safety for marker in MARKERS), safety[:800]
    assert ours in safety, "the user's line was dropped"
    assert SAFETY_NEW_DOC in safety
    assert not list(project.rglob("*.rej"))
    # git shows the file as unmerged ("both modified") until the user resolves and `git add`s it.
    unmerged = {line.split("\t")[-1] for line in git("ls-files", "-u", cwd=project).splitlines()}
    assert unmerged == {SAFETY}
    # The rest of the update arrived, and the pre-commit hook would refuse this commit.
    assert (project / NEW_FILE).is_file()
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text("utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    pattern = re.compile(hooks["no-conflict-markers"]["entry"])
    assert any(pattern.search(line) for line in safety.splitlines())
    assert not any(
        pattern.search(line)
        for path in files_of(project)
        if path != project / SAFETY and path.suffix in {".py", ".md", ".toml", ".yml"}
        for line in path.read_text("utf-8").splitlines()
    ), "the conflict-marker hook would refuse files that have no conflict"
    assert re.search(hooks["no-rej-files"]["files"], f"{SAFETY}.rej")


def test_check_update_reports_a_newer_version(template_repo: Path, tmp_path: Path) -> None:
    old = new_project(template_repo, tmp_path / "old")
    current = new_project(template_repo, tmp_path / "current", ref="v0.2.0")

    assert copier("check-update", "--quiet", cwd=old).returncode == 2
    plain = copier("check-update", cwd=old)
    assert plain.ok, plain.describe()
    assert "0.2.0" in plain.output, plain.describe()
    up_to_date = copier("check-update", "--quiet", cwd=current)
    assert up_to_date.returncode == 0, up_to_date.describe()


def _tree(project: Path) -> dict[str, bytes]:
    return {path.relative_to(project).as_posix(): path.read_bytes() for path in files_of(project)}


def test_changing_an_answer_removes_and_restores_the_samples(
    template_repo: Path, tmp_path: Path
) -> None:
    project = new_project(template_repo, tmp_path / "my-agents", ref="v0.2.0")
    fresh = _tree(project)
    assert all((project / path).is_file() for path in SAMPLE_FILES)

    off = copier("update", "--defaults", "--data", "include_samples=false", cwd=project)
    assert off.ok, off.describe()
    assert answers(project)["include_samples"] is False
    assert not [path for path in SAMPLE_FILES if (project / path).exists()]
    assert "WEATHER_" not in (project / ".env.example").read_text("utf-8")
    assert leftovers(project) == []
    without = new_project(
        template_repo, tmp_path / "without", "--data", "include_samples=false", ref="v0.2.0"
    )
    assert _tree(project) == _tree(without), "switching samples off differs from a fresh copy"
    commit_all(project, "No samples")

    on = copier("update", "--defaults", "--data", "include_samples=true", cwd=project)
    assert on.ok, on.describe()
    assert answers(project)["include_samples"] is True
    assert leftovers(project) == []
    assert _tree(project) == fresh, "switching samples back on differs from the first copy"


API_FILES = [
    "api/__init__.py",
    "api/app.py",
    "api/routes/runs.py",
    "api/playground.html",
    "tests/test_api.py",
    "tests/api_server.py",
]


def api_packaged(pyproject: str) -> bool:
    """Whether the `api` package is in the project's package lists (build, ruff's first party).

    Without the API, pyproject.toml still names `api` in a mypy override (the CLI's serve command
    imports it lazily), so a plain search for '"api"' would not tell.
    """
    lists = re.findall(r"^(?:packages|known-first-party) = \[(.*)\]$", pyproject, re.MULTILINE)
    return bool(lists) and all('"api"' in names for names in lists)


def api_requirements(pyproject: str) -> list[str]:
    """The requirements only the api package brings (FastAPI itself stays with workflows on:
    Prefect's server needs it, capped)."""
    return [name for name in ("uvicorn", "sse-starlette", "playwright") if f'"{name}' in pyproject]


def test_switching_the_api_on_and_off_keeps_the_users_work(
    template_repo: Path, tmp_path: Path
) -> None:
    project = new_project(
        template_repo, tmp_path / "my-agents", "--data", "include_api=false", ref="v0.2.0"
    )
    assert not (project / "api").exists()
    assert not api_requirements((project / "pyproject.toml").read_text("utf-8"))
    user_edits(project)

    on = copier("update", "--defaults", "--data", "include_api=true", cwd=project)
    assert on.ok, on.describe()
    assert answers(project)["include_api"] is True
    assert leftovers(project) == []
    assert [path for path in API_FILES if not (project / path).is_file()] == []
    pyproject = (project / "pyproject.toml").read_text("utf-8")
    assert '"fastapi>=' in pyproject
    assert '"playwright>=' in pyproject
    assert api_packaged(pyproject)  # packaged, linted as first party, type-checked
    assert "line-length = 110" in pyproject, "the user's setting was lost"
    env_example = (project / ".env.example").read_text("utf-8")
    assert "\nAPI_KEY=" in env_example
    assert "LOG_LEVEL=INFO" in env_example
    assert "CHROMIUM_PATH" in (project / ".github/workflows/ci.yml").read_text("utf-8")
    assert (project / USER_AGENT).read_text("utf-8") == USER_AGENT_TEXT
    assert (project / USER_TEST).read_text("utf-8") == USER_TEST_TEXT
    assert not (project / DELETED_SAMPLE).exists(), "a file the user deleted came back"
    commit_all(project, "The API")

    # The user adapts a route, then drops the API again: copier deletes the whole api/ folder,
    # the changed file too (no conflict, no .rej). Nothing is committed yet: `git status` shows
    # the deletions for review, and the user's version stays in history (docs/updating.md).
    health = project / "api/routes/health.py"
    health.write_text(health.read_text("utf-8") + "\n# Our probe tweaks.\n", "utf-8")
    commit_all(project, "Our health route")
    off = copier("update", "--defaults", "--data", "include_api=false", cwd=project)
    assert off.ok, off.describe()
    assert answers(project)["include_api"] is False
    assert leftovers(project) == []
    assert [path for path in API_FILES if (project / path).exists()] == []
    pyproject = (project / "pyproject.toml").read_text("utf-8")
    assert not api_requirements(pyproject)
    assert not api_packaged(pyproject)
    assert "line-length = 110" in pyproject
    assert "\nAPI_KEY=" not in (project / ".env.example").read_text("utf-8")
    assert not (project / "api").exists()
    assert " D api/routes/health.py" in git("status", "--porcelain", cwd=project).splitlines()
    kept = git("show", "HEAD:api/routes/health.py", cwd=project)
    assert "# Our probe tweaks." in kept
    assert (project / USER_AGENT).read_text("utf-8") == USER_AGENT_TEXT


def test_switching_ci_and_docker_moves_their_files(template_repo: Path, tmp_path: Path) -> None:
    """`ci` and `include_docker` answers change later like any other: files come and go, the
    user's work stays."""
    project = new_project(template_repo, tmp_path / "my-agents", ref="v0.2.0")
    assert (project / ".github/workflows/ci.yml").is_file()
    assert (project / "Dockerfile").is_file()
    user_edits(project)

    switched = copier(
        "update", "--defaults", "--data", "ci=gitlab", "--data", "include_docker=false", cwd=project
    )
    assert switched.ok, switched.describe()
    assert answers(project)["ci"] == "gitlab"
    assert leftovers(project) == []
    assert (project / ".gitlab-ci.yml").is_file()
    assert not (project / ".github").exists()
    for name in ("Dockerfile", ".dockerignore", "compose.yaml", "prefect-docker.yaml"):
        assert not (project / name).exists(), name
    assert (project / USER_AGENT).read_text("utf-8") == USER_AGENT_TEXT
    commit_all(project, "GitLab, no Docker")

    back = copier("update", "--defaults", "--data", "ci=github", cwd=project)
    assert back.ok, back.describe()
    assert answers(project)["include_docker"] is False
    assert (project / ".github/workflows/template-update.yml").is_file()
    assert not (project / ".gitlab-ci.yml").exists()
    assert not (project / "Dockerfile").exists()
