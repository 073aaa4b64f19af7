"""Declaration files of `[<section>.<name>]` TOML tables (`mcp_servers.toml`, `a2a_agents.toml`).

`read_tables` reads one file's tables, `checked_table` refuses a table's unknown keys, and
`expand_variables` replaces `${NAME}` (or `${NAME:-default}`) with the environment variable
NAME, so tokens stay out of the files. Every error is a `ConfigurationError` naming the file,
the table and what is allowed.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from agents_core.exceptions import ConfigurationError

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def read_tables(path: Path, section: str, noun: str) -> dict[str, Any]:
    """The `[<section>.<name>]` tables of `path` by name (none when the file does not exist)."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"{path}: not a readable TOML file ({error}).") from error
    unknown = sorted(set(data) - {section})
    if unknown:
        raise ConfigurationError(
            f"{path}: unknown top-level key(s) {', '.join(unknown)}; declare {noun} as "
            f"[{section}.<name>] tables."
        )
    tables = data.get(section, {})
    if not isinstance(tables, dict):
        raise ConfigurationError(
            f"{path}: '{section}' must be a table of [{section}.<name>] tables."
        )
    return tables


def checked_table(where: str, table: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """`table` when it is a table of `fields` only; `where` names it in the error."""
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where} must be a table.")
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown key(s) {', '.join(unknown)}. Allowed: {', '.join(fields)}."
        )
    return table


def expand_variables(where: str, key: str, value: Any) -> Any:
    """`value` (a string, or lists and tables of them) with `${NAME}` replaced from the
    environment; an unset NAME without a default is refused."""
    if isinstance(value, str):
        return _VARIABLE.sub(
            lambda match: _variable(where, key, match.group(1), match.group(2)), value
        )
    if isinstance(value, list):
        return [expand_variables(where, key, item) for item in value]
    if isinstance(value, dict):
        return {name: expand_variables(where, key, item) for name, item in value.items()}
    return value


def _variable(where: str, key: str, name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ConfigurationError(
            f"{where}: {key} uses ${{{name}}}, but the environment variable {name} is not set."
        )
    return value
