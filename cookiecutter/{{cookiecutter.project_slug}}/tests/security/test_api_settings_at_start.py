"""The uvicorn factory (`uvicorn api:create_app --factory`) checks every setting first."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from agents_core.settings_check import EXIT_BAD_SETTING, SettingsError, load
from api import ApiSettings


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SESSION_URL", "mongo://x/y"),
{%- if cookiecutter.include_workflows %}
        ("WORKFLOW_EXECUTION", "cluster"),
{%- else %}
        ("MAX_BODY_BYTES", "lots"),
{%- endif %}
    ],
)
@pytest.mark.slow
def test_the_uvicorn_factory_exits_64_with_one_line(variable: str, value: str) -> None:
    command = [sys.executable, "-m", "uvicorn", "api:create_app", "--factory", "--port", "0"]
    done = subprocess.run(
        command,
        env={**os.environ, variable: value},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_BAD_SETTING
    (line,) = done.stderr.strip().splitlines()
    assert variable in line
    assert value in line
    assert "Traceback" not in done.stderr


def test_a_bad_api_key_is_named_but_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY", "two words")
    with pytest.raises(SettingsError) as refused:
        load(ApiSettings)
    assert "API_KEY='***'" in str(refused.value)
    assert "two words" not in str(refused.value)
