"""The planner: splits a request into steps, each run by one agent."""

from __future__ import annotations

from agents_core.instructions import compose_instructions
from agents_core.models.context import AgentContext
from agents_core.models.outputs.plan import PlanOutput
from agents_core.registry.agent_registry import AgentDefinition, get_agent_registry, register_agent


def planning_instructions(context: AgentContext, definition: AgentDefinition) -> str:
    allowed = context.metadata.get("plan_agents")
    agents = [
        agent
        for agent in get_agent_registry().all()
        if agent.metadata.get("role") != "orchestration"
        and (allowed is None or agent.name in allowed)
    ]
    listing = "\n".join(f"- {agent.name}: {agent.description}" for agent in agents)
    return compose_instructions("planning", f"Agents:\n{listing}")


planner = register_agent(
    AgentDefinition(
        name="planner",
        description="Plans which agents answer a request, in which order",
        instructions=planning_instructions,
        output_dataclass=PlanOutput,
        metadata={"role": "orchestration"},
    )
)
