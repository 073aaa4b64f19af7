"""workflows_core's public API and its Prefect environment."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import workflows_core
from workflows_core._environment import configure_prefect_environment, prefect_home

PACKAGES = ["workflows_core", "workflows_core.flows", "workflows_core.flows.orchestration"]


@pytest.mark.parametrize("package", [*PACKAGES, "workflows_core.tasks"])
def test_all_names_exist_and_are_unique(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__
    assert len(set(module.__all__)) == len(module.__all__)
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


@pytest.mark.parametrize("package", PACKAGES)
def test_all_lists_every_public_name(package: str) -> None:
    module = importlib.import_module(package)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith(package)
        and not isinstance(value, type(importlib))
    }
    assert public - set(module.__all__) == set()


def test_defaults_never_override_your_prefect_settings(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    for name in ("PREFECT_HOME", "DO_NOT_TRACK", "PREFECT_LOGGING_TO_API_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREFECT_LOGGING_TO_API_ENABLED", "true")

    applied = configure_prefect_environment()

    assert applied["PREFECT_HOME"] == str(data_dir.resolve() / "prefect")
    assert (data_dir / "prefect").is_dir()
    assert applied["DO_NOT_TRACK"] == "1"
    assert "PREFECT_LOGGING_TO_API_ENABLED" not in applied
    assert configure_prefect_environment() == {}


def test_prefect_home_is_under_the_data_dir(data_dir: Path) -> None:
    assert prefect_home() == data_dir.resolve() / "prefect"
    assert workflows_core.configure_prefect_environment is configure_prefect_environment
