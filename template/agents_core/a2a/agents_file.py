"""Read remote A2A agents from a TOML file (`a2a_agents.toml` by default, `A2A_AGENTS_FILE`).

    [a2a.billing]
    url = "https://billing.example.com"
    api_key_env = "BILLING_A2A_KEY"
    timeout_seconds = 60

Each `[a2a.<name>]` table becomes the tool `<name>` (see `register_a2a_agent`). `${NAME}` in
url and headers is replaced by the environment variable NAME (`${NAME:-default}` too), as in
`mcp_servers.toml`. A missing file declares no agent.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents_core.exceptions import ConfigurationError
from agents_core.utils.toml_tables import checked_table, expand_variables, read_tables

if TYPE_CHECKING:
    from agents_core.a2a.remote_agent import A2AAgentDefinition

# The A2A client (httpx, the auth helpers) is imported only when the file declares an agent: a
# project without one does not pay for it at every command's start (~0.1 s).


def load_a2a_agents_file(path: Path | str) -> list[A2AAgentDefinition]:
    """The agents declared in `path`; an invalid file raises `ConfigurationError` naming why."""
    path = Path(path)
    tables = read_tables(path, "a2a", "agents")
    return [_definition(path, name, table) for name, table in tables.items()]


def _definition(path: Path, name: str, table: Any) -> A2AAgentDefinition:
    from agents_core.a2a.remote_agent import A2AAgentDefinition

    where = f"{path}: [a2a.{name}]"
    fields = tuple(f.name for f in dataclasses.fields(A2AAgentDefinition) if f.name != "name")
    table = checked_table(where, table, fields)
    if "url" not in table:
        raise ConfigurationError(f"{where}: url is required.")
    values = {
        key: expand_variables(where, key, value) if key in ("url", "headers") else value
        for key, value in table.items()
    }
    try:
        return A2AAgentDefinition(name=name, **values)
    except ConfigurationError as error:
        raise ConfigurationError(f"{path}: {error}") from None
    except TypeError as error:
        raise ConfigurationError(f"{where}: {error}") from None


def register_a2a_agents_file(path: Path | str | None = None) -> list[A2AAgentDefinition]:
    """Register the tools of the agents in `path` (None: the `A2A_AGENTS_FILE` setting)."""
    if path is None:
        from agents_core.config import get_settings

        path = get_settings().a2a_agents_file
    definitions = load_a2a_agents_file(path)
    if not definitions:
        return definitions
    from agents_core.a2a.remote_agent import register_remote_agent

    for definition in definitions:
        register_remote_agent(definition)
    return definitions
