"""Render the template with copier's Python API, and the table of answer combinations.

Renders come from a *git snapshot* of this repository: the files git would see in the working tree
(tracked and untracked, minus ignored and deleted ones) committed into a fresh repository in a temp
dir, rendered with `vcs_ref="HEAD"`. That behaves the same in a clean CI clone and in a dirty
developer tree (uncommitted edits are tested, and no DirtyLocalWarning is raised), and it never
depends on this repository's tags: without `vcs_ref` copier silently renders the last tag.

The render matrix (`Renderer.render`, 150-odd renders a session) renders the same snapshot from a
plain folder instead, with git hidden from copier: from git HEAD copier clones the repository for
every render and runs `git config core.fileMode` in the destination once per rendered file (300
processes; a no-op outside a git repository), 1.35 CPU-seconds a render against 0.5. The files are
the same byte for byte, modes included, except the answers file's `_commit` and `_src_path`
(tests/test_render.py::test_the_matrix_renders_what_git_head_renders). Renders that are synced,
updated or run (`Renderer.render_fresh`) come from git HEAD, as a user's do.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import yaml
from plumbum import local

from tests._jinja_cache import compiles_cached
from tests._tools import REPO_ROOT

COPIER_YML = REPO_ROOT / "copier.yml"


@dataclass(frozen=True)
class Axis:
    """One question of the matrix: its values, each with the label used in test ids."""

    values: Mapping[Any, str]
    # True when the answer changes the generated *code* (modules, dependencies): each value then
    # gets its own environment and runs the generated test suite (tests/test_generated.py).
    code: bool = False
    # The question only matters for some answers of the others (copier's `when:`). Where this
    # returns False the axis is left out of that combination (not passed, not in the id).
    when: Callable[[Mapping[str, Any]], bool] | None = None
    # For a non-code answer that changes a line or two (a license name): rather than multiply the
    # render matrix, its values take turns across the combinations of the other axes, so each
    # value is still rendered and checked many times, with every value of every other axis.
    rotate: bool = False


# THE table: every question whose answer changes the rendered files. Add a question here and the
# render matrix (all axes) and the generated-suite matrix (code axes) grow by themselves.
# tests/test_render.py::test_matrix_covers_every_choice_question fails when a bool or choice
# question of copier.yml is in neither this table nor NOT_IN_MATRIX.
MATRIX: dict[str, Axis] = {
    "include_api": Axis({True: "api", False: "noapi"}, code=True),
    "include_workflows": Axis({True: "wf", False: "nowf"}, code=True),
    "include_samples": Axis({True: "samples", False: "nosamples"}, code=True),
    # redis and pg run their generated suites against the servers .ci/run starts.
    "session_backend": Axis({"sqlite": "sqlite", "redis": "redis", "postgres": "pg"}, code=True),
    "license": Axis(
        {"MIT": "mit", "Apache-2.0": "apache", "Proprietary": "proprietary"}, rotate=True
    ),
    # Deployment files only (Dockerfile, compose.yaml, CI): rendered with every code combination
    # and checked by their own linters (tests/test_deploy_files.py).
    "include_docker": Axis({True: "docker", False: "nodocker"}),
    "ci": Axis({"github": "github", "gitlab": "gitlab", "none": "noci"}),
}

# Bool or choice questions that deliberately stay out of MATRIX, with the reason.
NOT_IN_MATRIX: dict[str, str] = {}


@dataclass(frozen=True)
class Combo:
    """One set of answers from MATRIX (the other questions keep their defaults)."""

    answers: tuple[tuple[str, Any], ...]

    @property
    def id(self) -> str:
        return "-".join(MATRIX[name].values[value] for name, value in self.answers)

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.answers)

    def __str__(self) -> str:
        return self.id


def combinations(*, code_only: bool = False) -> list[Combo]:
    """Every combination of MATRIX's axes (only its code axes with code_only), no duplicates.

    Rotating axes (`Axis.rotate`) do not multiply the list: each combination of the others takes
    the value at (sum of its values' positions) modulo their count, a Latin square, so every value
    of a rotating axis meets every value of each other axis.
    """
    names = [name for name, axis in MATRIX.items() if axis.code or not code_only]
    product_names = [name for name in names if not MATRIX[name].rotate]
    rotating = [name for name in names if MATRIX[name].rotate]
    seen: dict[tuple[tuple[str, Any], ...], None] = {}
    for positions in itertools.product(
        *(range(len(MATRIX[name].values)) for name in product_names)
    ):
        chosen = {
            name: list(MATRIX[name].values)[position]
            for name, position in zip(product_names, positions, strict=True)
        }
        for shift, name in enumerate(rotating):
            choices = list(MATRIX[name].values)
            chosen[name] = choices[(sum(positions) + shift) % len(choices)]
        chosen = {name: chosen[name] for name in names}  # MATRIX's order, for stable ids
        kept = tuple(
            (name, value) for name, value in chosen.items() if _applies(MATRIX[name], chosen)
        )
        seen.setdefault(kept, None)
    return [Combo(answers) for answers in seen]


def _applies(axis: Axis, chosen: Mapping[str, Any]) -> bool:
    return axis.when is None or axis.when(chosen)


def load_questions() -> dict[str, dict[str, Any]]:
    """The questions of copier.yml (settings starting with `_` left out)."""
    raw = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if not k.startswith("_") and isinstance(v, dict)}


def choice_values(question: Mapping[str, Any]) -> list[Any]:
    """The values (not the labels) of a question's `choices`."""
    choices = question.get("choices") or []
    if isinstance(choices, dict):
        return [v["value"] if isinstance(v, dict) else v for v in choices.values()]
    return [c[1] if isinstance(c, list | tuple) else c for c in choices]


# --- the template as copier sees it -----------------------------------------------------------

_SNAPSHOT_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".cache", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "site"
)


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def _working_tree_files() -> list[str] | None:
    """Files git would put in a commit of the working tree now, or None outside a git checkout."""
    if not (REPO_ROOT / ".git").exists():
        return None
    try:
        listed = _git("ls-files", "-z", "-co", "--exclude-standard", cwd=REPO_ROOT)
    except (OSError, subprocess.CalledProcessError):
        return None
    return sorted({f for f in listed.split("\0") if f and (REPO_ROOT / f).is_file()})


def snapshot_template(dest: Path) -> Path:
    """Commit the working tree's current files into a new git repository at `dest`."""
    files = _working_tree_files()
    if files is None:
        shutil.copytree(REPO_ROOT, dest, ignore=_SNAPSHOT_IGNORE, symlinks=True)
    else:
        for rel in files:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / rel, target, follow_symlinks=False)
    identity = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.invalid"]
    _git("-c", "init.defaultBranch=main", "init", "-q", cwd=dest)
    _git("add", "-A", cwd=dest)
    _git(*identity, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "snapshot", cwd=dest)
    return dest


def questions_only(src: Path, dest: Path) -> Path:
    """A plain folder with the template's questions and an empty tree: checks answers quickly.

    Everything beside copier.yml is kept (includes, external data); of the `_subdirectory` only the
    answers-file template stays, so nothing is rendered and nothing is cloned.
    """
    config = yaml.safe_load((src / "copier.yml").read_text(encoding="utf-8"))
    subdir = str(config.get("_subdirectory", "")).strip("/")
    skipped = {".git", subdir} if subdir else {".git"}
    shutil.copytree(src, dest, ignore=lambda d, names: skipped if Path(d) == src else set())
    if subdir:
        (dest / subdir).mkdir(parents=True, exist_ok=True)
        for answers_template in (src / subdir).glob("*answers_file*"):
            shutil.copy2(answers_template, dest / subdir / answers_template.name)
    return dest


def copy(src: Path, dst: Path, data: Mapping[str, Any], **kwargs: Any) -> copier.Worker:
    """`copier copy --defaults` through the Python API, as the tests use it everywhere."""
    options: dict[str, Any] = {
        "defaults": True,
        "vcs_ref": "HEAD" if (src / ".git").exists() else None,
        "unsafe": False,
        "quiet": True,
    }
    options.update(kwargs)
    with compiles_cached():  # about half of a render's CPU (tests/_jinja_cache.py)
        return copier.run_copy(str(src), dst, data=dict(data), **options)


def plain_tree(src: Path, dest: Path) -> Path:
    """The files of the git snapshot `src` (its working tree is its HEAD), in a plain folder."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".git"), symlinks=True)
    return dest


def _inside_git_repository(path: Path) -> bool:
    found = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, check=False
    )
    return found.returncode == 0


def copy_without_git(src: Path, dst: Path, data: Mapping[str, Any], empty: Path) -> None:
    """`copy` from a plain folder with no `git` on copier's PATH (`empty`: an empty folder).

    Without git copier skips its per-file `git config core.fileMode` call in the destination,
    which only matters inside a git repository (the caller checks that `dst` is not in one).
    """
    assert not (src / ".git").exists(), src
    with local.env(PATH=str(empty)):  # copier finds git through plumbum's copy of PATH
        copy(src, dst, data)


class Renderer:
    """Renders answer sets once per session (per xdist worker) and hands out the cached tree."""

    def __init__(self, src: Path, out_root: Path, plain: Path | None = None) -> None:
        self.src = src
        self.out_root = out_root
        self._cache: dict[str, Path] = {}
        # The snapshot as a plain folder, for the matrix's renders (see the module's docstring);
        # used only where the renders land outside any git repository.
        self.plain = plain if plain and not _inside_git_repository(out_root) else None
        self._empty = out_root / ".no-git-on-path"
        self._empty.mkdir(exist_ok=True)

    @staticmethod
    def key(data: Mapping[str, Any]) -> str:
        return json.dumps(dict(data), sort_keys=True, default=str)

    def render(self, data: Mapping[str, Any], name: str | None = None) -> Path:
        """The rendered tree of `data` (shared: do not modify it)."""
        key = self.key(data)
        if key not in self._cache:
            dst = self.out_root / (name or f"render-{len(self._cache)}")
            if dst.exists():
                shutil.rmtree(dst)
            if self.plain is not None:
                copy_without_git(self.plain, dst, data, self._empty)
            else:
                copy(self.src, dst, data)
            self._cache[key] = dst
        return self._cache[key]

    def render_fresh(self, data: Mapping[str, Any], dst: Path) -> Path:
        """A private render of `data` at `dst`, for tests that change the tree (uv sync, ...)."""
        copy(self.src, dst, data)
        return dst


def files_of(tree: Path) -> Iterable[Path]:
    """Every file of a rendered tree, skipping what tools create inside it."""
    skip = {".git", ".venv", "__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"}
    for path in sorted(tree.rglob("*")):
        if path.is_file() and not skip.intersection(path.relative_to(tree).parts):
            yield path
