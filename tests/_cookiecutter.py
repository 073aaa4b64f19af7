"""Render the template's cookiecutter form (cookiecutter/) and compare it with copier's render."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cookiecutter.main import cookiecutter

from tests._jinja_cache import compiles_cached
from tests._render import files_of

COOKIECUTTER_DIR = "cookiecutter"
# What only copier writes: its answers file (cruft writes .cruft.json itself, cookiecutter nothing).
COPIER_ONLY_FILES = frozenset({".copier-answers.yml"})


def cookiecutter_render(
    src: Path, data: Mapping[str, Any], output_dir: Path, *, tool: str | None = "copier"
) -> Path:
    """Render `src`'s cookiecutter/ with `data` (no prompts) into `output_dir`; the project dir.

    `tool` overrides the computed `update_tool` ("copier": the files copier renders; None: the
    cruft flavour a cookiecutter user gets).
    """
    context: dict[str, Any] = dict(data)
    if tool is not None:
        context["__update_tool"] = tool
    output_dir.mkdir(parents=True, exist_ok=True)
    with compiles_cached():
        project = cookiecutter(
            str(src),
            directory=COOKIECUTTER_DIR,
            no_input=True,
            extra_context=context,
            output_dir=str(output_dir),
        )
    return Path(project)


def tree_differences(
    copier_tree: Path, cookiecutter_tree: Path, ignore: Iterable[str] = ()
) -> list[str]:
    """Relative paths that differ in content, or exist in only one tree."""
    skipped = COPIER_ONLY_FILES | set(ignore)

    def contents(tree: Path) -> dict[str, bytes]:
        return {
            rel: path.read_bytes()
            for path in files_of(tree)
            if (rel := path.relative_to(tree).as_posix()) not in skipped
        }

    left, right = contents(copier_tree), contents(cookiecutter_tree)
    only_copier = [f"only copier: {rel}" for rel in sorted(left.keys() - right.keys())]
    only_cookie = [f"only cookiecutter: {rel}" for rel in sorted(right.keys() - left.keys())]
    changed = [
        f"differs: {rel}" for rel in sorted(left.keys() & right.keys()) if left[rel] != right[rel]
    ]
    return only_copier + only_cookie + changed
