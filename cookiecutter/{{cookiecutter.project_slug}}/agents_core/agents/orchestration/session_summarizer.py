"""The session summarizer: compacts old conversation history (`AgentSession.summarize()`)."""

from __future__ import annotations

from agents_core.instructions import compose_instructions
from agents_core.registry.agent_registry import AgentDefinition, register_agent

session_summarizer = register_agent(
    AgentDefinition(
        name="session_summarizer",
        description="Summarizes the old part of a conversation so the history stays short",
        instructions=compose_instructions("summarization"),
        metadata={"role": "orchestration"},
    )
)
