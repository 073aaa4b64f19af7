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
from pathlib import Path
from typing import Any

from agents_core.exceptions import ConfigurationError
from agents_core.registry.mcp_server_registry import MCPServerDefinition
from agents_core.utils.toml_tables import checked_table, expand_variables, read_tables

_FIELDS = tuple(f.name for f in dataclasses.fields(MCPServerDefinition) if f.name != "name")
_EXPANDED = ("env", "headers", "url", "args")


def load_servers_file(path: Path | str) -> list[MCPServerDefinition]:
    """The servers declared in `path`; an invalid file raises `ConfigurationError` naming why."""
    path = Path(path)
    tables = read_tables(path, "servers", "servers")
    return [_definition(path, name, table) for name, table in tables.items()]


def _definition(path: Path, name: str, table: Any) -> MCPServerDefinition:
    where = f"{path}: [servers.{name}]"
    table = checked_table(where, table, _FIELDS)
    values = {
        key: expand_variables(where, key, value) if key in _EXPANDED else value
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
