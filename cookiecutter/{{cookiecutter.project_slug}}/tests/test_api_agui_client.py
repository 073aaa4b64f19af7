"""`@ag-ui/client` (the protocol's own TypeScript client, as CopilotKit runs it) against /agui on
a real server: a conversation with a tool call, an approval answered as an interrupt, and a
second principal turned away, as the client sees them after its own event verification; and a
client that goes away mid-run, which cancels the run and frees its thread."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agents_core import (
    AgentDefinition,
    AgentOrchestrator,
    AgentRunner,
    register_agent,
    register_tool,
)
from agents_core.config import get_settings
from api import ApiSettings, create_app
from api.deps import get_orchestrator_factory
from tests.api_server import serve
from tests.hanging_model import HangingModel
from tests.node_clients import run_node
from tests.test_api_cancellation import QUESTION, assert_next_run_starts_at_once

pytestmark = pytest.mark.slow

PACKAGES = ("@ag-ui/client@1.0.0",)
ALICE_KEY = "key-alice-0123456789"
BOB_KEY = "key-bob-0123456789"
PATH = "delete file /srv/notes.txt"
DELETED: list[str] = []

SCRIPT = r"""
import { HttpAgent, buildResumeArray } from "@ag-ui/client";

const url = process.env.AGUI_URL;
const agent = (key, threadId) =>
  new HttpAgent({ url, threadId, headers: { Authorization: `Bearer ${key}` } });
const recorder = () => {
  const types = [];
  return { types, subscriber: { onEvent: ({ event }) => { types.push(event.type); } } };
};
const say = (a, text) => a.addMessage({ id: crypto.randomUUID(), role: "user", content: text });
const out = {};

// A conversation with a tool call, then a second turn on the same thread.
const alice = agent(process.env.ALICE_KEY);
say(alice, "count the letters of banana");
let rec = recorder();
let run = await alice.runAgent({ forwardedProps: { agent: "counter" } }, rec.subscriber);
out.tool = { types: rec.types, messages: structuredClone(alice.messages), result: run.result };
say(alice, "count the letters of kiwi");
rec = recorder();
run = await alice.runAgent({ forwardedProps: { agent: "counter" } }, rec.subscriber);
out.second = { types: rec.types, last: alice.messages.at(-1), count: alice.messages.length };

// An approval: the run ends with an interrupt, the next run resumes it.
say(alice, process.env.PATH_TO_DELETE);
rec = recorder();
await alice.runAgent({ forwardedProps: { agent: "janitor" } }, rec.subscriber);
out.paused = { types: rec.types, interrupts: alice.pendingInterrupts, state: alice.state };
const [interrupt] = alice.pendingInterrupts;
const resume = buildResumeArray(alice.pendingInterrupts, {
  [interrupt.id]: { status: "resolved", payload: { approved: true } },
});
rec = recorder();
await alice.runAgent({ resume }, rec.subscriber);
out.resumed = { types: rec.types, last: alice.messages.at(-1), pending: alice.pendingInterrupts };

// Bob on alice's thread: the HTTP error the client raises.
const bob = agent(process.env.BOB_KEY, alice.threadId);
say(bob, "hello");
try {
  await bob.runAgent();
  out.bob = { status: 200 };
} catch (error) {
  out.bob = { status: error.status, payload: error.payload };
}
console.log(JSON.stringify(out));
"""


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
def url() -> Iterator[str]:
    settings = ApiSettings(api_keys=SecretStr(f"alice:{ALICE_KEY},bob:{BOB_KEY}"))
    with serve(create_app(settings)) as base:
        yield f"{base}/agui"


def test_http_agent_runs_tools_and_answers_an_interrupt(url: str) -> None:
    env = {"AGUI_URL": url, "ALICE_KEY": ALICE_KEY, "BOB_KEY": BOB_KEY, "PATH_TO_DELETE": PATH}
    out: dict[str, Any] = run_node(SCRIPT, packages=PACKAGES, env=env, timeout=120)

    # The tool call and its result become messages of the client's conversation.
    assert out["tool"]["types"] == [
        "RUN_STARTED",
        "STATE_SNAPSHOT",
        "STEP_STARTED",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "TOOL_CALL_RESULT",
        "TEXT_MESSAGE_START",
        *["TEXT_MESSAGE_CONTENT"] * 6,
        "TEXT_MESSAGE_END",
        "STEP_FINISHED",
        "STATE_SNAPSHOT",
        "RUN_FINISHED",
    ]
    roles = [(m["role"], m.get("content")) for m in out["tool"]["messages"]]
    assert roles[0] == ("user", "count the letters of banana")
    assert roles[-2] == ("tool", "27")
    assert roles[-1] == ("assistant", "The count letters tool returned: 27.")
    (call,) = out["tool"]["messages"][1]["toolCalls"]
    assert call["function"]["name"] == "count_letters"
    assert out["tool"]["result"] == "The count letters tool returned: 27."
    # The second turn: the client sent all of the conversation, the server ran the new message.
    assert out["second"]["types"] == out["tool"]["types"]
    assert out["second"]["last"]["content"] == "The count letters tool returned: 25."

    # The approval: an interrupt bound to the tool call, then the resumed run's answer.
    (interrupt,) = out["paused"]["interrupts"]
    assert interrupt["reason"] == "tool_call"
    assert interrupt["metadata"]["tool"] == "delete_file"
    assert out["paused"]["state"]["pending_approvals"][0]["tool"] == "delete_file"
    assert out["paused"]["types"][-1] == "RUN_FINISHED"
    assert "TOOL_CALL_START" in out["paused"]["types"]
    assert out["resumed"]["types"] == [
        "RUN_STARTED",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "STATE_SNAPSHOT",
        "RUN_FINISHED",
    ]
    assert out["resumed"]["last"]["content"] == f"The delete file tool returned: deleted {PATH}."
    assert out["resumed"]["pending"] == []
    assert DELETED == [PATH]

    # Bob cannot run on alice's thread: 404 in the API's error shape, before any event.
    assert out["bob"]["status"] == 404
    assert out["bob"]["payload"]["error"]["code"] == "session_not_found"


@pytest.fixture
def hanging_url(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, HangingModel]]:
    """The API whose first model call (of any run) never answers; later ones do."""
    monkeypatch.setenv("SESSION_LOCK_TIMEOUT_SECONDS", "1")  # a session still held: 409 at once
    get_settings.cache_clear()
    model = HangingModel()  # one model for every orchestrator: only call number 1 hangs

    def factory(agent: str | None) -> AgentOrchestrator:
        return AgentOrchestrator(
            runner=AgentRunner(model=model), default_agent=agent or "assistant"
        )

    app = create_app(ApiSettings())
    app.dependency_overrides[get_orchestrator_factory] = lambda: factory
    with serve(app) as url:
        yield url, model


async def test_a_client_that_goes_away_frees_its_thread(
    hanging_url: tuple[str, HangingModel],
) -> None:
    url, model = hanging_url
    thread_id = f"agui-gone-{uuid.uuid4().hex[:12]}"
    body = {
        "threadId": thread_id,
        "runId": str(uuid.uuid4()),
        "messages": [{"id": "m1", "role": "user", "content": QUESTION}],
    }
    async with (
        httpx.AsyncClient(base_url=url, timeout=60) as client,
        client.stream("POST", "/agui", json=body) as response,
    ):
        lines = response.aiter_lines()
        assert json.loads((await anext(lines)).removeprefix("data: "))["type"] == "RUN_STARTED"
        await model.wait_entered()  # the run holds the thread's session, inside its model call
    # The client closed the connection: the run is cancelled and the session free at once.
    await model.wait_cancelled()
    await assert_next_run_starts_at_once(url, thread_id)
