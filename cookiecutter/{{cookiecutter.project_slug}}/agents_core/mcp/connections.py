"""The process's MCP server connections: made through the SDK's MCP classes, lazily, shared.

Each declared server becomes one SDK server (`MCPServerStdio`, `MCPServerStreamableHttp` or
`MCPServerSse`) held by an SDK `MCPServerManager`, which connects and cleans it up in a task of
its own. Agents get a `ManagedMCPServer` in front of it: the first time a run lists its tools it
connects (once per event loop, shared by every agent and run of that loop). A server that cannot
start raises `MCPServerUnavailable` naming it, unless its declaration says `optional`, in which
case the agent runs without its tools. `close_mcp_servers()` ends them (CLI exit, API shutdown,
end of a flow or test).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.mcp import (
    MCPServer,
    MCPServerManager,
    MCPServerSse,
    MCPServerStdio,
    MCPServerStreamableHttp,
    create_static_tool_filter,
)
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED

from agents_core.exceptions import MCPServerUnavailable
from agents_core.registry.mcp_server_registry import (
    MCPServerDefinition,
    MCPServerRegistry,
    get_mcp_server_registry,
)

if TYPE_CHECKING:
    from agents import RunContextWrapper
    from agents.agent import AgentBase
    from mcp.types import CallToolResult, GetPromptResult, ListPromptsResult
    from mcp.types import Tool as MCPTool

logger = logging.getLogger(__name__)


def sdk_server(definition: MCPServerDefinition) -> MCPServer:
    """The SDK's MCP server object for a declaration (not connected)."""
    tool_filter = None
    if definition.allowed_tools is not None or definition.blocked_tools:
        tool_filter = create_static_tool_filter(
            allowed_tool_names=definition.allowed_tools,
            blocked_tool_names=definition.blocked_tools or None,
        )
    common: dict[str, Any] = {
        "name": definition.name,
        "cache_tools_list": True,
        "client_session_timeout_seconds": definition.call_timeout_seconds,
        "tool_filter": tool_filter,
        "require_approval": approval_policy(definition),
    }
    if definition.transport == "stdio":
        assert definition.command is not None
        command = sys.executable if definition.command == "python" else definition.command
        params: dict[str, Any] = {"command": command, "args": list(definition.args)}
        if definition.env:
            params["env"] = dict(definition.env)
        if definition.cwd:
            params["cwd"] = definition.cwd
        return MCPServerStdio(params=params, **common)  # type: ignore[arg-type]
    assert definition.url is not None
    http: dict[str, Any] = {"url": definition.url, "headers": dict(definition.headers)}
    http["timeout"] = definition.call_timeout_seconds
    if definition.transport == "sse":
        return MCPServerSse(params=http, **common)  # type: ignore[arg-type]
    return MCPServerStreamableHttp(params=http, **common)  # type: ignore[arg-type]


def approval_policy(definition: MCPServerDefinition) -> Any:
    """The SDK's `require_approval` value for a declaration (None: no approval needed)."""
    if definition.require_approval == "always":
        return "always"
    if isinstance(definition.require_approval, list):
        return {"always": {"tool_names": list(definition.require_approval)}}
    return None


@dataclass
class _Connection:
    server: MCPServer
    manager: MCPServerManager
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    connected: bool = False
    error: str | None = None


class MCPConnections:
    """The connected servers of one event loop, by name."""

    def __init__(self) -> None:
        self._connections: dict[str, _Connection] = {}

    async def connect(self, definition: MCPServerDefinition) -> MCPServer | None:
        """The connected SDK server; None when an optional one is down. Connects on first use."""
        name = definition.name
        connection = self._connections.get(name)
        if connection is None:
            server = sdk_server(definition)
            manager = MCPServerManager(
                [server],
                connect_timeout_seconds=definition.connect_timeout_seconds,
                cleanup_timeout_seconds=5.0,
                connect_in_parallel=True,  # a worker task owns the server: any task may close it
            )
            connection = self._connections[name] = _Connection(server, manager)
        async with connection.lock:
            if not connection.connected and connection.error is None:
                await connection.manager.connect_all()
                errors = connection.manager.errors
                if errors:
                    connection.error = _reason(next(iter(errors.values())), definition)
                else:
                    connection.connected = True
        if connection.error is not None:
            if definition.optional:
                return None
            raise MCPServerUnavailable(name, connection.error)
        return connection.server

    async def forget(self, name: str) -> None:
        """Drop a connection whose server went away; the next use starts it again."""
        connection = self._connections.pop(name, None)
        if connection is not None:
            try:
                await connection.manager.cleanup_all()
            except Exception as error:  # it is gone already
                logger.debug("Cleaning up MCP server %r after it closed: %s", name, error)

    def error(self, name: str) -> str | None:
        """Why the server could not start, once a connection was tried."""
        connection = self._connections.get(name)
        return connection.error if connection is not None else None

    async def close(self) -> None:
        connections, self._connections = self._connections, {}
        for name, connection in connections.items():
            try:
                await connection.manager.cleanup_all()
            except Exception as error:  # closing the others matters more
                logger.warning("Closing MCP server %r failed: %s", name, error)


def _reason(error: BaseException, definition: MCPServerDefinition) -> str:
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return f"it did not start within {definition.connect_timeout_seconds:g}s"
    text = str(error) or type(error).__name__
    cause = error.__cause__ or error.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text} ({cause})"
    if definition.transport == "stdio":
        command = " ".join([definition.command or "", *definition.args])
        return f"{text} [command: {command}]"
    return f"{text} [url: {definition.url}]"


_by_loop: dict[asyncio.AbstractEventLoop, MCPConnections] = {}


def connections() -> MCPConnections:
    """The connections of the running event loop (each loop has its own: tests, CLI commands)."""
    loop = asyncio.get_running_loop()
    for other in [other for other in _by_loop if other.is_closed()]:
        del _by_loop[other]
    found = _by_loop.get(loop)
    if found is None:
        found = _by_loop[loop] = MCPConnections()
    return found


async def close_mcp_servers() -> None:
    """Close the running loop's MCP server connections (the next use reconnects)."""
    found = _by_loop.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.close()


class ManagedMCPServer(MCPServer):
    """What an agent holds: a declared server, connected on first use and shared.

    The approval policy lives here (the SDK reads it from the object the agent holds); the tool
    filter and timeouts live on the SDK server behind it.
    """

    def __init__(self, definition: MCPServerDefinition) -> None:
        super().__init__(require_approval=approval_policy(definition))
        self.definition = definition

    @property
    def name(self) -> str:
        return self.definition.name

    async def _server(self) -> MCPServer | None:
        return await connections().connect(self.definition)

    async def connect(self) -> None:
        await self._server()

    async def cleanup(self) -> None:
        """Shared connections are closed by `close_mcp_servers`, not by one agent."""

    async def list_tools(
        self,
        run_context: RunContextWrapper[Any] | None = None,
        agent: AgentBase | None = None,
    ) -> list[MCPTool]:
        server = await self._server()
        if server is None:
            logger.warning("Optional MCP server %r is down; running without it.", self.name)
            return []
        return await server.list_tools(run_context, agent)

    async def call_tool(
        self, tool_name: str, arguments: dict[str, Any] | None, meta: dict[str, Any] | None = None
    ) -> CallToolResult:
        server = await self._server()
        if server is None:
            raise MCPServerUnavailable(self.name, "it is optional and did not start")
        try:
            return await server.call_tool(tool_name, arguments, meta=meta)
        except MCPError as error:
            if error.code == CONNECTION_CLOSED:  # it exited: this call fails, the next restarts it
                logger.warning(
                    "MCP server %r closed the connection; it restarts on next use.", self.name
                )
                await connections().forget(self.name)
            raise

    async def list_prompts(self) -> ListPromptsResult:
        server = await self._server()
        if server is None:
            raise MCPServerUnavailable(self.name, "it is optional and did not start")
        return await server.list_prompts()

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None
    ) -> GetPromptResult:
        server = await self._server()
        if server is None:
            raise MCPServerUnavailable(self.name, "it is optional and did not start")
        return await server.get_prompt(name, arguments)


def managed_servers(names: list[str], registry: MCPServerRegistry | None = None) -> list[MCPServer]:
    """The `ManagedMCPServer`s of declared names (unknown names raise `UnknownNameError`)."""
    registry = registry or get_mcp_server_registry()
    return [ManagedMCPServer(registry.get(name)) for name in names]
