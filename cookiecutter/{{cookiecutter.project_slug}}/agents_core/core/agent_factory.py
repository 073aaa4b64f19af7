"""Turn `AgentDefinition`s into SDK `Agent`s, resolving tools, guardrails, handoffs and models."""

from __future__ import annotations

from typing import Any

from agents import Agent, Model, RunContextWrapper

from agents_core.config import get_settings
from agents_core.exceptions import ConfigurationError
from agents_core.llm.model_calls import settings_for_model
from agents_core.llm.selection import resolve_model
from agents_core.llm.structured_output import output_schema
from agents_core.models.context import AgentContext
from agents_core.registry.agent_registry import AgentDefinition, AgentRegistry, get_agent_registry
from agents_core.registry.guardrail_registry import GuardrailRegistry, get_guardrail_registry
from agents_core.registry.mcp_server_registry import MCPServerRegistry, get_mcp_server_registry
from agents_core.registry.tool_registry import ToolRegistry, get_tool_registry


class AgentFactory:
    """Builds (and caches) the SDK agent of each definition.

    The cache is dropped whenever a registry changes, so a re-registered tool or agent is
    picked up by the next build.
    """

    def __init__(
        self,
        agents: AgentRegistry | None = None,
        tools: ToolRegistry | None = None,
        guardrails: GuardrailRegistry | None = None,
        model: Model | None = None,
        mcp_servers: MCPServerRegistry | None = None,
    ) -> None:
        self.agents = agents or get_agent_registry()
        self.tools = tools or get_tool_registry()
        self.guardrails = guardrails or get_guardrail_registry()
        self.model = model
        self.mcp_servers = mcp_servers or get_mcp_server_registry()
        self._cache: dict[str, Agent[Any]] = {}
        self._versions: tuple[int, ...] = (-1, -1, -1)

    def definition(self, agent: str | AgentDefinition) -> AgentDefinition:
        return agent if isinstance(agent, AgentDefinition) else self.agents.get(agent)

    def build(self, agent: str | AgentDefinition) -> Agent[Any]:
        definition = self.definition(agent)
        versions = (
            self.agents.version,
            self.tools.version,
            self.guardrails.version,
            self.mcp_servers.version,
        )
        if versions != self._versions:
            self._cache.clear()
            self._versions = versions
        cached = self._cache.get(definition.name)
        if cached is not None and cached_definition(cached) is definition:
            return cached
        built = self._build(definition)
        self._cache[definition.name] = built
        built.handoffs = [self.build(name) for name in definition.handoffs]
        return built

    def _build(self, definition: AgentDefinition) -> Agent[Any]:
        kwargs: dict[str, Any] = {}
        model = self.model or resolve_model(definition.model)
        # The project's timeout and retries (MODEL_TIMEOUT_SECONDS...) under the definition's own.
        model_settings = settings_for_model(model, definition.model_settings, get_settings())
        if model_settings is not None:
            kwargs["model_settings"] = model_settings
        if definition.output_dataclass is not None:
            # Also reads JSON in a code fence or in prose (models that do not keep to the schema).
            kwargs["output_type"] = output_schema(definition.output_dataclass)
        agent: Agent[Any] = Agent(
            name=definition.name,
            handoff_description=definition.description,
            instructions=_instructions(definition),
            tools=self.tools.get_tool_functions(definition.tools),
            input_guardrails=self.guardrails.get_guardrails(definition.guardrails),
            model=model,
            mcp_servers=self._mcp_servers(definition),
            **kwargs,
        )
        agent._agents_core_definition = definition  # type: ignore[attr-defined,unused-ignore]
        return agent

    def _mcp_servers(self, definition: AgentDefinition) -> list[Any]:
        if not definition.mcp_servers:
            return []  # projects without MCP servers never import the SDK's MCP support
        unknown = [name for name in definition.mcp_servers if name not in self.mcp_servers]
        if unknown:
            known = ", ".join(self.mcp_servers.names()) or "none"
            raise ConfigurationError(
                f"Agent {definition.name!r} uses undeclared MCP server(s) {', '.join(unknown)}. "
                f"Declared MCP servers: {known} (mcp_servers.toml or register_mcp_server)."
            )
        from agents_core.mcp.connections import managed_servers

        return managed_servers(definition.mcp_servers, self.mcp_servers)


def cached_definition(agent: Agent[Any]) -> AgentDefinition | None:
    """The definition an SDK agent was built from, if it was built here."""
    return getattr(agent, "_agents_core_definition", None)


def _instructions(definition: AgentDefinition) -> Any:
    if isinstance(definition.instructions, str) and not definition.requires_schema_injection:
        return definition.instructions

    def dynamic(wrapper: RunContextWrapper[Any], agent: Agent[Any]) -> str:
        context = wrapper.context if isinstance(wrapper.context, AgentContext) else None
        return definition.render_instructions(context)

    return dynamic
