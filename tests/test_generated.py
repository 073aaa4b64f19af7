"""Every combination of the code-changing answers runs its own generated test suite.

Each combination is rendered (one after another in one folder per xdist worker: project_dir),
gets its own environment with `uv sync` (one uv cache shared by all of them, Python from this
machine, no downloads), then runs what its README and CI run: ruff, ruff format, mypy and pytest
(a Redis/PostgreSQL combination's pytest runs only its `server_backend` tests: see
SERVER_BACKEND_ONLY; one without samples runs, of its slow tests, only those of the modules that
differ from its samples twin's: see samples_twin). pytest-xdist spreads the combinations
over the cores; the summary at the end of the run shows what each one cost. Caches (uv's, mypy's
per family and worker) are shared across combinations and sessions under the repository's
`.cache/`; the environments are not.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests._render import Combo, Renderer, combinations, files_of
from tests._tools import (
    Result,
    cache_dir,
    cpu_seconds,
    file_lock,
    isolated_env,
    run,
    uv_executable,
)
from tests.conftest import TIMINGS_PROPERTY

SYNC_TIMEOUT = 1200
NO_TESTS_COLLECTED = 5  # pytest's exit status when nothing was selected
STEP_TIMEOUT = 1200

# The combination whose environment has the `litellm` extra, so that its
# tests/models/test_litellm.py runs (the others skip it: importing LiteLLM alone costs 8-9 s of
# CPU, too much for every suite).
LITELLM_COMBO = {
    "include_api": True,
    "include_workflows": True,
    "include_samples": True,
    "session_backend": "sqlite",
}

# What runs in each generated project, after `uv sync`, in this order.
CHECKS: list[tuple[str, list[str]]] = [
    ("ruff", ["ruff", "check", "."]),
    ("format", ["ruff", "format", "--check", "."]),
    ("mypy", ["mypy"]),
    # then pytest: pytest_args(combo)
]


# The session_backend answer changes one string (agents_core/_defaults.py: SESSION_BACKEND), the
# dependencies (the backend's extra) and adds the server's own test modules; every other test is
# the same code as in the SQLite project of the same other answers, which runs it. So a
# Redis/PostgreSQL combination still renders, syncs, lints and type-checks in full, collects
# (imports) its whole suite, and runs the tests that touch its server: `-m server_backend` (the
# generated tests/conftest.py marks the tests parametrized with that backend, and its modules).
SERVER_BACKEND_ONLY = ["-m", "server_backend"]
PYTEST = ["pytest", "-q", "-p", "no:cacheprovider"]
"""The generated project's pytest, before the combination's selection."""


def pytest_args(combo: Combo) -> list[str]:
    """The generated project's pytest command for this combination (see SERVER_BACKEND_ONLY)."""
    sqlite = combo.data["session_backend"] == "sqlite"
    return [*PYTEST] if sqlite else [*PYTEST, *SERVER_BACKEND_ONLY]


# The include_samples answer adds the sample agents, tools, flows and their tests, and lists the
# sample flows in two __init__ files; the framework, the API and every other test module are the
# same files as in the project with samples of the same other answers (its "samples twin", which
# runs them). Without samples the registries hold one agent, so every in-process test (the fast
# tier, `-m "not slow"`) runs there too. The slow tier (tests that start a process or a server:
# CLI, serve, Prefect, Chromium, Node, Redis, PostgreSQL) is the same code crossing the same
# boundaries as in the twin, which runs it: a no-samples project runs the slow tests only of its
# test modules that differ from the twin's (tests/test_cli.py: the demo's and the router's
# output), and the whole slow tier when a shared file of tests/ (conftest, a helper module)
# differs. A Redis/PostgreSQL project's suite is its `server_backend` tests, all slow: without
# samples it still collects (imports) its whole suite, and runs the server_backend tests of the
# differing modules. Measured on 2 cores: the slow tier is about two thirds of an API suite's
# time; a Redis/PostgreSQL suite without samples took 23-78 s of pytest, its collection ~6 s.
def samples_twin(combo: Combo) -> dict[str, object] | None:
    """The answers of the suite that runs this combination's unchanged slow tests, if any: the
    same answers with the samples (same session backend)."""
    data = combo.data
    if data["include_samples"]:
        return None
    return {**data, "include_samples": True}


def modules_apart_from(project: Path, twin: Path) -> list[str] | None:
    """The test modules of `project` that are not byte for byte in `twin` (None: a shared file
    of tests/ differs, so every module's slow tests must run)."""
    differing = []
    for path in files_of(project / "tests"):
        rel = path.relative_to(project)
        other = twin / rel
        if other.is_file() and other.read_bytes() == path.read_bytes():
            continue
        if not (path.name.startswith("test_") and path.suffix == ".py"):
            return None
        differing.append(rel.as_posix())
    return differing


def pytest_runs(combo: Combo, slow_modules: list[str] | None) -> list[tuple[str, list[str]]]:
    """The pytest commands of this combination: its whole suite, or its server_backend tests
    (SERVER_BACKEND_ONLY); with a samples twin (`slow_modules` not None), the fast tier (SQLite)
    or the collection of the whole suite (Redis/PostgreSQL), and `slow_modules`' slow tests."""
    if slow_modules is None:
        return [("pytest", pytest_args(combo))]
    if combo.data["session_backend"] == "sqlite":
        runs = [("pytest", [*pytest_args(combo), "-m", "not slow"])]
        slow = [*pytest_args(combo), "-m", "slow"]
    else:
        runs = [("pytest", [*PYTEST, "--collect-only"])]
        slow = pytest_args(combo)  # -m server_backend: all of them slow
    if slow_modules:
        runs.append(("pytest-slow", [*slow, *slow_modules]))
    return runs


def expected_cost(combo: Combo) -> int:
    """Expected seconds of a combination's suite on the CI machine, to start the longest first.

    From the per-suite times of a CI run (2 workers): SQLite suites with samples api+wf ~220 s,
    api ~140 s, wf ~110 s, neither ~75 s, the litellm extra +20 s; without samples (samples_twin)
    about half; a Redis/PostgreSQL one runs
    sync, ruff, mypy (warm) and its `server_backend` tests: ~35 s, +15 s with the API's two-process
    tests, +5 s with workflows (bigger venv, more to collect); without samples it collects its
    suite instead: ~20-30 s.
    """
    data = combo.data
    api, wf = int(data["include_api"]), int(data["include_workflows"])
    if data["session_backend"] != "sqlite":
        if not data["include_samples"]:  # sync, lint, mypy (warm), collect (samples_twin)
            return 20 + 5 * api + 5 * wf
        return 35 + 15 * api + 5 * wf
    if not data["include_samples"]:  # the fast tier and test_cli.py's slow tests (samples_twin)
        return 40 + 45 * api + 25 * wf + 15 * api * wf
    cost = 75 + 65 * api + 35 * wf + 45 * api * wf
    return cost + 20 * int(data == LITELLM_COMBO)


def mypy_cache_dir(combo: Combo) -> Path:
    """The mypy cache of this combination's dependency family on this xdist worker.

    The framework and its dependencies (openai's types alone cost ~20 s) are checked once per
    family; mypy re-checks whatever differs by content hash. Two families: with the workflow layer
    fastapi is capped below 0.151 (Prefect's server), without it the newest is installed. mypy
    keeps one entry per module name, so one cache for both would swap fastapi and everything that
    imports it at every switch (measured: a warm run of another family's combination took
    45-58 s instead of 3-7 s). A cache per worker too: each worker renders its projects at one
    path (project_dir), and mypy trusts a cached module at once only when its path and mtime are
    unchanged (uv hard-links the same files, same mtime, into every venv); at another path it
    re-hashes and rewrites the entry of every module, openai's and pydantic's included: 7-8
    CPU-seconds a warm run, against 1-2.5 at the same path (measured on 2 cores).
    """
    family = "mypy-wf" if combo.data["include_workflows"] else "mypy-nowf"
    return cache_dir(f"{family}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")


def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this worker renders each generated project, one after the other (mypy_cache_dir).

    The previous combination's tree is removed first; a failed one is moved to its test's
    tmp_path for inspection (its .venv then needs `uv sync` again).
    """
    path = tmp_path_factory.getbasetemp() / "generated-project"
    if path.exists():
        shutil.rmtree(path)
    return path


# Longest first (tests/conftest.py orders every `generated` test by its `cost` marker), so that the
# workers finish together.
COMBOS: list[Combo] = sorted(combinations(code_only=True), key=expected_cost, reverse=True)


@pytest.mark.generated
@pytest.mark.parametrize(
    "combo",
    [
        pytest.param(combo, marks=pytest.mark.cost(expected_cost(combo)), id=str(combo))
        for combo in COMBOS
    ],
)
def test_generated_project_passes_its_own_checks(
    combo: Combo,
    renderer: Renderer,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    record_property: Callable[[str, object], None],
    request: pytest.FixtureRequest,
) -> None:
    # The workflow suites share this worker's Prefect server instead of each starting one
    # (tests/_prefect_server.py); started on the first suite that needs it.
    prefect = (
        {"AGENTS_TEST_PREFECT_API_URL": request.getfixturevalue("shared_prefect_api_url")}
        if combo.data["include_workflows"]
        else {}
    )
    started = time.perf_counter()
    render_cpu = cpu_seconds()
    project = renderer.render_fresh(combo.data, project_dir(tmp_path_factory))
    rendered = time.perf_counter() - started
    render_cpu = cpu_seconds() - render_cpu

    uv = uv_executable()
    mypy_cache = mypy_cache_dir(combo)
    env = isolated_env(
        MYPY_CACHE_DIR=str(mypy_cache),
        # The generated tests/conftest.py points Prefect at its own temporary home; this one
        # catches anything else that imports Prefect (never the user's ~/.prefect).
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        DO_NOT_TRACK="1",
        **prefect,
    )
    sync_args = [uv, "sync"]
    if (project / "uv.lock").exists():
        sync_args.append("--frozen")
    if combo.data == LITELLM_COMBO:
        sync_args += ["--extra", "litellm"]
    results: dict[str, Result] = {}
    waited = 0.0
    results["sync"] = run(sync_args, cwd=project, env=env, timeout=SYNC_TIMEOUT)
    twin = samples_twin(combo)
    slow_modules = None
    if twin is not None:
        slow_modules = modules_apart_from(project, renderer.render(twin, f"{combo}-twin"))
    checks = [*CHECKS, *pytest_runs(combo, slow_modules)]
    queue = list(checks) if results["sync"].ok else []
    while queue:
        name, args = queue.pop(0)
        if name != "mypy":
            results[name] = run([uv, "run", *args], cwd=project, env=env, timeout=STEP_TIMEOUT)
            if name == "pytest-slow" and results[name].returncode == NO_TESTS_COLLECTED:
                # Those modules hold no slow test: nothing of the slow tier differs from the twin.
                results[name] = dataclasses.replace(results[name], returncode=0)
            continue
        # One mypy at a time: its sqlite cache silently drops the writes of concurrent runs and
        # would stay cold for every combination. While another run holds it, do the other steps.
        queued = time.perf_counter()
        with file_lock(mypy_cache / ".lock", blocking=not queue) as held:
            if not held:
                queue.append((name, args))
                continue
            waited = time.perf_counter() - queued
            results[name] = run([uv, "run", *args], cwd=project, env=env, timeout=STEP_TIMEOUT)

    total = time.perf_counter() - started
    steps = "  ".join(
        f"{name} {results[name].seconds:.1f}s{'' if results[name].ok else ' FAIL'}"
        for name in ["sync", *(n for n, _ in checks)]
        if name in results
    )
    cpu = render_cpu + sum(result.cpu for result in results.values())
    line = (
        f"{combo.id:<28} {total:6.1f}s  render {rendered:.1f}s  {steps}  mypy-queue {waited:.1f}s"
        f"  cpu {cpu:.0f}s"
    )
    print(line)
    record_property(TIMINGS_PROPERTY, line)

    failed = [f"--- {name} ---\n{r.describe(60)}" for name, r in results.items() if not r.ok]
    if failed:
        project = project.rename(tmp_path / combo.id)
        report = "\n\n".join(failed)
        pytest.fail(f"generated project {combo.id} ({project}):\n\n{report}", pytrace=False)


def test_every_server_backend_suite_has_a_full_sqlite_twin() -> None:
    """What a Redis/PostgreSQL combination leaves out runs in the SQLite one of the same answers."""

    def others(combo: Combo) -> frozenset[tuple[str, object]]:
        return frozenset((k, v) for k, v in combo.data.items() if k != "session_backend")

    sqlite = [c for c in COMBOS if c.data["session_backend"] == "sqlite"]
    assert all("-m" not in pytest_args(c) for c in sqlite)
    full = {others(c) for c in sqlite}
    servers = [c for c in COMBOS if c.data["session_backend"] != "sqlite"]
    assert servers, "no Redis/PostgreSQL combination left in the matrix"
    for combo in servers:
        assert pytest_args(combo)[-2:] == SERVER_BACKEND_ONLY, combo.id
        assert others(combo) in full, f"{combo.id} has no SQLite twin running the full suite"


def test_every_no_samples_suite_has_a_full_samples_twin(renderer: Renderer) -> None:
    """A project without samples leaves out only the slow tests of modules that are the same in
    its samples twin (same session backend), which runs them all; the twin's render shares every
    file of tests/ but the sample modules, and test_cli.py, whose slow tests both run."""
    no_samples = [c for c in COMBOS if samples_twin(c) is not None]
    assert {c.data["session_backend"] for c in no_samples} == {"sqlite", "redis", "postgres"}
    full = {Renderer.key(c.data) for c in COMBOS if c.data["include_samples"]}
    for combo in no_samples:
        twin = samples_twin(combo)
        assert twin is not None, combo.id
        assert twin["session_backend"] == combo.data["session_backend"], combo.id
        assert Renderer.key(twin) in full, combo.id
        assert pytest_runs(combo, None) == [("pytest", pytest_args(combo))]
    for backend in ("sqlite", "postgres"):
        combo = next(c for c in no_samples if c.data["session_backend"] == backend)
        project = renderer.render(combo.data, f"{combo}-own")
        twin_project = renderer.render(samples_twin(combo) or {}, f"{combo}-t")
        modules = modules_apart_from(project, twin_project)
        assert modules == ["tests/test_cli.py"], (combo.id, modules)
        whole, slow = pytest_runs(combo, modules)
        if backend == "sqlite":
            assert whole[1][-2:] == ["-m", "not slow"]
            assert slow[1][-3:] == ["-m", "slow", "tests/test_cli.py"]
        else:  # the whole suite collected (imported), its server tests of test_cli.py run
            assert whole[1][-1] == "--collect-only"
            assert "-m" not in whole[1]
            assert slow[1][-3:] == [*SERVER_BACKEND_ONLY, "tests/test_cli.py"]
