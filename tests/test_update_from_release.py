"""A project made from a real release, changed and used by its user, updates to the current tree.

tests/test_update.py updates across two synthetic versions; this test starts from what users
really have. A temporary template repository holds the release (`git archive` of its commit,
releases.toml) tagged `v0.1.0`, then the current working tree tagged as the next version. A
project is copied from the release, committed, changed as a user would (own agent, tool, tests,
API route and flow; a sample agent's instructions, `.env` and `.env.example`, `.gitignore`),
used (sessions of several turns through its CLI on the offline model, one flow run), committed,
and updated with the copier command line as users run it (`copier update --defaults`, no
`--trust`). Then: nothing of the user's is lost; a conflict (same lines changed on both sides) is
inline and reported; after resolving it by taking both sides the project syncs and passes its own
tests; new questions took their defaults; the old sessions read back through `AgentSession` and
take a new turn, whatever the storage now looks like underneath.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests._releases import get_release, template_history
from tests._tools import cache_dir, isolated_env, run, uv_executable
from tests.conftest import TIMINGS_PROPERTY
from tests.test_update import CONFLICT_LINE, MARKERS, answers, commit_all, copier, edit, git

FROM_VERSION = "0.1.0"
# Questions this round adds (issue #13); the test computes the new questions from the two
# copier.yml files and checks that these are among them once they exist.
EXPECTED_NEW_QUESTIONS = frozenset({"include_docker", "ci"})

COMBOS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "noapi-nowf": {"include_api": False, "include_workflows": False},
}
COSTS = {"defaults": 250, "noapi-nowf": 90}  # seconds, for the start order (tests/conftest.py)

# --- what the user does to the 0.1.0 project (texts as 0.1.0 renders them) ---------------------

USER_FILES: dict[str, str] = {
    "agents_core/agents/billing.py": '''"""Billing questions: our own agent."""

from agents_core.registry.agent_registry import AgentDefinition, register_agent

billing = register_agent(
    AgentDefinition(
        name="billing",
        description="Billing: invoices and refunds",
        instructions="You answer billing questions. Use refund_status for refunds.",
        tools=["refund_status"],
    )
)
''',
    "agents_core/tools/refunds.py": '''"""Our own tool: the state of a refund."""

from agents_core.registry.tool_registry import register_tool


@register_tool
def refund_status(refund_id: str) -> str:
    """The state of refund `refund_id`."""
    return f"Refund {refund_id} was paid."
''',
    "tests/test_billing.py": """from agents_core.registry.agent_registry import get_agent_registry
from agents_core.tools.refunds import refund_status


def test_billing_agent_and_tool_are_ours() -> None:
    assert "billing" in get_agent_registry().names()
    assert refund_status("r1") == "Refund r1 was paid."
""",
    # Settings of this checkout (git-ignored: the update must not touch it).
    ".env": "# Our settings.\nLOG_LEVEL=INFO\nMAX_TURNS=12\n",
}
API_FILES: dict[str, str] = {
    "api/routes/billing.py": '''"""Our own route: the state of a refund."""

from fastapi import APIRouter

from agents_core.tools.refunds import refund_status

router = APIRouter(prefix="/billing", tags=["billing"])


@router.get("/refunds/{refund_id}")
async def get_refund(refund_id: str) -> dict[str, str]:
    """The state of refund `refund_id`."""
    return {"refund_id": refund_id, "status": refund_status(refund_id)}
''',
    "tests/test_billing_api.py": """from fastapi.testclient import TestClient

from api import create_app


def test_our_refund_route() -> None:
    with TestClient(create_app()) as client:
        response = client.get("/billing/refunds/r1")
    assert response.status_code == 200
    assert response.json() == {"refund_id": "r1", "status": "Refund r1 was paid."}
""",
}
WORKFLOW_FILES: dict[str, str] = {
    "workflows_core/flows/billing_flow.py": '''"""Our own flow: the state of several refunds."""

from __future__ import annotations

from prefect import flow

from agents_core.tools.refunds import refund_status


@flow(name="Billing Refunds", log_prints=True)
def billing_refunds_flow(refund_ids: list[str]) -> dict[str, str]:
    """The state of each refund of `refund_ids`.

    Args:
        refund_ids: The refunds to look up.
    """
    states = {refund_id: refund_status(refund_id) for refund_id in refund_ids}
    print(f"looked up {len(states)} refunds")
    return states
''',
    "tests/test_billing_flow.py": """from workflows_core import get_flow
from workflows_core.flows.billing_flow import billing_refunds_flow


def test_our_flow_is_in_the_catalog_and_runs() -> None:
    assert get_flow("billing-refunds").flow is billing_refunds_flow
    assert billing_refunds_flow.fn(["r1"]) == {"r1": "Refund r1 was paid."}
""",
}


@dataclass(frozen=True)
class Edit:
    """A change to a file the template made: `old` (0.1.0's text) becomes `new`."""

    path: str
    old: str
    new: str

    @property
    def kept(self) -> str:
        """What must be in the file after the update (the user's lines)."""
        return self.new.replace(self.old, "") if self.old in self.new else self.new


EDITS: list[Edit] = [
    Edit(
        "agents_core/agents/weather_assistant.py",
        '"You help users with the current weather.',
        '"You help hikers with the current weather.',
    ),
    Edit(".env.example", "LOG_LEVEL=WARNING", "LOG_LEVEL=INFO"),
    # A flow run leaves Prefect's state and the datasets under data/, which 0.1.0 does not ignore:
    # copier refuses to update a dirty tree, so this user ignores them in .gitignore, where the
    # new version's own change may conflict (docs/updating.md suggests .git/info/exclude).
    Edit(
        ".gitignore",
        "data/*.db-*\n",
        "data/*.db-*\n# Our run data.\ndata/prefect/\ndata/workflows/\n",
    ),
]
API_EDITS: list[Edit] = [
    Edit(
        "api/app.py",
        "from api.routes import agents, health,",
        "from api.routes import agents, billing, health,",
    ),
    Edit(
        "api/app.py",
        "    app.include_router(sessions.router)\n",
        "    app.include_router(sessions.router)\n    app.include_router(billing.router)\n",
    ),
]
WORKFLOW_EDITS: list[Edit] = [
    Edit(
        "workflows_core/flows/__init__.py",
        "from workflows_core.flows.analyze_flow import analyze_flow\n",
        "from workflows_core.flows.analyze_flow import analyze_flow\n"
        "from workflows_core.flows.billing_flow import billing_refunds_flow\n",
    ),
    Edit(
        "workflows_core/flows/__init__.py",
        '    "analyze_flow",\n',
        '    "analyze_flow",\n    "billing_refunds_flow",\n',
    ),
    Edit(
        "prefect.yaml",
        "          trigger_source: scheduled\n",
        "          trigger_source: scheduled\n\n"
        "  - name: billing-refunds\n"
        "    description: Our refund lookups.\n"
        "    entrypoint: workflows_core/flows/billing_flow.py:billing_refunds_flow\n"
        "    work_pool: *work_pool\n",
    ),
]


@dataclass(frozen=True)
class ByHand:
    """A step that the update notes tell users to do by hand after the update.

    The test does it only where the new version needs it, and then the changelog's update notes
    of a version after the release must name it (`words`): a step nobody is told about is a bug.
    """

    needed: Callable[[Path, Scenario], bool]
    do: Callable[[Path], None]
    words: str


def _flow_not_deployed_on_docker(project: Path, scenario: Scenario) -> bool:
    """A second deployments file (the Docker work pool's) lacks the user's own flow."""
    docker = project / "prefect-docker.yaml"
    return (
        scenario.with_workflows and docker.is_file() and "billing-refunds" not in docker.read_text()
    )


def _deploy_flow_on_docker(project: Path) -> None:
    deployment = next(e for e in WORKFLOW_EDITS if e.path == "prefect.yaml")
    edit(project / "prefect-docker.yaml", deployment.old, deployment.new)


_FROM_IMPORT = re.compile(r"^from ([\w.]+) import (\([^)]*\)|[^(\n]+)\n", re.MULTILINE)
"""A `from X import ...` statement on one line or parenthesized over several."""
_TEST_CLIENT = "TestClient(create_app())"


def _from_imports(text: str) -> dict[str, list[re.Match[str]]]:
    found: dict[str, list[re.Match[str]]] = {}
    for match in _FROM_IMPORT.finditer(text):
        found.setdefault(match.group(1), []).append(match)
    return found


def _imports_repeated(project: Path, scenario: Scenario) -> bool:
    """Keeping both sides of `api/app.py`'s conflicted imports left a module imported twice."""
    app = project / "api" / "app.py"
    if not app.is_file():
        return False
    return any(len(found) > 1 for found in _from_imports(app.read_text("utf-8")).values())


def _merge_repeated_imports(project: Path) -> None:
    """One statement per module with every name of both sides, in the new version's (the last)
    place, as ruff formats it."""
    app = project / "api" / "app.py"
    text = app.read_text("utf-8")
    while repeated := [(m, f) for m, f in _from_imports(text).items() if len(f) > 1]:
        module, found = repeated[0]
        names = sorted(
            {n.strip() for m in found for n in m.group(2).strip("()").split(",") if n.strip()}
        )
        line = f"from {module} import {', '.join(names)}\n"
        if len(line) > 101:
            line = f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")\n"
        for match in reversed(found):  # from the end: earlier offsets stay valid
            replacement = line if match is found[-1] else ""
            text = text[: match.start()] + replacement + text[match.end() :]
    app.write_text(text, "utf-8")


def _test_client_on_testserver(project: Path, scenario: Scenario) -> bool:
    """A user's test calls the app as Starlette's TestClient does, on Host `testserver`."""
    return any(_TEST_CLIENT in text for text in scenario.user_files.values())


def _test_client_on_localhost(project: Path) -> None:
    for path, text in {**USER_FILES, **API_FILES}.items():
        if _TEST_CLIENT in text:
            target = project / path
            target.write_text(
                target.read_text("utf-8").replace(
                    _TEST_CLIENT, 'TestClient(create_app(), base_url="http://localhost")'
                ),
                "utf-8",
            )


BY_HAND: list[ByHand] = [
    ByHand(_flow_not_deployed_on_docker, _deploy_flow_on_docker, "prefect-docker.yaml"),
    ByHand(_imports_repeated, _merge_repeated_imports, "one import statement per module"),
    ByHand(_test_client_on_testserver, _test_client_on_localhost, 'base_url="http://localhost"'),
]


# Conversations through the 0.1.0 CLI (offline model; no question reaches the network).
CONVERSATIONS: dict[str, list[str]] = {
    "alpha": ["Hello", "What is 12 * (3 + 4)?", "Which region had the highest revenue?"],
    "beta": ["What is 7 * 6?"],
}
NEW_TURN = ("alpha", "What is 2 + 3?", "5")
DATASET = "refunds-2026"
RECORDS = [{"refund": "r1", "amount": 12.5}, {"refund": "r2", "amount": 40}]

# Run inside the project with its own code: the items of each session through the public API,
# written as JSON to argv[1]. The same script runs before (0.1.0) and after the update.
READ_SESSIONS = """
import asyncio, json, sys
from agents_core import AgentSession

async def main() -> None:
    found = {}
    for session_id in sys.argv[2:]:
        session = AgentSession(session_id)
        try:
            found[session_id] = await session.get_items()
        finally:
            await session.aclose()
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(found, out)

asyncio.run(main())
"""
READ_DATASET = """
import json, sys
from workflows_core import datasets
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(datasets.load_stage(sys.argv[2], "raw"), out)
"""
MARKER_LINE = re.compile(r"^(<<<<<<< |=======$|>>>>>>> )")


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release_repo(
    template_src: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, str]:
    """The template repository: the release tagged, then today's tree tagged as the next one."""
    repo = tmp_path_factory.mktemp("release-update") / "agents-core"
    repo.mkdir()
    old_tag, new_tag = template_history(template_src, repo, get_release(FROM_VERSION))
    return repo, old_tag, new_tag


def project_env(project: Path) -> dict[str, str]:
    """The generated project's commands: offline, its own venv, Prefect state in its data dir."""
    env = isolated_env(
        MYPY_CACHE_DIR=str(cache_dir("mypy")),
        # The project's own default (workflows_core), spelled out so that no change of it can
        # reach ~/.prefect; the rest as the generated tests/conftest.py sets it.
        PREFECT_HOME=str(project / "data" / "prefect"),
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_TO_API_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
    )
    for service in ("EVENT_PERSISTER", "TRIGGERS", "TASK_RUN_RECORDER", "SCHEDULER", "LATE_RUNS"):
        env[f"PREFECT_SERVER_SERVICES_{service}_ENABLED"] = "false"
    return env


def uv(project: Path, env: Mapping[str, str], *args: str) -> str:
    done = run([uv_executable(), *args], cwd=project, env=env, timeout=1200)
    assert done.ok, done.describe()
    return done.output


def run_script(project: Path, env: Mapping[str, str], script: str, *args: str) -> Any:
    """`script` run by the project's Python; it writes its JSON answer to the path it is given."""
    answer = project.parent / "script-answer.json"
    uv(project, env, "run", "python", "-c", script, str(answer), *args)
    return json.loads(answer.read_text("utf-8"))


def item_text(item: Mapping[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


Turn = tuple[str, str]
"""(user message, final answer)."""


def turns(items: list[dict[str, Any]]) -> list[Turn]:
    """(user message, last assistant message) of each turn of a session's items."""
    found: list[list[str]] = []
    for item in items:
        role = item.get("role")
        if role == "user":
            found.append([item_text(item), ""])
        elif role == "assistant" and found:
            found[-1][1] = item_text(item)
    return [(question, answer) for question, answer in found]


def histories(project: Path, env: Mapping[str, str]) -> dict[str, list[Turn]]:
    items = run_script(project, env, READ_SESSIONS, *CONVERSATIONS)
    return {session_id: turns(items[session_id]) for session_id in CONVERSATIONS}


def questions(copier_yml: Path) -> set[str]:
    return questions_of(copier_yml.read_text("utf-8"))


def questions_of(text: str) -> set[str]:
    raw = yaml.safe_load(text)
    return {
        name for name, value in raw.items() if not name.startswith("_") and isinstance(value, dict)
    }


def skip_if_exists(copier_yml: Path) -> set[str]:
    raw = yaml.safe_load(copier_yml.read_text("utf-8"))
    return set(raw.get("_skip_if_exists") or [])


def listed_files(project: Path) -> set[str]:
    """Tracked and untracked files git shows (ignored ones left out: .venv, data, .env)."""
    out = git("ls-files", "-co", "--exclude-standard", "-z", cwd=project)
    return {path for path in out.split("\0") if path and (project / path).is_file()}


def merge_conflicts(ours: str, base: str, theirs: str) -> bool:
    """Whether git's three-way merge of one file's versions conflicts (`git merge-file`)."""
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            (Path(scratch) / name).write_text(text, "utf-8")
            paths.append(str(Path(scratch) / name))
        merged = subprocess.run(
            ["git", "merge-file", "-p", "--quiet", *paths], capture_output=True, check=False
        )
    assert merged.returncode >= 0, merged.stderr
    return merged.returncode > 0


def take_both(path: Path) -> None:
    """Resolve a conflicted file by keeping both sides: drop the marker lines."""
    lines = path.read_text("utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not MARKER_LINE.match(line)), "utf-8")


# --- the steps ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One combination of answers and what its user does."""

    data: dict[str, Any]
    user_files: dict[str, str]
    edits: list[Edit]

    @classmethod
    def of(cls, combo: str) -> Scenario:
        data = COMBOS[combo]
        user_files, edits = dict(USER_FILES), list(EDITS)
        if data.get("include_api", True):
            user_files.update(API_FILES)
            edits += API_EDITS
        if data.get("include_workflows", True):
            user_files.update(WORKFLOW_FILES)
            edits += WORKFLOW_EDITS
        return cls(data, user_files, edits)

    @property
    def data_args(self) -> list[str]:
        return [arg for name, value in self.data.items() for arg in ("--data", f"{name}={value}")]

    @property
    def with_workflows(self) -> bool:
        return bool(self.data.get("include_workflows", True))

    @property
    def edited(self) -> set[str]:
        return {change.path for change in self.edits}


def copy_project(repo: Path, tag: str, scenario: Scenario, dst: Path) -> Path:
    made = copier("copy", "--defaults", "--vcs-ref", tag, *scenario.data_args, str(repo), str(dst),
                  cwd=dst.parent)  # fmt: skip
    assert made.ok, made.describe()
    return dst


def work_and_use(project: Path, env: Mapping[str, str], scenario: Scenario) -> None:
    """Weeks of work: own files, edits to template files; sessions and a flow run."""
    for path, text in scenario.user_files.items():
        (project / path).write_text(text, "utf-8")
    for change in scenario.edits:
        edit(project / change.path, change.old, change.new)
    uv(project, env, "sync")
    for session_id, messages in CONVERSATIONS.items():
        for message in messages:
            uv(project, env, "run", "my-agents", "chat", "--session", session_id, message)
    if scenario.with_workflows:
        uv(project, env, "run", "my-agents", "flow", "run", "upload-dataset",
           "-p", f"data_id={DATASET}", "-p", f"records={json.dumps(RECORDS)}")  # fmt: skip


def check_new_answers(repo: Path, old_tag: str, project: Path, fresh: Path) -> set[str]:
    """The questions added since the release took their defaults: the answers of a fresh copy."""
    old_yml = git("show", f"{old_tag}:copier.yml", cwd=repo)
    added = questions(repo / "copier.yml") - questions_of(old_yml)
    assert EXPECTED_NEW_QUESTIONS & questions(repo / "copier.yml") <= added
    recorded, fresh_answers = answers(project), answers(fresh)
    for name in added:
        assert recorded.get(name) == fresh_answers.get(name), f"new question {name}"
    return added


def check_and_resolve_conflicts(
    project: Path, fresh: Path, scenario: Scenario, base: dict[str, str], ours: dict[str, str]
) -> set[str]:
    """Conflicts are inline and reported to git, exactly where a three-way merge of the user's and
    the new version's lines conflicts (so only in files the user changed); never a `.rej`. Each is
    then resolved by taking both sides. Returns the conflicted files."""
    assert not [p for p in project.rglob("*.rej") if ".venv" not in p.parts]
    marked = {
        path
        for path in listed_files(project)
        if CONFLICT_LINE.search((project / path).read_text("utf-8", "replace"))
    }
    unmerged = {line.split("\t")[-1] for line in git("ls-files", "-u", cwd=project).splitlines()}
    assert marked == unmerged, "a conflict is not reported (or reported without markers)"
    edited = scenario.edited
    assert marked <= edited, f"conflicts in files the user never changed: {marked - edited}"
    expected = {
        path
        for path in edited
        if (fresh / path).is_file()
        and merge_conflicts(ours[path], base[path], (fresh / path).read_text("utf-8"))
    }
    assert marked == expected, "copier's conflicts differ from git's three-way merge"
    for path in sorted(marked):
        text = (project / path).read_text("utf-8")
        assert all(marker in text for marker in MARKERS), path
        take_both(project / path)
    if marked:
        git("add", *sorted(marked), cwd=project)
    return marked


def check_nothing_lost(project: Path, fresh: Path, scenario: Scenario, repo: Path) -> None:
    """Every user file and edited line survives; every other file is the new version's."""
    for path, text in scenario.user_files.items():
        assert (project / path).read_text("utf-8") == text, f"{path} changed"
    for change in scenario.edits:
        text = (project / change.path).read_text("utf-8")
        lost = [line for line in change.kept.splitlines() if line.strip() and line not in text]
        assert lost == [], f"{change.path}: the user's lines are lost"
    theirs = scenario.edited | set(scenario.user_files) | skip_if_exists(repo / "copier.yml")
    theirs |= {"uv.lock", ".copier-answers.yml"}
    fresh_files = {p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file()}
    differs = [
        path
        for path in sorted(fresh_files - theirs)
        if not (project / path).is_file()
        or (project / path).read_bytes() != (fresh / path).read_bytes()
    ]
    assert differs == [], "files the user never touched differ from the new version"
    leftover = listed_files(project) - fresh_files - theirs
    assert leftover == set(), "files the new version removed are still there"


def do_by_hand(project: Path, scenario: Scenario, repo: Path) -> list[str]:
    """The update notes' manual steps that this project needs, done; each must be in the notes."""
    notes = update_notes_since(FROM_VERSION, (repo / "CHANGELOG.md").read_text("utf-8"))
    done = []
    for step in BY_HAND:
        if step.needed(project, scenario):
            assert step.words in notes, f"the update notes must tell users: {step.words}"
            step.do(project)
            done.append(step.words)
    return done


def update_notes_since(version: str, changelog: str) -> str:
    """The `### Update notes` of every changelog section above `## [version]`."""
    newer = changelog.split(f"\n## [{version}]", 1)[0]
    sections = re.split(r"^## ", newer, flags=re.MULTILINE)[1:]
    notes = []
    for section in sections:
        parts = re.split(r"^### ", section, flags=re.MULTILINE)
        notes += [part for part in parts if part.startswith("Update notes")]
    return "\n".join(notes)


def check_data(
    project: Path, env: Mapping[str, str], scenario: Scenario, old: dict[str, list[Turn]]
) -> None:
    """0.1.0's sessions read back whole through the public API and take a new turn after them;
    its flow's dataset reads back."""
    assert histories(project, env) == old, "the sessions of 0.1.0 read differently"
    session_id, question, answer_part = NEW_TURN
    uv(project, env, "run", "my-agents", "chat", "--session", session_id, question)
    after = histories(project, env)
    assert after[session_id][:-1] == old[session_id]
    assert after[session_id][-1][0] == question
    assert answer_part in after[session_id][-1][1], after[session_id][-1]
    assert {s: h for s, h in after.items() if s != session_id} == {
        s: h for s, h in old.items() if s != session_id
    }
    if scenario.with_workflows:
        assert run_script(project, env, READ_DATASET, DATASET) == RECORDS


# --- the test --------------------------------------------------------------------------------


@pytest.mark.generated
@pytest.mark.parametrize(
    "combo",
    # Expected seconds on the CI machine (measured 253 s and 86 s): defaults is the longest test.
    [pytest.param(combo, marks=pytest.mark.cost(COSTS[combo]), id=combo) for combo in COMBOS],
)
def test_update_from_release_keeps_edits_and_data(
    combo: str,
    release_repo: tuple[Path, str, str],
    tmp_path: Path,
    record_property: Callable[[str, object], None],
    request: pytest.FixtureRequest,
) -> None:
    repo, old_tag, new_tag = release_repo
    scenario = Scenario.of(combo)
    project = tmp_path / "my-agents"
    env = project_env(project)
    clock = Clock()

    copy_project(repo, old_tag, scenario, project)
    git("-c", "init.defaultBranch=main", "init", "-q", cwd=project)
    commit_all(project, f"Start from agents-core {FROM_VERSION}")
    base = {path: (project / path).read_text("utf-8") for path in listed_files(project)}
    work_and_use(project, env, scenario)
    old_histories = histories(project, env)
    assert {s: [q for q, _ in h] for s, h in old_histories.items()} == CONVERSATIONS
    assert all(answer for history in old_histories.values() for _, answer in history)
    commit_all(project, "Our billing agent, route and flow; tuned settings; uv.lock")
    ours = {path: (project / path).read_text("utf-8") for path in listed_files(project)}
    clock.lap("0.1.0 project")

    update = copier("update", "--defaults", cwd=project)
    assert update.ok, update.describe()
    clock.lap("update")
    assert answers(project)["_commit"] == new_tag
    fresh = copy_project(repo, new_tag, scenario, tmp_path / "fresh")
    check_new_answers(repo, old_tag, project, fresh)
    conflicts = check_and_resolve_conflicts(project, fresh, scenario, base, ours)
    print(f"conflicts (resolved by taking both sides): {', '.join(sorted(conflicts)) or 'none'}")
    check_nothing_lost(project, fresh, scenario, repo)
    by_hand = do_by_hand(project, scenario, repo)

    uv(project, env, "sync")
    clock.lap("sync")
    check_data(project, env, scenario, old_histories)
    clock.lap("data")
    test_env = dict(env)
    if scenario.with_workflows:  # the worker's shared Prefect server, as the generated suites
        test_env["AGENTS_TEST_PREFECT_API_URL"] = request.getfixturevalue("shared_prefect_api_url")
    tested = run(
        [uv_executable(), "run", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=test_env,
        timeout=1200,
    )
    assert tested.ok, tested.describe()
    clock.lap("pytest")

    line = (
        f"{'0.1.0 -> current, ' + combo:<28} {clock}"
        f"  conflicts: {', '.join(sorted(conflicts)) or 'none'}"
        f"  by hand: {', '.join(by_hand) or 'none'}"
    )
    print(line)
    record_property(TIMINGS_PROPERTY, line)


class Clock:
    """Wall time of the test's steps, for the timings table."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: list[str] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append(f"{name} {now - self.last:.1f}s")
        self.last = now

    def __str__(self) -> str:
        return f"{'  '.join(self.laps)}  total {self.last - self.start:.1f}s"
