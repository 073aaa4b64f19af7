"""Sample: an agent whose tools come from an MCP server (the `notes` server of mcp_servers.toml)."""

from __future__ import annotations

from agents_core.instructions import compose_instructions
from agents_core.registry.agent_registry import AgentDefinition, register_agent

notes_keeper = register_agent(
    AgentDefinition(
        name="notes_keeper",
        description="Notes keeper: lists, reads and adds notes in the notebook",
        instructions=compose_instructions(
            "You keep the user's notebook. Use the notes tools to list, read and add notes; "
            "never invent a note.",
            "tool_use",
            "answer_style",
        ),
        mcp_servers=["notes"],
        guardrails=["no_secrets"],
        metadata={"intent": "notes", "category": "sample"},
    )
)
