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
import os
import sys
import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from agents.mcp import (
    MCPServer,
    MCPServerManager,
    MCPServerSse,
    MCPServerStdio,
    MCPServerStreamableHttp,
    MCPToolMetaContext,
    create_static_tool_filter,
)
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED

from agents_core.exceptions import MCPServerUnavailable
from agents_core.registry.mcp_server_registry import (
    MCPServerDefinition,
    MCPServerRegistry,
    get_mcp_server_registry,
)
from agents_core.registry.tool_registry import tool_error_message

if TYPE_CHECKING:
    from agents import RunContextWrapper
    from agents.agent import AgentBase
    from mcp.types import CallToolResult, GetPromptResult, ListPromptsResult
    from mcp.types import Tool as MCPTool

logger = logging.getLogger(__name__)
stderr_logger = logging.getLogger("agents_core.mcp.stderr")
"""Each line a stdio server writes on its stderr, at INFO (LOG_LEVEL=INFO shows them)."""

INHERITED_ENV = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
)
"""Variables a stdio server inherits from the project's environment (besides the MCP SDK's own
PATH, HOME, USER, SHELL, TERM, LOGNAME) unless its declaration's `inherit_env` says otherwise:
the certificate authority and proxy settings that `uvx` and `npx` servers need to download
behind a company proxy. Secrets (API keys) are never inherited: pass them in `env`."""
_STDERR_TAIL = 8


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
        params["env"] = server_environment(definition)
        if definition.cwd:
            params["cwd"] = definition.cwd
        return LoggedStdioServer(params=params, **common)  # type: ignore[arg-type]
    assert definition.url is not None
    http: dict[str, Any] = {"url": definition.url, "headers": dict(definition.headers)}
    http["timeout"] = definition.call_timeout_seconds
    if definition.transport == "sse":
        return MCPServerSse(params=http, **common)  # type: ignore[arg-type]
    return MCPServerStreamableHttp(params=http, **common)  # type: ignore[arg-type]


def server_environment(definition: MCPServerDefinition) -> dict[str, str]:
    """The variables a stdio server gets beyond the MCP SDK's defaults: the inherited ones
    that are set (`inherit_env`, default `INHERITED_ENV`), then the declaration's `env`."""
    names = INHERITED_ENV if definition.inherit_env is None else definition.inherit_env
    inherited = {name: os.environ[name] for name in names if name in os.environ}
    return inherited | dict(definition.env)


class _StderrRelay:
    """Reads a server's stderr on a thread: each line to the log, the last ones kept."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.lines: deque[str] = deque(maxlen=_STDERR_TAIL)
        self.finished = threading.Event()
        read_end, write_end = os.pipe()
        self.writer: TextIO = os.fdopen(write_end, "w")
        reader = threading.Thread(
            target=self._read, args=(read_end,), name=f"mcp-stderr-{server}", daemon=True
        )
        reader.start()

    def _read(self, read_end: int) -> None:
        with os.fdopen(read_end, encoding="utf-8", errors="replace") as stream:
            for raw in stream:
                line = raw.rstrip()
                if line:
                    self.lines.append(line)
                    stderr_logger.info("MCP server %r: %s", self.server, line)
        self.finished.set()

    def close_writer(self) -> None:
        if not self.writer.closed:
            self.writer.close()

    def tail(self) -> str:
        return " | ".join(self.lines)


class LoggedStdioServer(MCPServerStdio):
    """The SDK's stdio server, whose stderr goes to the log (not the terminal) and whose start
    failures can say why: the exit status and the last lines it wrote."""

    relay: _StderrRelay | None = None
    process: Any = None

    @asynccontextmanager
    async def create_streams(self) -> AsyncIterator[Any]:
        relay = self.relay = _StderrRelay(self.name)
        self.process = None
        try:
            streams = stdio_client(self.params, errlog=relay.writer)
            async with streams as transport:
                relay.close_writer()  # the child has its own copy: EOF when it exits
                self.process = _process_of(streams)
                yield transport
        finally:
            relay.close_writer()


def _process_of(context: Any) -> Any:
    """The process that `stdio_client` started (read from its suspended generator; None if
    the MCP SDK keeps it elsewhere)."""
    frame = getattr(getattr(context, "gen", None), "ag_frame", None)
    return frame.f_locals.get("process") if frame is not None else None


PRINCIPAL_META_KEY = "agents_core/principal"
"""The `_meta` key that names the run's principal on every MCP tool call."""


def principal_meta(context: MCPToolMetaContext) -> dict[str, Any] | None:
    """The run's principal as MCP request `_meta`, so a server keeps each user's data apart."""
    principal = getattr(context.run_context.context, "principal", None)
    principal_id = getattr(principal, "id", None)
    return {PRINCIPAL_META_KEY: principal_id} if isinstance(principal_id, str) else None


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
                    error = next(iter(errors.values()))
                    connection.error = await _reason(error, definition, connection.server)
                    logger.warning("MCP server %r is unavailable: %s", name, connection.error)
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


async def _reason(error: BaseException, definition: MCPServerDefinition, server: Any) -> str:
    """Why a server did not start, in a sentence: the cause, not the task group around it."""
    leaf = _leaf(error)
    if definition.transport != "stdio":
        return f"{_http_reason(leaf, definition)} [url: {definition.url}]"
    command = " ".join([definition.command or "", *definition.args])
    if isinstance(leaf, FileNotFoundError):
        return (
            f"command not found: {definition.command!r} (install it or put it on PATH) "
            f"[command: {command}]"
        )
    if isinstance(leaf, PermissionError):
        return f"command {definition.command!r} is not executable [command: {command}]"
    relay: _StderrRelay | None = getattr(server, "relay", None)
    status = await _exit_status(getattr(server, "process", None))
    if relay is not None:  # what it wrote before it died
        await asyncio.to_thread(relay.finished.wait, 1.0)
    said = f"; its last stderr lines: {relay.tail()}" if relay is not None and relay.lines else ""
    if isinstance(leaf, TimeoutError | asyncio.TimeoutError):
        text = (
            f"it did not answer the MCP handshake within {definition.connect_timeout_seconds:g}s "
            "(connect_timeout_seconds)"
        )
    elif status is not None:
        text = f"it exited with status {status} before the MCP handshake"
    elif isinstance(leaf, MCPError) and leaf.code == CONNECTION_CLOSED:
        text = "it closed the connection before the MCP handshake"
    else:
        text = str(leaf) or type(leaf).__name__
    return f"{text}{said} [command: {command}]"


def _leaf(error: BaseException) -> BaseException:
    """The first real cause inside exception groups (not a cancellation)."""
    while isinstance(error, BaseExceptionGroup):
        inner = [e for e in error.exceptions if not isinstance(e, asyncio.CancelledError)]
        error = (inner or list(error.exceptions))[0]
    return error


async def _exit_status(process: Any) -> int | None:
    if process is None:
        return None
    try:
        return int(await asyncio.wait_for(process.wait(), 1.0))
    except Exception:  # still running (a handshake timeout), or already reaped elsewhere
        code = getattr(process, "returncode", None)
        return code if isinstance(code, int) else None


def _http_reason(leaf: BaseException, definition: MCPServerDefinition) -> str:
    response = getattr(leaf, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return f"it answered HTTP {status}"
    if isinstance(leaf, TimeoutError | asyncio.TimeoutError):
        return f"it did not answer within {definition.connect_timeout_seconds:g}s"
    if "Connect" in type(leaf).__name__:
        return f"cannot connect ({type(leaf).__name__}: {leaf})"
    return str(leaf) or type(leaf).__name__


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
        # The SDK asks the object the agent holds for `_meta`: every call names the principal.
        super().__init__(
            require_approval=approval_policy(definition),
            failure_error_function=tool_error_message,  # names the tool and what failed
            tool_meta_resolver=principal_meta,
        )
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
