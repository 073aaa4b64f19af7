"""MCP: declared MCP servers as agent tools, and the project's agents as an MCP server.

Consume: `MCPServerDefinition`s (from `mcp_servers.toml` or `register_mcp_server`) are connected
through the SDK's MCP classes, lazily and once per event loop (`connections`); close them with
`close_mcp_servers`. Expose: `agents_mcp_server` builds an MCP server (official `mcp` SDK) whose
tools are the registered agents. Names load on first use.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "MCPConnections": "agents_core.mcp.connections",
    "ManagedMCPServer": "agents_core.mcp.connections",
    "ServerStatus": "agents_core.mcp.status",
    "agents_mcp_server": "agents_core.mcp.exposure",
    "check_servers": "agents_core.mcp.status",
    "load_servers_file": "agents_core.mcp.servers_file",
    "sdk_server": "agents_core.mcp.connections",
}

__all__ = [
    "MCPConnections",
    "ManagedMCPServer",
    "ServerStatus",
    "agents_mcp_server",
    "check_servers",
    "close_mcp_servers",
    "load_servers_file",
    "sdk_server",
]


async def close_mcp_servers() -> None:
    """Close the running event loop's MCP server connections (none opened: nothing to import)."""
    connections = sys.modules.get("agents_core.mcp.connections")
    if connections is not None:
        await connections.close_mcp_servers()


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agents_core.mcp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from agents_core.mcp.connections import (
        ManagedMCPServer,
        MCPConnections,
        sdk_server,
    )
    from agents_core.mcp.exposure import agents_mcp_server
    from agents_core.mcp.servers_file import load_servers_file
    from agents_core.mcp.status import ServerStatus, check_servers
