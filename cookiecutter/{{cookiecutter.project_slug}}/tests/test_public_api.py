"""The public API: `__all__` matches what is exported, and importing the package stays cheap."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import agents_core

SUBPACKAGES = [
    "agents_core.approvals",
    "agents_core.auth",
    "agents_core.core",
    "agents_core.instructions",
    "agents_core.llm",
    "agents_core.models",
    "agents_core.models.outputs",
    "agents_core.registry",
    "agents_core.services",
    "agents_core.session",
    "agents_core.utils",
]

PROJECT_ROOT = Path(agents_core.__file__).resolve().parent.parent


def test_all_is_the_lazy_export_table() -> None:
    assert agents_core.__all__ == sorted(agents_core._EXPORTS)
    assert len(set(agents_core.__all__)) == len(agents_core.__all__)


@pytest.mark.parametrize("name", agents_core.__all__)
def test_every_exported_name_resolves_to_its_module_attribute(name: str) -> None:
    value = getattr(agents_core, name)
    home = importlib.import_module(agents_core._EXPORTS[name])
    assert value is getattr(home, name)
    assert name in dir(agents_core)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        _ = agents_core.NoSuchThing


def _type_checking_imports(tree: ast.Module) -> dict[str, tuple[str, bool]]:
    """Names imported under `if TYPE_CHECKING:`: name -> (module, imported as itself)."""
    found: dict[str, tuple[str, bool]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    for alias in statement.names:
                        found[alias.asname or alias.name] = (
                            statement.module,
                            alias.asname == alias.name,
                        )
    return found


def _literal_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            return [ast.literal_eval(element) for element in node.value.elts]
    return None


def test_type_checkers_see_every_lazy_export() -> None:
    """`from agents_core import X` must type-check: mypy and pyright do not run __getattr__.

    They see a name only through the `if TYPE_CHECKING:` imports, and treat it as public only
    when `__all__` is a literal list naming it or the import re-exports it (`import X as X`).
    """
    tree = ast.parse(Path(agents_core.__file__).read_text(encoding="utf-8"))
    imported = _type_checking_imports(tree)
    literal_all = _literal_all(tree)
    wrong_module = {
        name: imported.get(name, ("not imported", False))[0]
        for name, module in agents_core._EXPORTS.items()
        if imported.get(name, ("", False))[0] != module
    }
    assert wrong_module == {}
    hidden = [
        name
        for name in agents_core._EXPORTS
        if not imported[name][1] and (literal_all is None or name not in literal_all)
    ]
    assert hidden == [], "make __all__ a literal list, or import these as `X as X`"


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_subpackage_all_names_exist(package: str) -> None:
    module = importlib.import_module(package)
    names: list[str] = module.__all__
    assert names, f"{package}.__all__ is empty"
    assert len(set(names)) == len(names)
    missing = [name for name in names if not hasattr(module, name)]
    assert missing == []


_PROBE = """
import json, sys
import agents_core
after_import = sorted(m for m in ("agents", "prefect", "fastapi", "openai") if m in sys.modules)
agents_core.AgentContext
agents_core.Settings
after_light_names = sorted(m for m in ("agents", "prefect", "fastapi") if m in sys.modules)
print(json.dumps({
    "after_import": after_import,
    "after_light_names": after_light_names,
    "context_loaded": "agents_core.models.context" in sys.modules,
}))
"""


@pytest.mark.slow
def test_import_is_lazy_in_a_fresh_interpreter() -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    # `import agents_core` alone imports neither the SDK nor the optional layers ...
    assert report["after_import"] == []
    # ... and names that do not need them keep it that way.
    assert report["context_loaded"] is True
    assert report["after_light_names"] == []
