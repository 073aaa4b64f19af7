"""Agents defined as data: `AgentDefinition` and the agent registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from agents import ModelSettings

from agents_core.registry._base import Registry

if TYPE_CHECKING:
    from agents_core.models.context import AgentContext

DynamicInstructions: TypeAlias = Callable[["AgentContext", "AgentDefinition"], str]


@dataclass
class AgentDefinition:
    """What an agent is, as data. `agents_core.core` turns it into an SDK `Agent`."""

    name: str
    """Unique name, used to run the agent and to refer to it from other definitions."""
    description: str
    """One line on what the agent does; routers and the CLI show it."""
    instructions: str | DynamicInstructions
    """System prompt, or a function of (context, definition) that returns it at run time."""
    tools: list[str] = field(default_factory=list)
    """Names of registered tools."""
    guardrails: list[str] = field(default_factory=list)
    """Names of registered input guardrails."""
    mcp_servers: list[str] = field(default_factory=list)
    """Names of declared MCP servers whose tools the agent gets (`agents_core.mcp`)."""
    model: str | None = None
    """Model name; None uses the `DEFAULT_MODEL` setting."""
    output_dataclass: type[Any] | None = None
    """Structured output type (pydantic model, dataclass or TypedDict); None for plain text."""
    model_settings: ModelSettings | None = None
    """Temperature, tool choice and other SDK model settings."""
    handoffs: list[str] = field(default_factory=list)
    """Names of agents this one may hand the conversation to (SDK handoffs)."""
    requires_schema_injection: bool = False
    """Append `context.schema` to static instructions at run time."""
    max_turns: int | None = None
    """Turn limit of one run of this agent; None uses the `MAX_TURNS` setting."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form labels (category, owner, version...)."""

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(
                f"Agent name {self.name!r} must be letters, digits, '_' or '-' (no spaces)."
            )
        if not (isinstance(self.instructions, str) or callable(self.instructions)):
            raise TypeError(
                f"Agent {self.name!r}: instructions must be a string or a function of "
                f"(context, definition), got {type(self.instructions).__name__}."
            )

    @property
    def output_type(self) -> type[Any] | None:
        """Alias of `output_dataclass`, the SDK's name for it."""
        return self.output_dataclass

    def render_instructions(self, context: AgentContext | None) -> str:
        """The system prompt for one run, with dynamic parts and the schema filled in."""
        if callable(self.instructions):
            if context is None:
                from agents_core.models.context import AgentContext

                context = AgentContext()
            text = self.instructions(context, self)
        else:
            text = self.instructions
        schema = context.schema if context is not None else ""
        if self.requires_schema_injection and schema and schema not in text:
            text = f"{text}\n\nSchema:\n{schema}"
        return text


class AgentRegistry(Registry[AgentDefinition]):
    """Registered agent definitions by name."""

    kind = "agent"

    def register(self, definition: AgentDefinition, *, replace: bool = False) -> AgentDefinition:
        return self.add(definition.name, definition, replace=replace)


_agent_registry = AgentRegistry(discover="agents_core.agents")


def get_agent_registry() -> AgentRegistry:
    """The default agent registry; it imports `agents_core.agents` on first lookup."""
    return _agent_registry


def register_agent(definition: AgentDefinition, *, replace: bool = False) -> AgentDefinition:
    """Add an agent definition to the default registry and return it."""
    return _agent_registry.register(definition, replace=replace)
