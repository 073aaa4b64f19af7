"""The offline model drives tools, structured outputs, handoffs and streaming through the SDK."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any, Literal, cast

import pytest
from agents import AgentOutputSchema, ItemHelpers, MessageOutputItem
from pydantic import BaseModel, Field

from agents_core import (
    AgentContext,
    AgentDefinition,
    AgentRunner,
    AgentSession,
    IntentOutput,
    OfflineModel,
    PlanOutput,
    SynthesisOutput,
    register_agent,
    register_tool,
)

CALLS: list[tuple[str, dict[str, Any]]] = []


@pytest.fixture
def runner() -> AgentRunner:
    CALLS.clear()
    return AgentRunner(model=OfflineModel())


@pytest.fixture
def forecast_agent() -> str:
    @register_tool(name="forecast", description="Weather forecast for a city over some days")
    def forecast(
        city: str,
        days: int = 3,
        unit: Literal["celsius", "fahrenheit"] = "celsius",
        detailed: bool = False,
    ) -> dict[str, Any]:
        """Forecast.

        Args:
            city: The city.
            days: Number of days, 1 to 7.
            unit: Temperature unit.
            detailed: Hourly details.
        """
        CALLS.append(("forecast", {"city": city, "days": days, "unit": unit}))
        return {"city": city, "days": days, "unit": unit, "high": 21.5}

    @register_tool(name="explode", description="A tool that always fails with an exception")
    def explode(reason: str) -> str:
        """Fail.

        Args:
            reason: Why.
        """
        raise RuntimeError("the tool broke")

    register_agent(
        AgentDefinition(
            name="forecaster",
            description="forecasts",
            instructions="Use the forecast tool.",
            tools=["forecast", "explode"],
        )
    )
    return "forecaster"


async def test_calls_the_matching_tool_with_arguments_from_the_message(
    runner: AgentRunner, forecast_agent: str
) -> None:
    result = await runner.run(forecast_agent, "Give me the forecast in Paris in fahrenheit")
    assert CALLS == [("forecast", {"city": "Paris", "days": 3, "unit": "fahrenheit"})]
    assert "high 21.5" in result.final_output
    assert "Paris" in result.final_output


async def test_arguments_are_valid_for_the_tool_schema(runner: AgentRunner) -> None:
    model = OfflineModel()

    class Args(BaseModel):
        count: int = Field(ge=2, le=9)
        mode: Literal["fast", "slow"]
        tags: list[str]

    @register_tool(name="tally", description="Tally things")
    def tally(
        count: Annotated[int, Field(ge=2, le=9)], mode: Literal["fast", "slow"], tags: list[str]
    ) -> int:
        """Tally.

        Args:
            count: How many, 2 to 9.
            mode: Speed.
            tags: Labels.
        """
        Args(count=count, mode=mode, tags=tags)  # raises if the model sent invalid values
        CALLS.append(("tally", {"count": count, "mode": mode}))
        return count

    register_agent(
        AgentDefinition(name="tallier", description="t", instructions="t", tools=["tally"])
    )
    await AgentRunner(model=model).run("tallier", "please tally the slow ones")
    assert len(CALLS) == 1
    assert CALLS[0][1]["mode"] == "slow"
    assert 2 <= CALLS[0][1]["count"] <= 9


async def test_a_tool_that_raises_is_reported_not_invented(
    runner: AgentRunner, forecast_agent: str
) -> None:
    result = await runner.run(forecast_agent, "explode now")
    assert "explode" in result.final_output
    assert "error" in result.final_output.lower()
    assert "21.5" not in result.final_output


async def test_no_matching_tool_says_so(runner: AgentRunner, forecast_agent: str) -> None:
    result = await runner.run(forecast_agent, "book me a table for two")
    assert "none of my tools (explode, forecast) fits" in result.final_output
    assert "book me" not in result.final_output  # the user's text is not echoed back
    assert CALLS == []


async def test_a_greeting_gets_a_greeting(runner: AgentRunner, forecast_agent: str) -> None:
    result = await runner.run(forecast_agent, "hello there")
    assert result.final_output == "Hello! How can I help? I can help with: explode, forecast."
    assert CALLS == []


async def test_advice_meant_for_the_model_is_not_repeated(runner: AgentRunner) -> None:
    @register_tool(name="get_weather_now", description="Current weather in a city")
    def get_weather_now(city: str) -> dict[str, Any]:
        """Weather.

        Args:
            city: City name.
        """
        return {"error": f"No data for {city}; say so instead of guessing. Try again later."}

    register_agent(
        AgentDefinition(name="w", description="d", instructions="i", tools=["get_weather_now"])
    )
    result = await runner.run("w", "What is the weather now in Oslo?")
    assert result.final_output == (
        "I could not get that from the weather now tool: No data for Oslo."
    )


async def test_decisions_are_deterministic(runner: AgentRunner) -> None:
    first = await runner.run("assistant", "What is 12 * (3 + 4)?")
    second = await runner.run("assistant", "What is 12 * (3 + 4)?")
    assert first.final_output == second.final_output
    assert first.final_output == "12 * (3 + 4) = 84."


@dataclasses.dataclass
class Ticket:
    title: str
    priority: Literal["low", "high"]
    estimate_hours: float


class Nested(BaseModel):
    summary: str
    labels: list[str] = Field(min_length=2)
    ticket: Ticket
    confidence: float = Field(ge=0, le=1)


@pytest.mark.parametrize(
    "output_type", [IntentOutput, PlanOutput, SynthesisOutput, Ticket, Nested, list[str], int]
)
async def test_structured_outputs_validate_against_their_schema(
    runner: AgentRunner, output_type: Any
) -> None:
    register_agent(
        AgentDefinition(
            name="structured",
            description="s",
            instructions="Categories:\n- billing: invoices and payments\n- other: anything",
            output_dataclass=output_type,
        )
    )
    result = await runner.run("structured", "My invoice is wrong, high priority")
    schema = AgentOutputSchema(output_type)
    raw = ItemHelpers.text_message_output(cast(MessageOutputItem, result.new_items[-1]))
    assert schema.validate_json(raw) == result.final_output
    if output_type is IntentOutput:
        assert result.final_output.category == "billing"
    if output_type is Ticket:
        assert result.final_output.priority == "high"


async def test_streaming_emits_text_deltas_and_a_completed_response(
    runner: AgentRunner,
) -> None:
    streamed = runner.run_streamed("assistant", "What is 6 * 7?")
    kinds: list[str] = []
    deltas: list[str] = []
    async for event in streamed.stream_events():
        if event.type == "raw_response_event":
            kinds.append(event.data.type)
            if event.data.type == "response.output_text.delta":
                deltas.append(event.data.delta)
    assert kinds.count("response.created") == 2  # one model call for the tool, one to answer
    assert kinds.count("response.completed") == 2
    assert "response.function_call_arguments.delta" in kinds
    assert len(deltas) > 3
    assert "".join(deltas) == streamed.final_output


async def test_hands_off_when_the_user_names_the_target(runner: AgentRunner) -> None:
    register_agent(
        AgentDefinition(
            name="billing_desk", description="Billing questions", instructions="Billing."
        )
    )
    register_agent(
        AgentDefinition(
            name="front_desk",
            description="Front desk",
            instructions="Hand off when asked.",
            handoffs=["billing_desk"],
        )
    )
    result = await runner.run("front_desk", "Please put me through to the billing desk")
    assert result.last_agent.name == "billing_desk"


async def test_the_agent_handed_to_uses_its_own_tools(runner: AgentRunner) -> None:
    register_agent(
        AgentDefinition(
            name="front_desk", description="d", instructions="i", handoffs=["assistant"]
        )
    )
    result = await runner.run("front_desk", "assistant please: what is 6 * 7?")
    assert result.last_agent.name == "assistant"
    assert result.final_output == "6 * 7 = 42."


async def test_call_ids_stay_unique_across_a_session(runner: AgentRunner) -> None:
    session = AgentSession("unique-ids")
    for _ in range(2):
        result = await runner.run("assistant", "What is 2 + 3?", session=session)
        assert result.final_output == "2 + 3 = 5."
    items = await session.get_items()
    calls = [cast(dict[str, Any], item) for item in items]
    call_ids = [item["call_id"] for item in calls if item.get("type") == "function_call"]
    assert len(call_ids) == 2
    assert len(set(call_ids)) == 2


async def test_tool_results_reach_the_context(runner: AgentRunner) -> None:
    context = AgentContext()
    await runner.run("assistant", "What is 1 + 1?", context=context)
    assert context.get_agent_output("assistant") is not None
    assert json.dumps(context.agent_outputs)  # plain data, serializable


async def test_each_number_fills_its_own_parameter(runner: AgentRunner) -> None:
    # Issue 23, item 8: a two-number tool got the first number twice.
    @register_tool(name="get-sum", description="Add two numbers a and b")
    def get_sum(a: float, b: float) -> dict[str, Any]:
        """Sum.

        Args:
            a: First number.
            b: Second number.
        """
        CALLS.append(("get-sum", {"a": a, "b": b}))
        return {"sum": a + b}

    register_agent(
        AgentDefinition(name="adder", description="adds", instructions="Add.", tools=["get-sum"])
    )
    result = await runner.run("adder", "Use get-sum to add 3.5 and 4")
    assert CALLS == [("get-sum", {"a": 3.5, "b": 4.0})]
    assert "sum 7.5" in result.final_output
