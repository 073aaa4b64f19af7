"""AgentOrchestrator and RoutingOrchestrator: code orchestration, streaming, safety."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from agents_core import (
    AgentContext,
    AgentDefinition,
    AgentOrchestrator,
    AgentRunner,
    AgentSession,
    ConfigurationError,
    IntentOutput,
    OfflineModel,
    RoutingOrchestrator,
    SafetyLimitExceeded,
    register_agent,
    register_tool,
)


def _d(item: Any) -> dict[str, Any]:
    """A stored session item as the plain dict it is."""
    return cast(dict[str, Any], item)


@pytest.fixture
def runner() -> AgentRunner:
    return AgentRunner(model=OfflineModel())


@pytest.fixture
def routed_agents(billing_agent: None) -> None:
    """Two specialists the router can choose between, each with its own tool."""

    @register_tool(name="track_parcel", description="Track a parcel shipment delivery")
    def track_parcel(parcel: str) -> dict[str, Any]:
        """Track a parcel.

        Args:
            parcel: Parcel number.
        """
        return {"parcel": parcel, "status": "in transit"}

    register_agent(
        AgentDefinition(
            name="shipping_agent",
            description="Shipping: parcels, deliveries and tracking",
            instructions="Answer shipping questions with track_parcel.",
            tools=["track_parcel"],
            metadata={"intent": "shipping"},
        )
    )


async def test_default_execute_runs_the_default_agent(runner: AgentRunner) -> None:
    result = await AgentOrchestrator(runner=runner).run("What is 2 + 2?")
    assert result["success"] is True
    assert result["agent"] == "assistant"
    assert result["result"] == "2 + 2 = 4."
    history = await AgentSession(result["session_id"]).get_items()
    assert _d(history[0]).get("role") == "user"


@pytest.mark.usefixtures("routed_agents")
@pytest.mark.parametrize(
    ("query", "intent", "agent", "fact"),
    [
        ("Was my invoice INV-7 paid?", "billing", "billing_agent", "amount 120, status paid"),
        ("Where is my parcel, tracking the delivery?", "shipping", "shipping_agent", "in transit"),
        ("What is 5 * 5?", "general", "assistant", "5 * 5 = 25."),
    ],
)
async def test_routing_picks_the_specialist_by_intent(
    runner: AgentRunner, query: str, intent: str, agent: str, fact: str
) -> None:
    result = await RoutingOrchestrator(runner=runner).run(query)
    assert result["intent"] == intent
    assert result["agent"] == agent
    assert fact in result["result"]


@pytest.mark.usefixtures("routed_agents")
async def test_a_turn_stores_the_query_the_work_and_one_answer(runner: AgentRunner) -> None:
    # The router's classification is the run's business, not a conversation turn (issue 10:
    # it used to be stored as an assistant message, and even returned as the answer).
    result = await RoutingOrchestrator(runner=runner).run("Was my invoice INV-7 paid?")
    items = [_d(item) for item in await AgentSession(result["session_id"]).get_items()]
    assert [item.get("role") or item.get("type") for item in items] == [
        "user",
        "function_call",
        "function_call_output",
        "assistant",
    ]
    assert items[0]["content"] == "Was my invoice INV-7 paid?"
    assert items[1]["name"] == "lookup_invoice"
    assert items[-1]["content"] == result["result"]
    assert not any("category" in str(item.get("content")) for item in items)


async def test_a_conversation_continues_in_the_same_session(runner: AgentRunner) -> None:
    orchestrator = AgentOrchestrator(runner=runner)
    session_id = "conversation-1"
    await orchestrator.run("What is 1 + 1?", session_id=session_id)
    second = await orchestrator.run("And 2 + 2?", session_id=session_id)
    assert second["result"] == "2 + 2 = 4."
    items = await AgentSession(session_id).get_items()
    assert sum(1 for item in items if _d(item).get("role") == "user") == 2


@dataclass
class ShopContext(AgentContext):
    shop_id: str = ""
    basket: list[str] = field(default_factory=list)


class SpecOrchestrator(AgentOrchestrator):
    """The spec's pattern: intent first, then a specialist, chosen in code."""

    context_class = ShopContext

    async def execute(self, user_query: str, context_data: dict[str, Any]) -> dict[str, Any]:
        session = self.setup_session()
        context = self.setup_context(**context_data)
        assert isinstance(context, ShopContext)
        context.metadata["intent_categories"] = "- math: arithmetic\n- general: anything"
        intent = await self._run_agent("intent_router", session, context)
        assert isinstance(intent, IntentOutput)
        name = "assistant" if intent.category == "math" else "synthesizer"
        result = await self.run_agent(name, session, context, final=True)
        return {
            "success": True,
            "intent": intent.category,
            "result": result,
            "shop": context.shop_id,
        }


async def test_a_subclass_orchestrates_in_code_with_its_own_context(runner: AgentRunner) -> None:
    result = await SpecOrchestrator(runner=runner).run(
        "Do some arithmetic: 6 * 7", {"shop_id": "s-1"}
    )
    assert result == {"success": True, "intent": "math", "result": result["result"], "shop": "s-1"}
    assert "6 * 7 = 42." in result["result"]


async def test_unknown_context_fields_are_refused_with_the_field_list(runner: AgentRunner) -> None:
    with pytest.raises(ConfigurationError, match=r"Unknown context field\(s\) colour.*filters"):
        await AgentOrchestrator(runner=runner).run("hi", {"colour": "red"})


@pytest.mark.parametrize(
    ("query", "session_id", "message"),
    [
        ("", None, "non-empty"),
        ("x" * 9000, None, "limit is 8000"),
        ("hi", "../etc/passwd", "Invalid session id"),
    ],
)
async def test_bad_input_is_refused_before_any_agent_runs(
    runner: AgentRunner, query: str, session_id: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await AgentOrchestrator(runner=runner).run(query, session_id=session_id)


class LoopingOrchestrator(AgentOrchestrator):
    async def execute(self, user_query: str, context_data: dict[str, Any]) -> Any:
        session = self.setup_session()
        while True:
            await self.run_agent("assistant", session, input="again")


async def test_the_safety_guard_stops_a_loop(runner: AgentRunner) -> None:
    with pytest.raises(SafetyLimitExceeded, match="Stopped a loop: agent 'assistant'"):
        await LoopingOrchestrator(runner=runner).run("go")


async def test_the_safety_guard_bounds_agent_runs(runner: AgentRunner) -> None:
    class Busy(AgentOrchestrator):
        async def execute(self, user_query: str, context_data: dict[str, Any]) -> Any:
            for index in range(10):
                await self.run_agent("assistant", None, input=f"What is {index} + 1?")

    with pytest.raises(SafetyLimitExceeded, match="limit 3"):
        await Busy(runner=runner, max_agent_runs=3).run("go")


@pytest.mark.usefixtures("routed_agents")
async def test_stream_yields_events_in_order(runner: AgentRunner) -> None:
    events = [
        event
        async for event in RoutingOrchestrator(runner=runner).stream(
            "Was my invoice INV-7 paid?", session_id=f"s-{uuid.uuid4().hex}"
        )
    ]
    kinds = [event.type for event in events]
    assert kinds[0] == "run_start"
    assert kinds[-2:] == ["answer", "done"]
    starts = [event.agent for event in events if event.type == "agent_start"]
    assert starts == ["intent_router", "billing_agent", "synthesizer"]
    call = next(event for event in events if event.type == "tool_call")
    assert call.data["tool"] == "lookup_invoice"
    assert (
        call.data["arguments"] == {"invoice": "Was my invoice INV-7 paid?"}
        or call.data["arguments"]["invoice"]
    )
    final = [event for event in events if event.type == "agent_start" and event.data["final"]]
    assert [event.agent for event in final] == ["synthesizer"]
    answer = events[-2]
    assert "amount 120, status paid" in answer.data["text"]
    assert [event.seq for event in events] == list(range(len(events)))


async def test_stream_reports_a_guardrail_refusal_as_an_error_event(runner: AgentRunner) -> None:
    events = [
        event
        async for event in AgentOrchestrator(runner=runner).stream(
            "use sk-abcdefghijklmnopqrstuvwxyz123456 please"
        )
    ]
    kinds = [event.type for event in events]
    assert kinds[-2:] == ["error", "done"]
    assert events[-2].data["code"] == "GuardrailTripped"
    assert "no_secrets" in events[-2].data["message"]


async def test_closing_the_stream_early_cancels_the_run(runner: AgentRunner) -> None:
    stream = AgentOrchestrator(runner=runner).stream("What is 9 * 9?")
    first = await anext(stream)
    assert first.type == "run_start"
    await stream.aclose()  # must not hang nor raise


async def test_register_guardrail_applies_to_agents_that_list_it(runner: AgentRunner) -> None:
    orchestrator = AgentOrchestrator(runner=runner, default_agent="polite")
    orchestrator.register_guardrail(
        "no_shouting", lambda ctx, text: (not text.isupper(), "Please do not shout.")
    )
    register_agent(
        AgentDefinition(
            name="polite", description="d", instructions="i", guardrails=["no_shouting"]
        )
    )
    events = [event async for event in orchestrator.stream("HELLO THERE")]
    assert events[-2].data["code"] == "GuardrailTripped"
    assert "Please do not shout." in events[-2].data["message"]
