"""What a run can be addressed to: the router, or one registered agent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agents_core.orchestrator import AgentOrchestrator, RoutingOrchestrator
from agents_core.registry.agent_registry import get_agent_registry

ROUTER = "router"
"""The name doors give the router (OpenAI model id, A2A skill); `RunRequest.agent=None`."""

OrchestratorFactory = Callable[[str | None], AgentOrchestrator]
"""Builds the orchestrator of one run: the named agent's, or the router's when None."""


@dataclass(frozen=True)
class RunTarget:
    """A name a door may run: `router` or an agent (for model lists and agent cards)."""

    name: str
    description: str
    agent: str | None
    """The agent's name; None for the router."""


def default_orchestrator(agent: str | None) -> AgentOrchestrator:
    """`AgentOrchestrator` on `agent` (UnknownNameError if unknown), else `RoutingOrchestrator`."""
    if agent is None or agent == ROUTER:
        return RoutingOrchestrator()
    get_agent_registry().get(agent)  # UnknownNameError, listing the agents
    return AgentOrchestrator(default_agent=agent)


def run_targets() -> list[RunTarget]:
    """The router, then every registered agent that is not an orchestration agent."""
    targets = [RunTarget(ROUTER, "Picks the agent for each message by its intent.", None)]
    registry = get_agent_registry()
    for name in sorted(registry.names()):
        definition = registry.get(name)
        if definition.metadata.get("role") == "orchestration":
            continue
        targets.append(RunTarget(name, definition.description or name, name))
    return targets
