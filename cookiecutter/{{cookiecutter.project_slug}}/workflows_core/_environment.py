"""Prefect's defaults for this project: state under the data dir, nothing sent home, quiet.

Prefect reads its settings (and creates ``PREFECT_HOME``, ``~/.prefect`` by default) when it is
first imported, so these defaults must be in the environment before that: `workflows_core`
calls `configure_prefect_environment()` first thing. Only this module may run before Prefect is
imported: it uses the standard library and agents_core's settings, nothing else.

Every value is a default (`os.environ.setdefault`): a ``PREFECT_*`` variable you set yourself,
e.g. ``PREFECT_API_URL`` to use a Prefect server, always wins.
"""

from __future__ import annotations

import os
from pathlib import Path

from agents_core.config import Settings
from agents_core.settings_check import load

PREFECT_DIR_NAME = "prefect"
"""Folder of Prefect's state (database, profiles, results) inside the project's DATA_DIR."""

EPHEMERAL_STARTUP_TIMEOUT_SECONDS = 120
"""Prefect's default (20 s) is too close to what its local server takes to start and migrate."""

_DEFAULTS: dict[str, str] = {
    # No usage statistics sent to Prefect: neither the client's nor the local server's.
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # Logs go to the console; sending them to the API as well only matters with a real server
    # (set it to true there to see task logs in the UI).
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(EPHEMERAL_STARTUP_TIMEOUT_SECONDS),
}


def prefect_home(data_dir: Path | None = None) -> Path:
    """Where Prefect keeps its state for this project: ``<DATA_DIR>/prefect``."""
    # Checked like every process's settings: a worker with a bad value fails with one line
    # naming the variable (SettingsError), not with a traceback.
    base = data_dir if data_dir is not None else load(Settings).data_dir
    return Path(base).expanduser().resolve() / PREFECT_DIR_NAME


def configure_prefect_environment() -> dict[str, str]:
    """Set this project's Prefect defaults in `os.environ`, keeping any value already set.

    Call it before the first ``import prefect``; later calls change nothing Prefect has read.

    Returns:
        The variables this call set (empty when every one was already set).
    """
    wanted = dict(_DEFAULTS)
    if "PREFECT_HOME" not in os.environ:
        home = prefect_home()
        # Prefect's local server does not create its home; its database would fail to open.
        home.mkdir(parents=True, exist_ok=True)
        wanted["PREFECT_HOME"] = str(home)
    applied = {name: value for name, value in wanted.items() if name not in os.environ}
    os.environ.update(applied)
    return applied
