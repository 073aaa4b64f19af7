"""Faults of the model server: each ends within its bound, with a clear error, on both APIs.

The `test_session_*` functions assert what a fault must leave in the session (a turn is stored
whole or not at all); they hold once the orchestrator stores turns atomically.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from llmock.scenarios import Delay, Fail, Match, Reply, StreamFault, StreamFaultKind, ToolFault

from agents_core.exceptions import ModelCallError
from agents_core.llm import CHAT_COMPLETIONS_HINT
from agents_core.llm.faults import FAULTS
from agents_core.orchestrator import AgentOrchestrator, RoutingOrchestrator
from agents_core.services.streaming import StreamEvent
from agents_core.utils.messages import item_text
from tests.local_http import LocalHTTPServer, serving
from tests.models.conftest import ModelServer, Stopwatch, session_items

pytestmark = pytest.mark.allow_model_calls

QUESTION = "What is 6 * 7?"


async def _fails(session_id: str = "faulty") -> ModelCallError:
    with pytest.raises(ModelCallError) as raised:
        await AgentOrchestrator().run(QUESTION, session_id=session_id)
    return raised.value


async def _stream(orchestrator: AgentOrchestrator, session_id: str) -> list[StreamEvent]:
    return [event async for event in orchestrator.stream(QUESTION, session_id=session_id)]


def _roles(items: list[Any]) -> list[str]:
    return [str(item.get("role") or item.get("type")) for item in items]


# -- 429, then success ---------------------------------------------------------------------------


async def test_429_is_retried_after_retry_after(model_server: ModelServer) -> None:
    model_server.script(Fail(429, retry_after=0.2, times=2), Reply(text="42."))
    watch = Stopwatch()
    outcome = await AgentOrchestrator().run(QUESTION, session_id="rate-limited")
    assert outcome["result"] == "42."
    assert [record.status for record in model_server.requests()] == [429, 429, 200]
    assert watch.seconds >= 0.4  # Retry-After honoured twice


async def test_session_after_429_then_success_holds_the_turn_once(
    model_server: ModelServer,
) -> None:
    model_server.script(Fail(429, retry_after=0.05, times=2), Reply(text="42."))
    await AgentOrchestrator().run(QUESTION, session_id="rate-limited")
    items = await session_items("rate-limited")
    assert _roles(items) == ["user", "assistant"]
    assert items[0]["content"] == QUESTION


# -- 500 forever -------------------------------------------------------------------------------


async def test_500_forever_stops_after_max_retries(model_server: ModelServer) -> None:
    model_server.script(Fail(500, retry_after=0.01, times=None))
    error = await _fails()
    assert (error.fault, error.status) == ("upstream_error", 500)
    assert "answered 500" in str(error)
    assert len(model_server.requests()) == 3  # MODEL_MAX_RETRIES=2, then it gives up


async def test_session_unchanged_after_500_forever(model_server: ModelServer) -> None:
    model_server.script(Fail(500, retry_after=0.01, times=None))
    await _fails("server-error")
    assert await session_items("server-error") == []


# -- a server that never answers -----------------------------------------------------------------


async def test_a_silent_server_is_bounded_by_model_timeout(model_server: ModelServer) -> None:
    model_server.configure(MODEL_TIMEOUT_SECONDS="0.3", MODEL_MAX_RETRIES="1")
    model_server.script(Delay(0.6, times=None))
    watch = Stopwatch()
    error = await _fails()
    # Two attempts of 0.3 s and one backoff (MODEL_RETRY_DELAY_SECONDS, 0.05 s here); without
    # the timeout the first attempt would have succeeded after the Delay.
    assert error.fault == "timeout"
    assert watch.seconds < 2.5  # slack for a loaded machine
    assert "MODEL_TIMEOUT_SECONDS" in str(error)
    assert len(model_server.requests(wait=3)) == 2


async def test_session_unchanged_after_a_timeout(model_server: ModelServer) -> None:
    model_server.configure(MODEL_TIMEOUT_SECONDS="0.3", MODEL_MAX_RETRIES="0")
    model_server.script(Delay(0.6, times=None))
    await _fails("silent")
    assert await session_items("silent") == []


# -- a stream cut before its end ---------------------------------------------------------------


async def test_a_truncated_stream_fails_the_turn(model_server: ModelServer) -> None:
    model_server.script(
        Reply(text="The answer is forty-two, as the calculator says."),
        StreamFault("truncate", after_chunks=2),
    )
    events = await _stream(AgentOrchestrator(), "truncated")
    kinds = [event.type for event in events]
    assert "answer" not in kinds
    (error,) = [event for event in events if event.type == "error"]
    assert "cut" in error.data["message"]
    assert error.data["code"] == "model_truncated"  # a fault's stable name, as the API's
    assert kinds[-1] == "done"
    assert len(model_server.requests()) == 1


async def test_session_unchanged_after_a_truncated_stream(model_server: ModelServer) -> None:
    model_server.script(
        Reply(text="The answer is forty-two, as the calculator says."),
        StreamFault("truncate", after_chunks=2),
    )
    await _stream(AgentOrchestrator(), "truncated")
    assert await session_items("truncated") == []


# -- 401 -----------------------------------------------------------------------------------------


async def test_401_is_not_retried(model_server: ModelServer) -> None:
    model_server.script(Fail(401, times=None))
    error = await _fails()
    assert (error.fault, error.status) == ("auth_failed", 401)
    assert "OPENAI_API_KEY" in str(error)
    assert len(model_server.requests()) == 1


async def test_session_unchanged_after_401(model_server: ModelServer) -> None:
    model_server.script(Fail(401, times=None))
    await _fails("unauthorized")
    assert await session_items("unauthorized") == []


# -- 404: a server without the Responses API -----------------------------------------------------


async def test_404_on_responses_says_to_use_chat_completions(model_server: ModelServer) -> None:
    model_server.script(Fail(404, times=None, match=Match(path="/v1/responses")))
    model_server.script(Fail(404, times=None, match=Match(path="/v1/chat/completions")))
    error = await _fails()
    assert error.fault == "not_found"
    if model_server.api == "responses":
        assert CHAT_COMPLETIONS_HINT in str(error)
    else:
        assert CHAT_COMPLETIONS_HINT not in str(error)
        assert "DEFAULT_MODEL" in str(error)
    assert len(model_server.requests()) == 1


# -- router output that cannot be read -----------------------------------------------------------


UNREADABLE = ["It is about maths, I think.", json.dumps({"category": "math"})]


@pytest.mark.parametrize("reply", UNREADABLE, ids=["prose", "missing-fields"])
@pytest.mark.usefixtures("math_agent")
async def test_unreadable_router_output_falls_back_to_the_default_agent(
    model_server: ModelServer, reply: str
) -> None:
    model_server.script(Reply(text=reply), Reply(text="42."))
    events = await _stream(RoutingOrchestrator(synthesize=False), "unreadable")
    statuses = [event.data["message"] for event in events if event.type == "status"]
    assert "intent_router output unreadable; using assistant" in statuses
    (answer,) = [event for event in events if event.type == "answer"]
    assert answer.data["text"] == "42."
    model_server.script(Reply(text=reply), Reply(text="42."))
    outcome = await RoutingOrchestrator(synthesize=False).run(QUESTION)
    assert (outcome["intent"], outcome["agent"], outcome["result"]) == (None, "assistant", "42.")


@pytest.mark.usefixtures("math_agent")
async def test_session_after_router_fallback_holds_one_turn(model_server: ModelServer) -> None:
    model_server.script(Reply(text=UNREADABLE[0]), Reply(text="42."))
    await RoutingOrchestrator(synthesize=False).run(QUESTION, session_id="fallback")
    items = await session_items("fallback")
    assert _roles(items) == ["user", "assistant"]
    assert item_text(items[-1]) == "42."


# -- a tool that does not exist ----------------------------------------------------------------


async def test_an_unknown_tool_goes_back_to_the_model(model_server: ModelServer) -> None:
    # A ToolFault and a Reply would land on the same request: the second one gets llmock's
    # default answer.
    model_server.script(ToolFault("unknown_tool"))
    outcome = await AgentOrchestrator().run(QUESTION, session_id="unknown-tool")
    assert isinstance(outcome["result"], str)
    assert outcome["result"]
    _, second = model_server.bodies()
    assert "Tool 'llmock_unknown_tool' not found." in json.dumps(second)
    items = await session_items("unknown-tool")
    assert _roles(items)[0] == "user"
    assert _roles(items)[-1] == "assistant"


# -- a stream that answers, then drops; a chunk that is not JSON ---------------------------------

ANSWER = "The answer is forty-two, as the calculator says."


@pytest.mark.parametrize("kind", ["disconnect", "malformed"])
async def test_a_broken_stream_before_the_first_token_is_retried(
    model_server: ModelServer, kind: StreamFaultKind, caplog: pytest.LogCaptureFixture
) -> None:
    # Responses streams open with response.created and response.in_progress: a break after
    # them is still before the first token.
    after = 2 if model_server.api == "responses" else 0
    model_server.script(Reply(text="lost"), StreamFault(kind, after_chunks=after))
    model_server.script(Reply(text=ANSWER))
    caplog.set_level(logging.INFO)
    events = await _stream(AgentOrchestrator(), f"retried-{kind}")
    (answer,) = [event for event in events if event.type == "answer"]
    assert answer.data["text"] == ANSWER
    assert not [event for event in events if event.type == "error"]
    code = "model_interrupted" if kind == "disconnect" else "model_bad_response"
    # One WARNING naming the attempt and the fault; no ERROR from anyone (the run succeeded).
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"model request attempt 1 of 3 failed ({code}); retrying"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    items = await session_items(f"retried-{kind}")
    assert _roles(items) == ["user", "assistant"]
    assert item_text(items[-1]) == ANSWER


@pytest.mark.parametrize("kind", ["disconnect", "malformed"])
async def test_a_broken_stream_after_the_first_token_fails_the_turn(
    model_server: ModelServer, kind: StreamFaultKind, caplog: pytest.LogCaptureFixture
) -> None:
    after = 6 if model_server.api == "responses" else 2  # a few text deltas in
    model_server.script(Reply(text=ANSWER), StreamFault(kind, after_chunks=after))
    caplog.set_level(logging.INFO)
    events = await _stream(AgentOrchestrator(), f"broken-{kind}")
    assert [event for event in events if event.type == "token"]  # tokens were shown
    assert "answer" not in [event.type for event in events]
    (error,) = [event for event in events if event.type == "error"]
    fault = FAULTS["interrupted" if kind == "disconnect" else "bad_response"]
    assert error.data["code"] == fault.code
    assert fault.advice in error.data["message"]
    assert "JSONDecodeError" not in error.data["message"].split(":")[0]
    assert len(model_server.requests()) == 1  # not retried: tokens were already shown
    assert await session_items(f"broken-{kind}") == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["agents_core.runs"]  # one ERROR: the run's own line
    assert not [r for r in caplog.records if r.exc_info and r.name.startswith("openai")]


# -- other 4xx -----------------------------------------------------------------------------------


async def test_another_4xx_is_refused_and_not_retried(model_server: ModelServer) -> None:
    model_server.script(Fail(400, message="context length exceeded", times=None))
    error = await _fails("refused")
    assert (error.fault, error.status) == ("refused", 400)
    assert "context length exceeded" in str(error)
    assert len(model_server.requests()) == 1
    assert await session_items("refused") == []


# -- malformed tool arguments --------------------------------------------------------------------


async def test_malformed_tool_arguments_tell_the_model_the_tool_and_the_problem(
    model_server: ModelServer,
) -> None:
    model_server.script(ToolFault("malformed_arguments"))
    await AgentOrchestrator().run(QUESTION, session_id="bad-arguments")
    _, second = model_server.bodies()
    sent = json.dumps(second)
    assert "was called with invalid arguments" in sent
    assert "An error occurred while running the tool" not in sent
    items = await session_items("bad-arguments")
    (output,) = [item for item in items if item.get("type") == "function_call_output"]
    assert "Tool '" in output["output"]


# -- a router category that names no agent -------------------------------------------------------


@pytest.mark.usefixtures("math_agent")
async def test_an_unknown_router_category_is_not_reported_as_the_intent(
    model_server: ModelServer,
) -> None:
    invented = json.dumps({"category": "mock-category", "confidence": 0.9, "reasoning": "r"})
    model_server.script(Reply(text=invented), Reply(text="42."))
    outcome = await RoutingOrchestrator(synthesize=False).run(QUESTION)
    assert (outcome["intent"], outcome["agent"], outcome["result"]) == (None, "assistant", "42.")
    model_server.script(Reply(text=invented), Reply(text="42."))
    events = await _stream(RoutingOrchestrator(synthesize=False), "invented")
    statuses = [event.data["message"] for event in events if event.type == "status"]
    assert "intent_router category 'mock-category' names no agent; using assistant" in statuses


# -- what llmock cannot script: a body that is not JSON, a body cut short, no server at all -----


class _Broken(BaseHTTPRequestHandler):
    """Answers every request 200 with a body the test chose (`server.body`, `server.length`)."""

    server: _BrokenServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(self.server.length or len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)  # shorter than announced: the body is cut

    def log_message(self, format: str, *args: object) -> None:
        pass


class _BrokenServer(LocalHTTPServer):
    def __init__(self, body: bytes, length: int | None = None) -> None:
        super().__init__(_Broken)
        self.body, self.length, self.hits = body, length, 0


@pytest.fixture
def broken_server(model_server: ModelServer) -> Iterator[_BrokenServer]:
    with serving(_BrokenServer(b"<html>Gateway says hello</html>")) as server:
        model_server.configure(OPENAI_BASE_URL=f"{server.url}/v1", MODEL_MAX_RETRIES="1")
        yield server


async def test_a_body_that_is_not_json_is_a_bad_response_and_retried(
    broken_server: _BrokenServer,
) -> None:
    error = await _fails("not-json")
    assert error.fault == "bad_response"
    assert FAULTS["bad_response"].advice in str(error)
    assert broken_server.hits == 2  # retried once (MODEL_MAX_RETRIES=1), like a 5xx
    assert await session_items("not-json") == []


async def test_a_body_cut_short_is_interrupted_and_retried(broken_server: _BrokenServer) -> None:
    broken_server.body, broken_server.length = b'{"id": "x", "object": "chat.comp', 4096
    error = await _fails("cut-body")
    assert error.fault == "interrupted"
    assert broken_server.hits == 2
    assert await session_items("cut-body") == []


async def test_no_server_at_all_is_unreachable(model_server: ModelServer) -> None:
    with socket.socket() as probe:  # a port that was just free: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model_server.configure(OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1", MODEL_MAX_RETRIES="1")
    error = await _fails("nobody")
    assert error.fault == "unreachable"
    assert "cannot reach the model server" in str(error)
    assert await session_items("nobody") == []
