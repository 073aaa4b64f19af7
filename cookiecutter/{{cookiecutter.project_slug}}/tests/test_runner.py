"""AgentRunner and AgentFactory: definitions become SDK agents; failures become clear errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from agents import Model, ModelResponse

from agents_core import (
    AgentContext,
    AgentDefinition,
    AgentRunError,
    AgentRunner,
    GuardrailTripped,
    OfflineModel,
    UnknownNameError,
    register_agent,
    register_tool,
)


class BrokenModel(Model):
    """An SDK model whose provider is down."""

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        raise ConnectionError("provider unavailable")

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise ConnectionError("provider unavailable")
        yield  # pragma: no cover


async def test_dynamic_instructions_see_the_run_context() -> None:
    seen: list[str] = []

    def instructions(context: AgentContext, definition: AgentDefinition) -> str:
        seen.append(f"{definition.name}:{context.filters['team']}")
        return "You help the team."

    register_agent(AgentDefinition(name="teamhelper", description="d", instructions=instructions))
    await AgentRunner(model=OfflineModel()).run(
        "teamhelper", "hi", context=AgentContext(filters={"team": "blue"})
    )
    assert seen == ["teamhelper:blue"]


async def test_schema_is_injected_into_static_instructions() -> None:
    definition = AgentDefinition(
        name="schemer",
        description="d",
        instructions="Analyse.",
        requires_schema_injection=True,
    )
    text = definition.render_instructions(AgentContext(schema="TABLE t(a INT)"))
    assert text == "Analyse.\n\nSchema:\nTABLE t(a INT)"


async def test_unknown_agent_and_tool_names_fail_listing_what_exists() -> None:
    runner = AgentRunner(model=OfflineModel())
    with pytest.raises(UnknownNameError, match=r"Registered agents: .*assistant"):
        await runner.run("nobody", "hi")
    register_agent(
        AgentDefinition(name="toolless", description="d", instructions="i", tools=["nope"])
    )
    with pytest.raises(UnknownNameError, match=r"Unknown tool .nope.*calculator"):
        await runner.run("toolless", "hi")


async def test_guardrail_refusal_names_the_guardrail() -> None:
    runner = AgentRunner(model=OfflineModel())
    with pytest.raises(GuardrailTripped) as caught:
        await runner.run("assistant", "my key is sk-abcdefghijklmnopqrstuvwxyz123456")
    assert caught.value.guardrail == "no_secrets"
    assert caught.value.agent == "assistant"
    assert "API key" in caught.value.message


async def test_a_model_failure_is_an_agent_run_error() -> None:
    with pytest.raises(AgentRunError, match="provider unavailable") as caught:
        await AgentRunner(model=BrokenModel()).run("assistant", "hi")
    assert caught.value.agent == "assistant"
    assert isinstance(caught.value.cause, ConnectionError)


async def test_max_turns_stops_a_tool_loop() -> None:
    @register_tool(name="again", description="again")
    def again(x: str) -> str:
        """Again.

        Args:
            x: anything.
        """
        return "again"

    register_agent(
        AgentDefinition(
            name="looper", description="d", instructions="i", tools=["again"], max_turns=1
        )
    )
    with pytest.raises(AgentRunError, match="MaxTurnsExceeded"):
        await AgentRunner(model=OfflineModel()).run("looper", "call again please")


async def test_each_definition_builds_one_cached_agent() -> None:
    runner = AgentRunner(model=OfflineModel())
    first = runner.factory.build("assistant")
    assert runner.factory.build("assistant") is first
    register_agent(AgentDefinition(name="newcomer", description="d", instructions="i"))
    assert runner.factory.build("assistant") is not first  # registry changed: rebuilt
