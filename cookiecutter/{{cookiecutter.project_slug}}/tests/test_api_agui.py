"""POST /agui in process: AG-UI events in order, SSE framing, interrupts, owners, bad bodies.

The Node client (`@ag-ui/client`'s HttpAgent) against a real server is in
test_api_agui_client.py; a failing model server's RUN_ERROR in tests/models/test_api_models.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agents_core import AgentDefinition, register_agent, register_tool
from api import ApiSettings, create_app

ALICE = {"Authorization": "Bearer key-alice-0123456789"}
BOB = {"Authorization": "Bearer key-bob-0123456789"}
PATH = "delete file /srv/notes.txt"
"""The offline model passes the whole message as the tool's argument."""
DELETED: list[str] = []


@pytest.fixture(autouse=True)
def agents() -> None:
    DELETED.clear()

    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file's path
        """
        DELETED.append(path)
        return f"deleted {path}"

    @register_tool
    def count_letters(word: str) -> int:
        """Count the letters of a word.

        Args:
            word: the word to count
        """
        return len(word)

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )
    register_agent(
        AgentDefinition(
            name="counter",
            description="Counts letters",
            instructions="You count letters.",
            tools=["count_letters"],
        )
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = ApiSettings(api_keys=SecretStr("alice:key-alice-0123456789,bob:key-bob-0123456789"))
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


def user(text: str) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "role": "user", "content": text}


def run_input(
    text: str | None,
    *,
    thread_id: str | None = None,
    agent: str | None = None,
    history: list[dict[str, Any]] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A RunAgentInput as HttpAgent sends it (camelCase, the whole conversation)."""
    messages = [*(history or []), *([user(text)] if text is not None else [])]
    return {
        "threadId": thread_id or str(uuid.uuid4()),
        "runId": str(uuid.uuid4()),
        "state": {},
        "messages": messages,
        "tools": [],
        "context": [],
        "forwardedProps": {"agent": agent} if agent else {},
        **more,
    }


def frames(response: httpx.Response) -> list[dict[str, Any]]:
    """The SSE frames of an AG-UI stream: each `data: <json>` then a blank line, nothing else."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    text = response.text
    assert text.endswith("\n\n")
    events = []
    for block in text.split("\n\n")[:-1]:
        assert block.startswith("data: "), block
        assert "\n" not in block, block
        events.append(json.loads(block.removeprefix("data: ")))
    return events


def types(events: list[dict[str, Any]]) -> list[str]:
    """Event types, a run of TEXT_MESSAGE_CONTENT counted once."""
    out: list[str] = []
    for event in events:
        if not (event["type"] == "TEXT_MESSAGE_CONTENT" and out[-1:] == [event["type"]]):
            out.append(event["type"])
    return out


def text_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")


def last(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return [event for event in events if event["type"] == kind][-1]


async def post(client: httpx.AsyncClient, body: Any, headers: dict[str, str] = ALICE) -> Any:
    return await client.post("/agui", json=body, headers=headers)


async def test_a_tool_call_streams_in_protocol_order(client: httpx.AsyncClient) -> None:
    body = run_input("count the letters of banana", agent="counter")
    response = await post(client, body)
    events = frames(response)

    assert types(events) == [
        "RUN_STARTED",
        "STATE_SNAPSHOT",
        "STEP_STARTED",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "TOOL_CALL_RESULT",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "STEP_FINISHED",
        "STATE_SNAPSHOT",
        "RUN_FINISHED",
    ]
    started, finished = events[0], events[-1]
    assert (started["threadId"], started["runId"]) == (body["threadId"], body["runId"])
    assert started["protocolVersion"] == "1.0"
    assert (finished["threadId"], finished["runId"]) == (body["threadId"], body["runId"])
    assert finished["outcome"] == {"type": "success"}
    assert finished["usage"][0]["totalTokens"] > 0
    call = last(events, "TOOL_CALL_START")
    assert call["toolCallName"] == "count_letters"
    assert json.loads(last(events, "TOOL_CALL_ARGS")["delta"]) == {
        "word": "count the letters of banana"
    }
    result = last(events, "TOOL_CALL_RESULT")
    assert (result["toolCallId"], result["content"]) == (call["toolCallId"], "27")
    assert text_of(events) == "The count letters tool returned: 27."
    assert finished["result"] == "The count letters tool returned: 27."
    assert last(events, "STEP_STARTED")["stepName"] == "counter"
    # Our run id (logs, traces) is in the header and the state; the session is the thread.
    state = last(events, "STATE_SNAPSHOT")["snapshot"]
    assert state == {
        "session_id": body["threadId"],
        "run_id": response.headers["X-Run-Id"],
        "agent": "counter",
        "pending_approvals": [],
    }


async def test_the_router_streams_only_the_answer_as_text(client: httpx.AsyncClient) -> None:
    events = frames(await post(client, run_input("What is 2 + 2?")))

    assert text_of(events) == "2 + 2 = 4."  # not the router's structured JSON
    steps = [e["stepName"] for e in events if e["type"] == "STEP_STARTED"]
    assert steps[-1] == "assistant"  # after the intent router, when the project has several agents
    assert last(events, "STATE_SNAPSHOT")["snapshot"]["agent"] == "assistant"
    assert events[-1]["type"] == "RUN_FINISHED"


async def test_a_thread_continues_its_session(client: httpx.AsyncClient) -> None:
    first = run_input("What is 2 + 2?", agent="assistant")
    events = frames(await post(client, first))
    answer = {"id": uuid.uuid4().hex, "role": "assistant", "content": text_of(events)}

    # HttpAgent sends the whole conversation again: only the last message is new input.
    history = [*first["messages"], answer]
    second = run_input(
        "What is 3 * 5?", thread_id=first["threadId"], agent="assistant", history=history
    )
    events = frames(await post(client, second))

    assert text_of(events) == "3 * 5 = 15."
    stored = await client.get(f"/sessions/{first['threadId']}", headers=ALICE)
    texts = json.dumps(stored.json()["items"])
    assert texts.count("What is 2 + 2?") == 1  # not stored twice
    assert "What is 3 * 5?" in texts


async def test_an_approval_is_an_interrupt_answered_by_resume(client: httpx.AsyncClient) -> None:
    body = run_input(PATH, agent="janitor")
    events = frames(await post(client, body))

    assert types(events) == [
        "RUN_STARTED",
        "STATE_SNAPSHOT",
        "STEP_STARTED",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "STEP_FINISHED",
        "STATE_SNAPSHOT",
        "RUN_FINISHED",
    ]
    finished = events[-1]
    assert finished["outcome"]["type"] == "interrupt"
    (interrupt,) = finished["outcome"]["interrupts"]
    assert interrupt["reason"] == "tool_call"
    assert interrupt["toolCallId"] == last(events, "TOOL_CALL_START")["toolCallId"]
    assert interrupt["responseSchema"]["required"] == ["approved"]
    assert interrupt["metadata"]["tool"] == "delete_file"
    pending = last(events, "STATE_SNAPSHOT")["snapshot"]["pending_approvals"]
    assert [p["approval_id"] for p in pending] == [interrupt["metadata"]["approval_id"]]
    assert DELETED == []

    resume = [{"interruptId": interrupt["id"], "status": "resolved", "payload": {"approved": True}}]
    resumed = run_input(None, thread_id=body["threadId"], resume=resume)
    events = frames(await post(client, resumed))

    assert types(events) == [
        "RUN_STARTED",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "STATE_SNAPSHOT",
        "RUN_FINISHED",
    ]
    assert text_of(events) == f"The delete file tool returned: deleted {PATH}."
    assert events[-1]["outcome"] == {"type": "success"}
    assert events[-1]["runId"] == resumed["runId"]
    assert DELETED == [PATH]

    replay = frames(await post(client, resumed))  # the same decision again
    assert types(replay) == ["RUN_STARTED", "RUN_ERROR"]
    assert replay[-1]["code"] == "approval_already_decided"


async def test_a_rejection_or_a_cancel_reaches_the_model(client: httpx.AsyncClient) -> None:
    answers: list[tuple[dict[str, Any], str]] = [
        (
            {"status": "resolved", "payload": {"approved": False, "reason": "not today"}},
            "not today",
        ),
        ({"status": "cancelled"}, "cancelled by the user"),
    ]
    for entry, reason in answers:
        body = run_input(PATH, agent="janitor")
        interrupt = frames(await post(client, body))[-1]["outcome"]["interrupts"][0]
        resume = [{"interruptId": interrupt["id"], **entry}]
        events = frames(
            await post(client, run_input(None, thread_id=body["threadId"], resume=resume))
        )
        assert text_of(events) == (
            f"I did not run the delete file tool: the call was not approved (reason: {reason})."
        )
    assert DELETED == []


async def test_bob_cannot_reach_alices_thread_or_decide_her_approval(
    client: httpx.AsyncClient,
) -> None:
    opening = run_input("What is 2 + 2?", agent="assistant")
    frames(await post(client, opening))  # her thread holds a turn: it is stored as hers
    body = run_input(PATH, thread_id=opening["threadId"], agent="janitor")
    interrupt = frames(await post(client, body))[-1]["outcome"]["interrupts"][0]
    resume = [{"interruptId": interrupt["id"], "status": "resolved", "payload": {"approved": True}}]

    # Her thread: 404 before any event, as an unknown session.
    for attempt in (
        run_input("hello", thread_id=body["threadId"]),
        run_input(None, thread_id=body["threadId"], resume=resume),
    ):
        response = await post(client, attempt, BOB)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "session_not_found"
    # His run was refused by its own owner check, before it stored or asked anything.
    stored = await client.get(f"/sessions/{body['threadId']}", headers=ALICE)
    assert "hello" not in json.dumps(stored.json()["items"])
    # Her interrupt from his own thread: unknown to him.
    events = frames(await post(client, run_input(None, resume=resume), BOB))
    assert types(events) == ["RUN_STARTED", "RUN_ERROR"]
    assert events[-1]["code"] == "approval_not_found"
    assert DELETED == []
    # Still hers to decide.
    events = frames(await post(client, run_input(None, thread_id=body["threadId"], resume=resume)))
    assert events[-1]["outcome"] == {"type": "success"}
    assert DELETED == [PATH]


async def test_without_a_key_the_door_is_closed(client: httpx.AsyncClient) -> None:
    response = await post(client, run_input("hi"), {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "invalid_request"),
        ({"threadId": "t1", "runId": "r1"}, 422, "invalid_request"),
        ([1, 2], 422, "invalid_request"),
        (run_input("hi", thread_id="bad thread/id"), 422, "invalid_thread_id"),
        (run_input(None), 422, "no_user_message"),
        (run_input("  "), 422, "empty_input"),
        (run_input("hi", agent="nobody"), 404, "unknown_agent"),
        ({**run_input("hi"), "forwardedProps": [1]}, 422, "invalid_forwarded_props"),
        ({**run_input("hi"), "forwardedProps": {"agent": 7}}, 422, "invalid_forwarded_props"),
        ({**run_input("hi"), "forwardedProps": {"context": {"nope": 1}}}, 422, "invalid_context"),
        (run_input("x" * 200_000), 413, "input_too_large"),
        (
            run_input(None, history=[{"id": "m", "role": "assistant", "content": "hi"}]),
            422,
            "no_user_message",
        ),
        (
            run_input(
                None,
                history=[
                    {
                        "id": "m",
                        "role": "user",
                        "content": [
                            {"type": "image", "source": {"type": "url", "value": "http://x"}}
                        ],
                    }
                ],
            ),
            422,
            "unsupported_content",
        ),
        (
            run_input(None, resume=[{"interruptId": "nope", "status": "resolved"}]),
            422,
            "invalid_resume",
        ),
        (
            run_input(
                None,
                resume=[
                    {
                        "interruptId": f"{'a' * 32}.{'b' * 32}",
                        "status": "resolved",
                        "payload": {"approved": "yes"},
                    }
                ],
            ),
            422,
            "invalid_resume",
        ),
        (run_input(None, resume=[{"interruptId": "x", "status": "maybe"}]), 422, "invalid_request"),
    ],
)
async def test_bad_bodies_get_a_4xx_saying_what_is_allowed(
    client: httpx.AsyncClient, body: Any, status: int, code: str
) -> None:
    response = await client.post(
        "/agui", content=json.dumps(body), headers={**ALICE, "Content-Type": "application/json"}
    )

    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


async def test_nested_surrogate_and_huge_bodies_are_4xx(client: httpx.AsyncClient) -> None:
    depth = 5_000
    nested = json.dumps(run_input("hi")).replace(
        '"state": {}', '"state": ' + '{"a": ' * depth + "1" + "}" * depth
    )
    response = await client.post(
        "/agui", content=nested, headers={**ALICE, "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"

    body = json.dumps(run_input("hi")).replace('"hi"', '"\\ud800"')
    response = await client.post(
        "/agui", content=body, headers={**ALICE, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_text"

    huge = json.dumps(run_input("a" * 2_000_000))
    response = await client.post(
        "/agui", content=huge, headers={**ALICE, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "input_too_large"


async def test_client_tools_are_not_offered_to_the_agents(client: httpx.AsyncClient) -> None:
    tool = {"name": "confirm", "description": "Ask the user", "parameters": {"type": "object"}}
    events = frames(await post(client, run_input("What is 2 + 2?", tools=[tool])))

    assert text_of(events) == "2 + 2 = 4."
    assert all(e.get("toolCallName") != "confirm" for e in events)
