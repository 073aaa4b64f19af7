"""The state of the declared MCP servers: reachable or not, and their tools (`<cli> mcp list`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents_core.exceptions import MCPServerUnavailable
from agents_core.mcp.connections import connections
from agents_core.registry.agent_registry import AgentRegistry, get_agent_registry
from agents_core.registry.mcp_server_registry import (
    MCPServerDefinition,
    MCPServerRegistry,
    get_mcp_server_registry,
)


@dataclass
class ServerStatus:
    """One declared server as seen now."""

    definition: MCPServerDefinition
    ok: bool
    error: str | None = None
    tools: list[str] = field(default_factory=list)
    """Names of the tools agents see (after allowed_tools / blocked_tools)."""
    agents: list[str] = field(default_factory=list)
    """Registered agents that use the server."""


async def check_servers(
    registry: MCPServerRegistry | None = None, agents: AgentRegistry | None = None
) -> list[ServerStatus]:
    """Connect to every declared server (the running loop's shared connections); list tools."""
    registry = registry or get_mcp_server_registry()
    agents = agents or get_agent_registry()
    shared = connections()
    statuses: list[ServerStatus] = []
    for definition in registry.all():
        users = [agent.name for agent in agents.all() if definition.name in agent.mcp_servers]
        try:
            server = await shared.connect(definition)
            if server is None:
                reason = shared.error(definition.name) or "unavailable"
                statuses.append(ServerStatus(definition, False, reason, agents=users))
                continue
            tools = [tool.name for tool in await server.list_tools()]
        except MCPServerUnavailable as error:
            statuses.append(ServerStatus(definition, False, error.reason, agents=users))
        except Exception as error:  # a server that connects but fails to list its tools
            reason = str(error) or type(error).__name__
            statuses.append(ServerStatus(definition, False, reason, agents=users))
        else:
            statuses.append(ServerStatus(definition, True, tools=tools, agents=users))
    return statuses


def undeclared_servers(
    registry: MCPServerRegistry | None = None, agents: AgentRegistry | None = None
) -> dict[str, list[str]]:
    """Agents naming MCP servers that are not declared: {agent: [unknown names]}."""
    registry = registry or get_mcp_server_registry()
    agents = agents or get_agent_registry()
    found: dict[str, list[str]] = {}
    for agent in agents.all():
        unknown = [name for name in agent.mcp_servers if name not in registry]
        if unknown:
            found[agent.name] = unknown
    return found
