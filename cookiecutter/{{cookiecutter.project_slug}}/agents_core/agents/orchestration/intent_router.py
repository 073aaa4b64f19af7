"""The intent router: classifies a request so the orchestrator can pick a specialist."""

from __future__ import annotations

from agents_core.instructions import compose_instructions
from agents_core.models.context import AgentContext
from agents_core.models.outputs.intent import IntentOutput
from agents_core.registry.agent_registry import AgentDefinition, register_agent


def routing_instructions(context: AgentContext, definition: AgentDefinition) -> str:
    categories = context.metadata.get("intent_categories") or "- general: any request"
    return compose_instructions("routing", f"Categories:\n{categories}")


intent_router = register_agent(
    AgentDefinition(
        name="intent_router",
        description="Classifies a request into one of the orchestrator's intent categories",
        instructions=routing_instructions,
        output_dataclass=IntentOutput,
        metadata={"role": "orchestration"},
    )
)
