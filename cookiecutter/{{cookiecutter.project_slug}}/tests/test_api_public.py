"""The api package's public API: `__all__` is exactly what `api/__init__.py` exports."""

from __future__ import annotations

import ast
from pathlib import Path

import api


def _bound_at_top_level(tree: ast.Module) -> set[str]:
    """Public names `__init__.py` binds itself: imports, definitions and assignments."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return {name for name in names if not name.startswith("_") and name != "annotations"}


def test_all_matches_what_the_package_exports() -> None:
    tree = ast.parse(Path(api.__file__).read_text(encoding="utf-8"))
    assert sorted(api.__all__) == api.__all__, "keep __all__ sorted"
    assert len(set(api.__all__)) == len(api.__all__)
    assert set(api.__all__) == _bound_at_top_level(tree)


def test_every_exported_name_exists() -> None:
    missing = [name for name in api.__all__ if not hasattr(api, name)]
    assert missing == []
