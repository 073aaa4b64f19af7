"""StreamEvent and StreamingHelper: wire forms, typed emitters, callbacks, subscribers, SDK runs."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from agents_core.core import AgentRunner
from agents_core.llm import OfflineModel
from agents_core.registry import AgentDefinition, register_agent
from agents_core.services import StreamEvent, StreamingHelper


def parse_sse(text: str) -> list[dict[str, str]]:
    """Split an SSE text into messages of field -> value, as an EventSource client does."""
    assert text.endswith("\n\n")
    messages = []
    for block in text.split("\n\n")[:-1]:
        message: dict[str, str] = {}
        for line in block.split("\n"):
            key, _, value = line.partition(": ")
            assert key not in message, f"field {key!r} repeated in {block!r}"
            message[key] = value
        messages.append(message)
    return messages


class Answer(BaseModel):
    answer: str
    sources: list[str]


@dataclass
class Row:
    region: str
    total: float


# -- StreamEvent --------------------------------------------------------------------------------


def test_json_form() -> None:
    event = StreamEvent(type="token", seq=3, agent="assistant", data={"delta": "Hi"}, timestamp=1.5)
    assert event.to_json() == {
        "type": "token",
        "seq": 3,
        "agent": "assistant",
        "data": {"delta": "Hi"},
        "timestamp": 1.5,
    }
    assert json.loads(json.dumps(event.to_json())) == event.to_json()


def test_sse_form_round_trips() -> None:
    event = StreamEvent(
        type="token",
        seq=7,
        agent="assistant",
        data={"delta": "line one\nline two\r\n\n", "note": "café ☕"},
    )
    [message] = parse_sse(event.to_sse())
    assert message["id"] == "7"
    assert message["event"] == "token"
    assert "\n" not in message["data"]
    assert json.loads(message["data"]) == event.to_json()
    assert "café ☕" in message["data"]  # not escaped to \\u sequences
    assert StreamEvent.model_validate_json(message["data"]) == event


def test_several_events_concatenate_into_one_sse_stream() -> None:
    helper = StreamingHelper()
    helper.emit_status("working")
    helper.emit_token("x")
    helper.emit_done()
    messages = parse_sse("".join(event.to_sse() for event in helper.events))
    assert [(m["id"], m["event"]) for m in messages] == [
        ("0", "status"),
        ("1", "token"),
        ("2", "done"),
    ]


def test_unknown_event_types_are_refused() -> None:
    with pytest.raises(ValidationError, match="type"):
        StreamEvent.model_validate({"type": "explosion", "seq": 0})


# -- StreamingHelper emitters -------------------------------------------------------------------


def test_typed_emitters_produce_types_payloads_and_increasing_seq() -> None:
    helper = StreamingHelper()
    helper.emit_run_start("What is 6 * 7?", session_id="s-1")
    helper.emit_agent_start("assistant", iteration=1, role="main")
    helper.emit_tool_call("calculator", '{"expression": "6 * 7"}', "call_1", "assistant")
    helper.emit_tool_result("calculator", {"value": 42}, "call_1", "assistant")
    helper.emit_handoff("assistant", "planner")
    helper.emit_token("4", "planner")
    helper.emit_status("thinking", "planner")
    helper.emit_answer(Answer(answer="42", sources=["calculator"]), ["calculator"], "planner")
    helper.emit_error("boom", code="model_error", agent="planner", retry=False)
    helper.emit_agent_end("planner", Answer(answer="42", sources=[]))
    helper.emit_done(session_id="s-1")

    summary = [(e.seq, e.type, e.agent, e.data) for e in helper.events]
    assert summary == [
        (0, "run_start", None, {"query": "What is 6 * 7?", "session_id": "s-1"}),
        (1, "agent_start", "assistant", {"iteration": 1, "role": "main"}),
        (
            2,
            "tool_call",
            "assistant",
            {"tool": "calculator", "arguments": {"expression": "6 * 7"}, "call_id": "call_1"},
        ),
        (
            3,
            "tool_result",
            "assistant",
            {"tool": "calculator", "result": {"value": 42}, "call_id": "call_1"},
        ),
        (4, "handoff", "assistant", {"target": "planner"}),
        (5, "token", "planner", {"delta": "4"}),
        (6, "status", "planner", {"message": "thinking"}),
        (
            7,
            "answer",
            "planner",
            {
                "answer": {"answer": "42", "sources": ["calculator"]},
                "text": 'answer: 42\nsources: ["calculator"]',
                "sources": ["calculator"],
            },
        ),
        (8, "error", "planner", {"message": "boom", "code": "model_error", "retry": False}),
        (9, "agent_end", "planner", {"output": {"answer": "42", "sources": []}}),
        (10, "done", None, {"session_id": "s-1"}),
    ]
    assert helper.closed is True


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("", {}),
        (None, {}),
        ("not json", {"raw": "not json"}),
        ({"already": "a dict"}, {"already": "a dict"}),
    ],
)
def test_tool_call_arguments_become_a_dict(arguments: Any, expected: dict[str, Any]) -> None:
    event = StreamingHelper().emit_tool_call("t", arguments)
    assert event.data["arguments"] == expected


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (None, None),
        ("text", "text"),
        (3.5, 3.5),
        ([1, "a"], [1, "a"]),
        (Answer(answer="a", sources=["s"]), {"answer": "a", "sources": ["s"]}),
        (Row(region="EU", total=1.5), "region: EU\ntotal: 1.5"),
        ({"when": {1, 2}}, {"when": "{1, 2}"}),
    ],
    ids=["none", "str", "float", "list", "pydantic", "dataclass", "unserializable-dict"],
)
def test_outputs_are_made_json_ready(output: Any, expected: Any) -> None:
    event = StreamingHelper().emit_agent_end("a", output)
    assert event.data["output"] == expected
    json.dumps(event.to_json())  # always serializable


def test_answer_text_of_a_plain_string_is_the_string() -> None:
    event = StreamingHelper().emit_answer("Just text.")
    assert event.data == {"answer": "Just text.", "text": "Just text.", "sources": []}


def test_keep_false_keeps_no_history() -> None:
    received: list[StreamEvent] = []
    helper = StreamingHelper(received.append, keep=False)
    helper.emit_status("x")
    assert helper.events == []
    assert [e.type for e in received] == ["status"]


def test_emitting_after_done_raises() -> None:
    helper = StreamingHelper()
    helper.emit_done()
    with pytest.raises(RuntimeError, match=r"closed \(its 'done' event was emitted\)"):
        helper.emit_token("late")
    with pytest.raises(RuntimeError, match="closed"):
        helper.emit_done()
    assert [e.type for e in helper.events] == ["done"]


# -- callbacks and subscribers ------------------------------------------------------------------


def test_a_sync_callback_gets_each_event_as_it_is_emitted() -> None:
    received: list[tuple[int, str]] = []
    helper = StreamingHelper(lambda event: received.append((event.seq, event.type)))
    helper.emit_status("one")
    assert received == [(0, "status")]
    helper.emit_done()
    assert received == [(0, "status"), (1, "done")]


async def test_async_callbacks_are_awaited_by_aclose() -> None:
    received: list[int] = []
    release = asyncio.Event()

    async def slow_callback(event: StreamEvent) -> None:
        await release.wait()
        received.append(event.seq)

    helper = StreamingHelper(slow_callback)
    for n in range(3):
        helper.emit_token(str(n))
    helper.emit_done()
    await asyncio.sleep(0)
    assert received == []  # scheduled, still waiting

    release.set()
    await helper.aclose()
    assert sorted(received) == [0, 1, 2, 3]


async def test_aclose_without_pending_callbacks_returns_at_once() -> None:
    helper = StreamingHelper()
    helper.emit_done()
    await asyncio.wait_for(helper.aclose(), timeout=1)


async def test_an_async_callback_error_surfaces_from_aclose() -> None:
    async def failing(event: StreamEvent) -> None:
        raise ValueError(f"cannot send event {event.seq}")

    helper = StreamingHelper(failing)
    helper.emit_status("x")
    with pytest.raises(ValueError, match="cannot send event 0"):
        await helper.aclose()


async def test_subscribe_yields_events_until_done() -> None:
    helper = StreamingHelper()
    helper.emit_status("before anyone listens")

    async def listen() -> list[tuple[int, str]]:
        return [(event.seq, event.type) async for event in helper.subscribe()]

    listeners = [asyncio.create_task(listen()) for _ in range(2)]
    await asyncio.sleep(0)  # one loop step: both subscribers start and wait on their queue
    assert len(helper._queues) == 2
    helper.emit_token("a")
    helper.emit_token("b")
    helper.emit_done()
    results = await asyncio.wait_for(asyncio.gather(*listeners), timeout=2)
    expected = [(1, "token"), (2, "token"), (3, "done")]
    assert results == [expected, expected]
    assert helper._queues == []  # finished subscribers unregister


# -- consuming a streamed SDK run ---------------------------------------------------------------


async def test_consume_turns_a_streamed_run_into_events() -> None:
    helper = StreamingHelper()
    result = AgentRunner(model=OfflineModel()).run_streamed("assistant", "What is 6 * 7?")
    final = await helper.consume(result)

    assert final == result.final_output
    assert isinstance(final, str)
    assert "42" in final
    events = helper.events
    types = [event.type for event in events]
    first_token = types.index("token")
    assert types[:first_token] == ["agent_start", "tool_call", "tool_result"]
    assert set(types[first_token:-1]) == {"token"}
    assert types[-1] == "agent_end"
    assert [event.seq for event in events] == list(range(len(events)))
    assert {event.agent for event in events} == {"assistant"}

    call, output = events[1:3]
    assert call.data["tool"] == "calculator"
    assert call.data["arguments"] == {"expression": "6 * 7"}
    assert output.data["tool"] == "calculator"
    assert output.data["result"]["value"] == 42
    assert output.data["call_id"] == call.data["call_id"]
    assert call.data["call_id"]

    tokens = [event.data["delta"] for event in events if event.type == "token"]
    assert len(tokens) > 1
    assert "".join(tokens) == final
    assert events[-1].data["output"] == final


async def test_consume_without_announce_leaves_the_first_agent_to_the_caller() -> None:
    helper = StreamingHelper()
    result = AgentRunner(model=OfflineModel()).run_streamed("assistant", "What is 6 * 7?")
    await helper.consume(result, announce=False)
    types = [event.type for event in helper.events]
    assert "agent_start" not in types
    assert "agent_end" not in types
    assert types[:2] == ["tool_call", "tool_result"]
    assert types[-1] == "token"


async def test_consume_reports_a_handoff() -> None:
    register_agent(
        AgentDefinition(
            name="front_desk",
            description="Sends people to the right agent",
            instructions="Hand off to the assistant for arithmetic.",
            handoffs=["assistant"],
        )
    )
    helper = StreamingHelper()
    result = AgentRunner(model=OfflineModel()).run_streamed(
        "front_desk", "Put me through to the assistant"
    )
    final = await helper.consume(result, announce=False)
    summary = [(e.type, e.agent) for e in helper.events if e.type != "token"]
    assert summary[:3] == [
        ("handoff", "front_desk"),
        ("agent_end", "front_desk"),
        ("agent_start", "assistant"),
    ]
    assert helper.events[0].data == {"target": "assistant"}
    assert summary[-1] == ("agent_end", "assistant")
    assert helper.events[-1].data["output"] == final
    assert result.last_agent.name == "assistant"
