"""The synthesizer: writes the final answer from the other agents' work."""

from __future__ import annotations

from agents_core.instructions import compose_instructions
from agents_core.registry.agent_registry import AgentDefinition, register_agent

synthesizer = register_agent(
    AgentDefinition(
        name="synthesizer",
        description="Writes the final answer from what the other agents found",
        instructions=compose_instructions("synthesis", "answer_style"),
        metadata={"role": "orchestration"},
    )
)
