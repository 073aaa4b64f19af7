"""Read MCP server declarations from a TOML file (`mcp_servers.toml` by default).

    [servers.notes]
    transport = "stdio"
    command = "python"
    args = ["-m", "agents_core.mcp.notes_server"]

`${NAME}` in env, headers, url and args is replaced by the environment variable NAME, so
tokens stay out of the file; `${NAME:-default}` gives a default when NAME is not set. A missing
file declares no server.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from agents_core.exceptions import ConfigurationError
from agents_core.registry.mcp_server_registry import MCPServerDefinition

_FIELDS = tuple(f.name for f in dataclasses.fields(MCPServerDefinition) if f.name != "name")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_EXPANDED = ("env", "headers", "url", "args")


def load_servers_file(path: Path | str) -> list[MCPServerDefinition]:
    """The servers declared in `path`; an invalid file raises `ConfigurationError` naming why."""
    path = Path(path)
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"{path}: not a readable TOML file ({error}).") from error
    unknown = sorted(set(data) - {"servers"})
    if unknown:
        raise ConfigurationError(
            f"{path}: unknown top-level key(s) {', '.join(unknown)}; declare servers as "
            "[servers.<name>] tables."
        )
    servers = data.get("servers", {})
    if not isinstance(servers, dict):
        raise ConfigurationError(f"{path}: 'servers' must be a table of [servers.<name>] tables.")
    return [_definition(path, name, table) for name, table in servers.items()]


def _definition(path: Path, name: str, table: Any) -> MCPServerDefinition:
    where = f"{path}: [servers.{name}]"
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where} must be a table.")
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown key(s) {', '.join(unknown)}. Allowed: {', '.join(_FIELDS)}."
        )
    values = {
        key: _expand(where, key, value) if key in _EXPANDED else value
        for key, value in table.items()
    }
    if "transport" not in values:
        raise ConfigurationError(f"{where}: transport is required (stdio, streamable_http, sse).")
    cwd = values.get("cwd")
    if isinstance(cwd, str):
        values["cwd"] = str((path.parent / cwd).resolve())
    try:
        return MCPServerDefinition(name=name, **values)
    except ConfigurationError as error:
        raise ConfigurationError(f"{path}: {error}") from None
    except TypeError as error:
        raise ConfigurationError(f"{where}: {error}") from None


def _expand(where: str, key: str, value: Any) -> Any:
    if isinstance(value, str):
        return _VARIABLE.sub(
            lambda match: _variable(where, key, match.group(1), match.group(2)), value
        )
    if isinstance(value, list):
        return [_expand(where, key, item) for item in value]
    if isinstance(value, dict):
        return {name: _expand(where, key, item) for name, item in value.items()}
    return value


def _variable(where: str, key: str, name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ConfigurationError(
            f"{where}: {key} uses ${{{name}}}, but the environment variable {name} is not set."
        )
    return value
