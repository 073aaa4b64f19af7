"""Registries of agents, tools and guardrails."""

from agents_core.registry.agent_registry import (
    AgentDefinition,
    AgentRegistry,
    get_agent_registry,
    register_agent,
)
from agents_core.registry.guardrail_registry import (
    GuardrailDefinition,
    GuardrailRegistry,
    get_guardrail_registry,
    register_guardrail,
)
from agents_core.registry.mcp_server_registry import (
    MCPServerDefinition,
    MCPServerRegistry,
    get_mcp_server_registry,
    register_mcp_server,
)
from agents_core.registry.tool_registry import (
    ToolDefinition,
    ToolRegistry,
    get_tool_registry,
    register_tool,
)

__all__ = [
    "AgentDefinition",
    "AgentRegistry",
    "GuardrailDefinition",
    "GuardrailRegistry",
    "MCPServerDefinition",
    "MCPServerRegistry",
    "ToolDefinition",
    "ToolRegistry",
    "get_agent_registry",
    "get_guardrail_registry",
    "get_mcp_server_registry",
    "get_tool_registry",
    "register_agent",
    "register_guardrail",
    "register_mcp_server",
    "register_tool",
]
