"""MCP servers declared as data: `MCPServerDefinition` and the MCP server registry.

A declaration says how to reach a server (a command over stdio, or a URL over streamable HTTP
or SSE), which of its tools agents may see, its timeouts, whether its tools need approval and
whether an agent may run without it. `agents_core.mcp` connects them through the SDK's MCP
classes. Servers come from the project's `mcp_servers.toml` (setting `MCP_SERVERS_FILE`) and
from `register_mcp_server` calls in your own modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, get_args

from agents_core.exceptions import ConfigurationError
from agents_core.registry._base import Registry

Transport = Literal["stdio", "streamable_http", "sse"]
Approval = Literal["always", "never"]
TRANSPORTS: tuple[str, ...] = get_args(Transport)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}\Z")


@dataclass
class MCPServerDefinition:
    """How to reach one MCP server, as data."""

    name: str
    """Unique name; agents list it in `AgentDefinition.mcp_servers`."""
    transport: Transport
    """stdio (a command the project starts), streamable_http or sse (a URL)."""
    command: str | None = None
    """stdio: the program to start; `python` is the project's own interpreter."""
    args: list[str] = field(default_factory=list)
    """stdio: its arguments."""
    env: dict[str, str] = field(default_factory=dict)
    """stdio: extra environment variables (the server does not inherit the project's secrets)."""
    inherit_env: list[str] | None = None
    """stdio: names of the project's environment variables the server inherits when set;
    None: the certificate and proxy variables (`agents_core.mcp.connections.INHERITED_ENV`),
    [] none of them."""
    cwd: str | None = None
    """stdio: working directory (relative to the declaring file's folder); None: current one."""
    url: str | None = None
    """streamable_http / sse: the endpoint, http(s)://..."""
    headers: dict[str, str] = field(default_factory=dict)
    """streamable_http / sse: HTTP headers sent on every request (e.g. Authorization)."""
    allowed_tools: list[str] | None = None
    """Only these tools of the server reach agents; None: all of them."""
    blocked_tools: list[str] = field(default_factory=list)
    """These tools never reach agents."""
    connect_timeout_seconds: float = 10.0
    """How long starting and initializing the server may take."""
    call_timeout_seconds: float = 30.0
    """How long one request (list tools, call a tool) may take."""
    require_approval: Approval | list[str] = "never"
    """always, never, or the names of the tools whose calls need a human's approval."""
    optional: bool = False
    """True: an agent runs without this server when it cannot start; False: the run fails."""
    description: str = ""
    """One line on what the server offers; `mcp list` shows it."""

    def __post_init__(self) -> None:
        where = f"MCP server {self.name!r}"
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ConfigurationError(
                f"MCP server name {self.name!r} must start with a letter and use letters, "
                "digits, '_' or '-' (at most 64)."
            )
        if self.transport not in TRANSPORTS:
            raise ConfigurationError(
                f"{where}: transport {self.transport!r} is not one of {', '.join(TRANSPORTS)}."
            )
        if self.transport == "stdio":
            if not self.command:
                raise ConfigurationError(f"{where}: transport stdio needs a command.")
            if self.url:
                raise ConfigurationError(f"{where}: url is for streamable_http and sse, not stdio.")
        else:
            if not self.url or not self.url.startswith(("http://", "https://")):
                raise ConfigurationError(
                    f"{where}: transport {self.transport} needs an http:// or https:// url, "
                    f"got {self.url!r}."
                )
            if self.command or self.args:
                raise ConfigurationError(
                    f"{where}: command and args are for stdio, not {self.transport}."
                )
        for label in ("connect_timeout_seconds", "call_timeout_seconds"):
            value = getattr(self, label)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ConfigurationError(
                    f"{where}: {label} must be a positive number of seconds, got {value!r}."
                )
            if value > 3600:
                raise ConfigurationError(f"{where}: {label} must be at most 3600, got {value!r}.")
        approval = self.require_approval
        if isinstance(approval, list):
            _check_names(where, "require_approval", approval)
        elif approval not in get_args(Approval):
            raise ConfigurationError(
                f"{where}: require_approval must be 'always', 'never' or a list of tool names, "
                f"got {approval!r}."
            )
        if self.allowed_tools is not None:
            _check_names(where, "allowed_tools", self.allowed_tools)
        _check_names(where, "blocked_tools", self.blocked_tools)
        for label in ("env", "headers"):
            mapping = getattr(self, label)
            if not isinstance(mapping, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
            ):
                raise ConfigurationError(f"{where}: {label} must map names to strings.")
        if self.inherit_env is not None and not (
            isinstance(self.inherit_env, list)
            and all(isinstance(n, str) and n for n in self.inherit_env)
        ):
            raise ConfigurationError(
                f"{where}: inherit_env must be a list of environment variable names."
            )
        if not isinstance(self.args, list) or not all(isinstance(a, str) for a in self.args):
            raise ConfigurationError(f"{where}: args must be a list of strings.")
        if not isinstance(self.optional, bool):
            raise ConfigurationError(f"{where}: optional must be true or false.")


def _check_names(where: str, label: str, names: object) -> None:
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ConfigurationError(f"{where}: {label} must be a list of tool names, got {names!r}.")


class MCPServerRegistry(Registry[MCPServerDefinition]):
    """Declared MCP servers by name. The first lookup also reads the `MCP_SERVERS_FILE` file."""

    kind = "MCP server"

    def __init__(self, *, load_file: bool = False) -> None:
        super().__init__()
        self._file_pending = load_file

    def _ensure_discovered(self) -> None:
        super()._ensure_discovered()
        if self._file_pending:
            self._file_pending = False
            from agents_core.config import get_settings
            from agents_core.mcp.servers_file import load_servers_file

            for definition in load_servers_file(get_settings().mcp_servers_file):
                self.add(definition.name, definition)

    def register(
        self, definition: MCPServerDefinition, *, replace: bool = False
    ) -> MCPServerDefinition:
        return self.add(definition.name, definition, replace=replace)

    def clear(self) -> None:
        super().clear()
        self._file_pending = False

    def restore(self, snapshot: dict[str, MCPServerDefinition]) -> None:
        super().restore(snapshot)
        self._file_pending = False


_mcp_server_registry = MCPServerRegistry(load_file=True)


def get_mcp_server_registry() -> MCPServerRegistry:
    """The default MCP server registry; it reads `MCP_SERVERS_FILE` on first lookup."""
    return _mcp_server_registry


def register_mcp_server(
    definition: MCPServerDefinition, *, replace: bool = False
) -> MCPServerDefinition:
    """Declare an MCP server in code (next to, or instead of, `mcp_servers.toml`)."""
    return _mcp_server_registry.register(definition, replace=replace)
