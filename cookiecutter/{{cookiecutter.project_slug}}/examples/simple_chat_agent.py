"""The smallest useful program: define a tool and an agent, run it with a session.

Run it with `uv run python examples/simple_chat_agent.py`. Without OPENAI_API_KEY it runs on
the offline model; with a key, on OpenAI.
"""

from __future__ import annotations

import asyncio

from agents import Runner

from agents_core import (
    AgentDefinition,
    AgentRunner,
    AgentSession,
    get_agent_registry,
    get_tool_registry,
    register_agent,
    register_tool,
    resolve_model,
)
from agents_core.llm import configure_tracing


@register_tool(name="word_count", description="Count the words of a text", category="text")
def word_count(text: str) -> dict[str, int]:
    """Count words.

    Args:
        text: The text whose words to count.
    """
    return {"words": len(text.split())}


register_agent(
    AgentDefinition(
        name="writing_helper",
        description="Helps with texts: counts words",
        instructions="You help with writing. Use word_count to count words.",
        tools=["word_count"],
    )
)


async def main() -> None:
    # 1. The framework way: run the definition by name, with a session.
    session = AgentSession("example-chat")
    runner = AgentRunner()
    result = await runner.run(
        "writing_helper", 'Please word_count "the quick brown fox"', session=session
    )
    print("agent:", result.final_output)
    print("history items:", len(await session.get_items()))

    # 2. The plain SDK way, from the registries (what the framework does for you).
    configure_tracing()  # off without a key, so the SDK does not warn at exit
    definition = get_agent_registry().get("writing_helper")
    from agents import Agent

    agent: Agent[None] = Agent(
        name=definition.name,
        instructions=str(definition.instructions),
        tools=get_tool_registry().get_tool_functions(definition.tools),
        model=resolve_model(definition.model),
    )
    sdk_result = await Runner.run(agent, 'word_count "one two three"')
    print("sdk:", sdk_result.final_output)


if __name__ == "__main__":
    asyncio.run(main())
