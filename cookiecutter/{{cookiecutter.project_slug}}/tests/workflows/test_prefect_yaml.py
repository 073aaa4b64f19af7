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
# The same deployments on a Docker work pool, in the project's image (with include_docker).
PREFECT_DOCKER_YAML = PROJECT_ROOT / "prefect-docker.yaml"
FILES = [p.name for p in (PREFECT_YAML, PREFECT_DOCKER_YAML) if p.is_file()]


def _config(name: str = "prefect.yaml") -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / name).read_text(encoding="utf-8"))
    return config


def _deployments(name: str = "prefect.yaml") -> dict[str, dict[str, Any]]:
    return {deployment["name"]: deployment for deployment in _config(name)["deployments"]}


def _slug() -> str:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(project["project"]["name"])


@pytest.mark.parametrize("name", FILES)
def test_every_flow_has_a_deployment_named_after_it(name: str) -> None:
    deployments = _deployments(name)
    assert sorted(deployments) == sorted(info.name for info in list_flows())
    for info in list_flows():
        assert deployments[info.name]["entrypoint"] == info.entrypoint
        entry_file = info.entrypoint.split(":")[0]
        assert (PROJECT_ROOT / entry_file).is_file(), entry_file


def test_deployments_use_the_project_work_pool() -> None:
    for deployment in _deployments().values():
        assert deployment["work_pool"]["name"] == _slug()
        env = deployment["work_pool"]["job_variables"]["env"]
        assert env["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] == "true"


@pytest.mark.skipif(not PREFECT_DOCKER_YAML.is_file(), reason="the project has no Docker files")
def test_docker_deployments_run_the_image_compose_builds() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8"))
    image = compose["services"]["worker"]["image"]
    assert _config("prefect-docker.yaml")["pull"] == _config()["pull"]
    for deployment in _deployments("prefect-docker.yaml").values():
        pool = deployment["work_pool"]
        assert pool["name"] == f"{_slug()}-docker"
        assert pool["job_variables"]["image"] == image
        assert pool["job_variables"]["networks"] == [f"{compose['name']}_default"]
        assert pool["job_variables"]["env"]["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] == "true"


def test_the_pull_step_enters_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _config()["pull"] == [{"workflows_core.pull_steps.set_project_directory": {}}]
    monkeypatch.chdir(tmp_path)  # a worker starts flow runs in a temp dir

    output = set_project_directory()

    assert Path.cwd() == PROJECT_ROOT
    assert output == {"directory": str(PROJECT_ROOT)}
    assert (Path(os.getcwd()) / "prefect.yaml").is_file()
