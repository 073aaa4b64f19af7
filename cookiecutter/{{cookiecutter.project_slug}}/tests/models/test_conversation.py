"""Answers, tool calls, structured output and sessions on the wire, on both APIs."""

from __future__ import annotations

import itertools
import json

import pytest
from llmock.scenarios import Reply, ToolCall

from agents_core.orchestrator import AgentOrchestrator, RoutingOrchestrator
from tests.models.conftest import MODEL, ModelServer, session_items

pytestmark = pytest.mark.allow_model_calls

INTENT = {"category": "math", "confidence": 0.9, "reasoning": "It is arithmetic."}


async def test_a_plain_answer(model_server: ModelServer) -> None:
    model_server.script(Reply(text="Paris is the capital of France."))
    outcome = await AgentOrchestrator().run("What is the capital of France?")
    assert outcome["result"] == "Paris is the capital of France."
    (body,) = model_server.bodies()
    assert body["model"] == MODEL
    assert model_server.texts(body)[-1] == ("user", "What is the capital of France?")


async def test_a_tool_call_and_its_answer(model_server: ModelServer) -> None:
    model_server.script(
        Reply(tool_calls=(ToolCall("calculator", {"expression": "6 * 7"}),)),
        Reply(text="6 * 7 = 42."),
    )
    outcome = await AgentOrchestrator().run("What is 6 * 7?")
    assert outcome["result"] == "6 * 7 = 42."
    first, second = model_server.bodies()
    assert "calculator" in json.dumps(first["tools"])
    # The tool's result went back to the model in the second request.
    if model_server.api == "chat_completions":
        results = [m["content"] for m in second["messages"] if m["role"] == "tool"]
    else:
        results = [i["output"] for i in second["input"] if i.get("type") == "function_call_output"]
    assert len(results) == 1
    assert "42" in json.dumps(results[0])


@pytest.mark.parametrize(
    "reply",
    [
        json.dumps(INTENT),
        f"```json\n{json.dumps(INTENT)}\n```",
        f"Here is my classification: {json.dumps(INTENT)} Hope it helps.",
    ],
    ids=["json", "code-fence", "prose"],
)
@pytest.mark.usefixtures("math_agent")
async def test_structured_output_routes_the_request(model_server: ModelServer, reply: str) -> None:
    model_server.script(Reply(text=reply), Reply(text="42."))
    outcome = await RoutingOrchestrator(synthesize=False).run("What is 6 * 7?")
    assert (outcome["intent"], outcome["agent"], outcome["result"]) == (
        "math",
        "math_expert",
        "42.",
    )
    router_request = model_server.bodies()[0]
    schema_field = "response_format" if model_server.api == "chat_completions" else "text"
    assert "json_schema" in json.dumps(router_request[schema_field])


async def test_a_session_across_two_turns(model_server: ModelServer) -> None:
    model_server.script(Reply(text="Nice to meet you, Ada."), Reply(text="Your name is Ada."))
    orchestrator = AgentOrchestrator()
    first = await orchestrator.run("My name is Ada.", session_id="two-turns")
    second = await orchestrator.run("What is my name?", session_id="two-turns")
    assert second["result"] == "Your name is Ada."
    assert first["session_id"] == second["session_id"] == "two-turns"
    _, later = model_server.bodies()
    assert [text for text in model_server.texts(later) if text[0] != "system"] == [
        ("user", "My name is Ada."),
        ("assistant", "Nice to meet you, Ada."),
        ("user", "What is my name?"),
    ]
    items = await session_items("two-turns")
    assert [item.get("role") for item in items] == ["user", "assistant", "user", "assistant"]


@pytest.mark.usefixtures("math_agent")
async def test_chat_requests_keep_roles_that_strict_templates_accept(
    model_server: ModelServer,
) -> None:
    """Router, specialist and synthesizer share the session; no request ends on the assistant."""
    synthesis = {"answer": "42.", "sources": ["math_expert"], "confidence": 0.9}
    model_server.script(
        Reply(text=json.dumps(INTENT)), Reply(text="6 * 7 = 42."), Reply(text=json.dumps(synthesis))
    )
    await RoutingOrchestrator().run("What is 6 * 7?", session_id="roles")
    bodies = model_server.bodies()
    assert len(bodies) == 3
    if model_server.api != "chat_completions":
        return  # the Responses API has no chat template
    for body in bodies:
        roles = [m["role"] for m in body["messages"] if m["role"] != "system"]
        assert roles[-1] != "assistant", roles
        assert all(a != b or a == "tool" for a, b in itertools.pairwise(roles)), roles
