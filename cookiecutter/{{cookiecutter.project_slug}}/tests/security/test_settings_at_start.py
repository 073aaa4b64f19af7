"""A bad setting stops the process at once: one line, the variable in capitals, exit status 64."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

import pytest

from agents_core._defaults import PROJECT_SLUG
from agents_core.config import get_settings
from agents_core.settings_check import EXIT_BAD_SETTING


def cli_main() -> Callable[[list[str]], int]:
    (script,) = entry_points(group="console_scripts", name=PROJECT_SLUG)
    main: Callable[[list[str]], int] = script.load()
    return main


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("LOG_LEVEL", "verbose", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        ("SESSION_URL", "mongo://x/y", "sqlite://"),
        ("MAX_TURNS", "0", "greater than or equal to 1"),
    ],
)
def test_the_cli_refuses_a_bad_setting_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    allowed: str,
) -> None:
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()

    assert cli_main()(["agents"]) == EXIT_BAD_SETTING

    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert variable in line
    assert value in line
    assert allowed in line
    assert "pydantic" not in line


def test_log_levels_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")
    get_settings.cache_clear()
    assert cli_main()(["agents"]) == 0
    assert get_settings().log_level == "DEBUG"
