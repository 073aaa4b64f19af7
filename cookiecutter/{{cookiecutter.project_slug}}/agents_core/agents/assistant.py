"""The general assistant: the agent that answers when no specialist fits."""

from __future__ import annotations

from agents_core.instructions import compose_instructions
from agents_core.registry.agent_registry import AgentDefinition, register_agent

assistant = register_agent(
    AgentDefinition(
        name="assistant",
        description="General assistant: answers questions and does arithmetic with a calculator",
        instructions=compose_instructions(
            "You are a helpful, concise assistant. Use the calculator for any arithmetic.",
            "tool_use",
            "answer_style",
        ),
        tools=["calculator"],
        guardrails=["no_secrets"],
    )
)
