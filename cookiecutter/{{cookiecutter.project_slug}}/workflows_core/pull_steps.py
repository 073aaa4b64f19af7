"""Prefect pull steps of this project's deployments (`prefect.yaml`).

A worker runs each flow run in a fresh process, by default in a temp dir. The pull step
`set_project_directory` moves it to the root of the worker's own checkout of this project
(wherever it lives on that machine), so flow runs find `.env`, `data/` and the entrypoints
(``workflows_core/flows/...``) as the CLI does. It needs the project installed in the worker's
environment (`uv sync`), which is how the worker imports this module at all.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The project's root: the folder holding `workflows_core/` and `prefect.yaml`."""


def set_project_directory() -> dict[str, str]:
    """Enter `PROJECT_ROOT`; returns ``{"directory": ...}`` for later steps, as Prefect's do."""
    os.chdir(PROJECT_ROOT)
    return {"directory": str(PROJECT_ROOT)}
