"""prefect.yaml deploys every flow of the catalog, by its catalog name, onto the project's pool.

The deployment path itself (server, work pool, `prefect deploy`, worker, runs) is exercised for
real by the template's own tests (tests/test_deploy.py in the template repository).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows_core import list_flows
from workflows_core.pull_steps import PROJECT_ROOT, set_project_directory

PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"


def _config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    return config


def _deployments() -> dict[str, dict[str, Any]]:
    return {deployment["name"]: deployment for deployment in _config()["deployments"]}


def test_every_flow_has_a_deployment_named_after_it() -> None:
    deployments = _deployments()
    assert sorted(deployments) == sorted(info.name for info in list_flows())
    for info in list_flows():
        assert deployments[info.name]["entrypoint"] == info.entrypoint
        entry_file = info.entrypoint.split(":")[0]
        assert (PROJECT_ROOT / entry_file).is_file(), entry_file


def test_deployments_use_the_project_work_pool() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for deployment in _deployments().values():
        assert deployment["work_pool"]["name"] == project["project"]["name"]
        env = deployment["work_pool"]["job_variables"]["env"]
        assert env["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] == "true"


def test_the_pull_step_enters_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _config()["pull"] == [{"workflows_core.pull_steps.set_project_directory": {}}]
    monkeypatch.chdir(tmp_path)  # a worker starts flow runs in a temp dir

    output = set_project_directory()

    assert Path.cwd() == PROJECT_ROOT
    assert output == {"directory": str(PROJECT_ROOT)}
    assert (Path(os.getcwd()) / "prefect.yaml").is_file()
