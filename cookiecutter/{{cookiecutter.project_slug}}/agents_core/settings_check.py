"""Every setting checked when a process starts: a bad value is one line and exit status 64.

The CLI, `serve`, the uvicorn factory (`api:create_app`) and the workflows' processes read their
settings through here, so a wrong value stops them at once, with a line such as::

    error: LOG_LEVEL='verbose' is not allowed: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'

instead of starting and failing every request later. 64 is `EX_USAGE` of sysexits.h.
"""

from __future__ import annotations

import sys
from typing import Any, Final, TextIO, TypeVar

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings

from agents_core.config import Settings
from agents_core.exceptions import ConfigurationError
from agents_core.observability.redaction import redact

EXIT_BAD_SETTING: Final = 64
_SHOWN_CHARS: Final = 60

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class SettingsError(ConfigurationError):
    """One or more settings have values that are not allowed; the message is a single line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _variable(settings_class: type[BaseSettings], field: str) -> str:
    prefix = str(settings_class.model_config.get("env_prefix") or "")
    info = settings_class.model_fields.get(field)
    name = info.alias if info is not None and info.alias else field
    return f"{prefix}{name}".upper()


def _shown(settings_class: type[BaseSettings], field: str, value: Any) -> str:
    info = settings_class.model_fields.get(field)
    if info is not None and "SecretStr" in repr(info.annotation):
        return "'***'"
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    text = str(text)
    if len(text) > _SHOWN_CHARS:
        text = text[:_SHOWN_CHARS] + "…"
    return repr(text)


def describe(error: ValidationError, settings_class: type[BaseSettings]) -> list[str]:
    """One phrase per bad setting: the variable in capitals, its value, what is allowed."""
    problems: list[str] = []
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        allowed = str(item["msg"]).removeprefix("Value error, ")
        if not field:
            problems.append(allowed)
            continue
        value = _shown(settings_class, field, item.get("input"))
        problems.append(f"{_variable(settings_class, field)}={value} is not allowed: {allowed}")
    return problems


def load(settings_class: type[SettingsT]) -> SettingsT:
    """`settings_class()` read from the environment and `.env`, or a `SettingsError`."""
    try:
        settings = settings_class()
    except ValidationError as error:
        raise SettingsError(describe(error, settings_class)) from None
    if isinstance(settings, Settings):
        _check_session_url(settings)
    return settings


def _check_session_url(settings: Settings) -> None:
    if not settings.session_url:
        return
    from agents_core.session.backends import require_backend, sqlite_path

    try:
        if require_backend(settings.session_url) == "sqlite":
            sqlite_path(settings.session_url)
    except ConfigurationError as error:
        raise SettingsError([f"SESSION_URL is not allowed: {error}"]) from None


def exit_on_bad_settings(
    *settings_classes: type[BaseSettings], stream: TextIO | None = None
) -> None:
    """Load each class once; on a bad value print one line and exit with status 64."""
    try:
        for settings_class in settings_classes or (Settings,):
            load(settings_class)
    except SettingsError as error:
        print(f"error: {redact(str(error))}", file=stream or sys.stderr, flush=True)
        raise SystemExit(EXIT_BAD_SETTING) from None
