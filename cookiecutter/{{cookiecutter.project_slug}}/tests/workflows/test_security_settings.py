"""Processes that import workflows_core (Prefect workers' flow runs) check the settings first."""

from __future__ import annotations

import pytest

from agents_core.settings_check import SettingsError
from workflows_core._environment import prefect_home


def test_a_bad_setting_fails_with_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_MAX_ITEMS", "many")
    with pytest.raises(SettingsError) as refused:
        prefect_home()
    (line,) = str(refused.value).splitlines()
    assert line.startswith("SESSION_MAX_ITEMS='many' is not allowed: ")
