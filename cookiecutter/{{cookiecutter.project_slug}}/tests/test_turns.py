"""A run is one turn of its session: its own query, guardrails first, whole or nothing, in order.

Every test runs on each session backend the project was made for (`backend_url`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, cast

import pytest
from agents import ModelResponse

from agents_core import (
    AgentDefinition,
    AgentOrchestrator,
    AgentRunError,
    AgentRunner,
    AgentSession,
    GuardrailTripped,
    OfflineModel,
    RoutingOrchestrator,
    SessionBusyError,
    register_agent,
    register_tool,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = next(p.parent.name for p in PROJECT_ROOT.glob("*/cli.py"))

pytestmark = pytest.mark.usefixtures("backend_url")


class CountingModel(OfflineModel):
    """The offline model, counting its calls; fails from call `fail_at` on when it is set."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.fail_at = fail_at

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        if self.fail_at is not None and self.calls + 1 >= self.fail_at:
            self.calls += 1
            raise ConnectionError("the model server went away")
        return await super().get_response(*args, **kwargs)


def fresh_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def stored(session_id: str) -> list[dict[str, Any]]:
    async with AgentSession(session_id) as session:
        return [cast(dict[str, Any], item) for item in await session.get_items()]


def shape(items: list[dict[str, Any]]) -> list[str]:
    return [str(item.get("role") or item.get("type")) for item in items]


async def test_hello_gets_a_greeting_and_nothing_internal_is_stored() -> None:
    session_id = fresh_id("hello")
    result = await RoutingOrchestrator().run("Hello", session_id=session_id)
    assert result["agent"] == "assistant"
    assert result["result"].startswith("Hello! How can I help?")
    items = await stored(session_id)
    assert shape(items) == ["user", "assistant"]
    assert items[1]["content"] == result["result"]  # not the router's classification


@pytest.fixture
def price_agent() -> None:
    @register_tool(name="price_list", description="Prices of the fruit we sell")
    def price_list() -> dict[str, Any]:
        rows = [{"fruit": "apple", "price": 3.5}, {"fruit": "pear", "price": 1.25}]
        return {"metric": "price", "rows": rows}

    register_agent(
        AgentDefinition(
            name="grocer",
            description="Fruit prices",
            instructions="Answer with the price list.",
            tools=["price_list"],
            guardrails=["no_secrets"],
            metadata={"intent": "prices"},
        )
    )


@pytest.mark.usefixtures("price_agent")
async def test_a_follow_up_sees_the_previous_question_and_answer() -> None:
    session_id = fresh_id("follow-up")
    orchestrator = RoutingOrchestrator()
    first = await orchestrator.run("Which fruit has the highest price?", session_id=session_id)
    assert first["result"] == "apple had the highest price: 3.5."
    second = await orchestrator.run("and the lowest?", session_id=session_id)
    assert second["agent"] == "grocer"
    assert second["result"] == "pear had the lowest price: 1.25."
    items = await stored(session_id)
    assert [item.get("content") for item in items if item.get("role")] == [
        "Which fruit has the highest price?",
        "apple had the highest price: 3.5.",
        "and the lowest?",
        "pear had the lowest price: 1.25.",
    ]


async def test_concurrent_turns_on_one_session_each_answer_their_own_question() -> None:
    session_id = fresh_id("concurrent")
    orchestrator = RoutingOrchestrator()
    questions = [f"What is {n} + {n}?" for n in range(1, 21)]
    results = await asyncio.gather(*(orchestrator.run(q, session_id=session_id) for q in questions))
    for n, result in enumerate(results, start=1):
        assert result["result"] == f"{n} + {n} = {2 * n}."
    assert_whole_turns(await stored(session_id), questions)


def assert_whole_turns(items: list[dict[str, Any]], questions: list[str]) -> None:
    """Turns of 'What is n + n?': user, tool call, tool result, answer; each answer its own."""
    assert shape(items) == ["user", "function_call", "function_call_output", "assistant"] * len(
        questions
    )
    asked = [item["content"] for item in items[0::4]]
    assert sorted(asked) == sorted(questions)
    for question, answer in zip(asked, items[3::4], strict=True):
        n = int(question.split()[2])
        assert answer["content"] == f"{n} + {n} = {2 * n}."


async def test_a_secret_is_refused_before_any_model_call_or_session_write() -> None:
    session_id = fresh_id("secret")
    model = CountingModel()
    orchestrator = RoutingOrchestrator(runner=AgentRunner(model=model))
    with pytest.raises(GuardrailTripped) as caught:
        await orchestrator.run("my key is sk-proj-abcdefghijklmnop0123", session_id=session_id)
    assert caught.value.guardrail == "no_secrets"
    assert "remove it" in str(caught.value)
    assert model.calls == 0
    assert await stored(session_id) == []


async def test_a_failed_run_leaves_the_session_as_it_was() -> None:
    session_id = fresh_id("failed")
    await AgentOrchestrator().run("What is 1 + 1?", session_id=session_id)
    before = await stored(session_id)
    # The second model call of the run fails (the assistant's, after its tool call or the
    # router's classification): some of the turn's work is done, none of it may stay.
    failing = RoutingOrchestrator(runner=AgentRunner(model=CountingModel(fail_at=2)))
    with pytest.raises(AgentRunError):
        await failing.run("What is 2 + 2?", session_id=session_id)
    assert await stored(session_id) == before


async def test_a_cancelled_stream_stores_nothing() -> None:
    session_id = fresh_id("cancelled")
    stream = AgentOrchestrator().stream("What is 3 + 3?", session_id=session_id)
    async for event in stream:
        if event.type == "tool_call":
            break  # the client goes away mid-run
    await stream.aclose()
    assert await stored(session_id) == []


async def test_a_busy_session_gives_session_busy_after_the_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agents_core.config import get_settings

    monkeypatch.setenv("SESSION_LOCK_TIMEOUT_SECONDS", "0.3")
    get_settings.cache_clear()
    session_id = fresh_id("busy")
    async with AgentSession(session_id) as holder, holder.turn("a long turn"):
        with pytest.raises(SessionBusyError) as caught:
            await AgentOrchestrator().run("What is 1 + 1?", session_id=session_id)
        assert caught.value.session_id == session_id
        assert "SESSION_LOCK_TIMEOUT_SECONDS" in str(caught.value)


@pytest.mark.slow
def test_two_cli_processes_on_one_session_keep_whole_turns(backend_url: str) -> None:
    session_id = fresh_id("cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    batches = [[f"What is {n} + {n}?" for n in range(start, start + 4)] for start in (1, 5)]
    chats = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                PACKAGE,
                "chat",
                "--agent",
                "assistant",
                "--session",
                session_id,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
        )
        for _ in batches
    ]
    outputs = [
        chat.communicate("\n".join(batch) + "\n\n", timeout=120)
        for chat, batch in zip(chats, batches, strict=True)
    ]
    for chat, batch, (out, err) in zip(chats, batches, outputs, strict=True):
        assert chat.returncode == 0, err
        answers = [line.removeprefix("you › ") for line in out.splitlines() if "=" in line]
        assert answers == [
            f"{q.split()[2]} + {q.split()[2]} = {2 * int(q.split()[2])}." for q in batch
        ]
    assert_whole_turns(asyncio.run(stored(session_id)), batches[0] + batches[1])
