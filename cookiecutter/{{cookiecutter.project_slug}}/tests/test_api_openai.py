"""The OpenAI-compatible door (/v1) with the official `openai` client, in process.

The async client talks to the app through httpx's ASGI transport (`http_client=`), with real
API keys for two principals: models, chat completions and responses, whole and streamed, usage,
sessions kept once for stateless clients, ownership (404 in OpenAI's error shape), refusals.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import httpx2
import openai
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from agents_core import AgentDefinition, register_agent, register_tool
from agents_core.config import get_settings
from api import ApiSettings, create_app

ALICE_KEY = "key-alice-0123456789"
BOB_KEY = "key-bob-0123456789"
QUESTION = "What is 2 + 2?"


def settings(**values: Any) -> ApiSettings:
    return ApiSettings(
        api_keys=SecretStr(f"alice:{ALICE_KEY},bob:{BOB_KEY}"),
        **values,
    )


@pytest.fixture
def app() -> FastAPI:
    return create_app(settings())


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


def client_for(http: httpx2.AsyncClient, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key=key, base_url="http://localhost/v1", http_client=http, max_retries=0
    )


@pytest.fixture
async def openai_http(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """The `openai` client's own HTTP client (httpx2), on the app in process."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as client:
        yield client


@pytest.fixture
def alice(openai_http: httpx2.AsyncClient) -> openai.AsyncOpenAI:
    return client_for(openai_http, ALICE_KEY)


@pytest.fixture
def bob(openai_http: httpx2.AsyncClient) -> openai.AsyncOpenAI:
    return client_for(openai_http, BOB_KEY)


def alice_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ALICE_KEY}"}


def openai_error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The OpenAI error body: exactly message, type, code, param."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "code", "param"}
    error: dict[str, Any] = body["error"]
    return error


async def history(http: httpx.AsyncClient, session_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/sessions/{session_id}", headers=alice_headers())
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def texts(items: list[dict[str, Any]]) -> list[str]:
    """The text of each stored message, in order (user strings, assistant output parts)."""
    found = []
    for item in items:
        content = item.get("content")
        if isinstance(content, str):
            found.append(content)
        elif isinstance(content, list):
            found.append("".join(part.get("text", "") for part in content))
    return found


# -- models ------------------------------------------------------------------------------------


async def test_models_list_the_router_first_and_each_agent(alice: openai.AsyncOpenAI) -> None:
    models = [model.id async for model in alice.models.list()]
    assert models[0] == "router"
    assert "assistant" in models
    model = await alice.models.retrieve("assistant")
    assert (model.id, model.object) == ("assistant", "model")


async def test_models_as_open_webui_reads_them(http: httpx.AsyncClient) -> None:
    # Open WebUI: GET {base}/models with the key as a Bearer token, then data[].id.
    response = await http.get("/v1/models", headers=alice_headers())
    assert response.status_code == 200
    assert response.json()["object"] == "list"
    assert "router" in [model["id"] for model in response.json()["data"]]


async def test_unknown_model_is_404_in_openai_shape(
    alice: openai.AsyncOpenAI, http: httpx.AsyncClient
) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        await alice.models.retrieve("nobody")
    assert raised.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError) as raised:
        await alice.chat.completions.create(
            model="nobody", messages=[{"role": "user", "content": QUESTION}]
        )
    error = openai_error_of(
        await http.post(
            "/v1/chat/completions",
            json={"model": "nobody", "messages": [{"role": "user", "content": "hi"}]},
            headers=alice_headers(),
        ),
        404,
    )
    assert (error["code"], error["param"], error["type"]) == (
        "model_not_found",
        "model",
        "not_found_error",
    )
    assert "router" in error["message"]


async def test_no_key_is_401_with_a_challenge(
    http: httpx.AsyncClient, openai_http: httpx2.AsyncClient
) -> None:
    response = await http.get("/v1/models")
    error = openai_error_of(response, 401)
    assert error["type"] == "authentication_error"
    assert response.headers["www-authenticate"].startswith("Bearer")
    with pytest.raises(openai.AuthenticationError):
        await client_for(openai_http, "key-wrong-0123456789").models.list()


# -- chat completions -------------------------------------------------------------------------


async def test_chat_completion_answers_with_usage_and_the_run_id(
    alice: openai.AsyncOpenAI,
) -> None:
    raw = await alice.chat.completions.with_raw_response.create(
        model="assistant", messages=[{"role": "user", "content": QUESTION}]
    )
    completion = raw.parse()
    run_id = raw.headers["x-run-id"]
    assert completion.id == f"chatcmpl-{run_id}"
    assert completion.model == "assistant"
    answer = completion.choices[0]
    assert (answer.finish_reason, answer.message.role) == ("stop", "assistant")
    assert "4" in (answer.message.content or "")
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert raw.headers["x-session-id"]


async def test_chat_completion_through_the_router(alice: openai.AsyncOpenAI) -> None:
    completion = await alice.chat.completions.create(
        model="router", messages=[{"role": "user", "content": QUESTION}]
    )
    assert "4" in (completion.choices[0].message.content or "")


async def test_streamed_chat_completion_ends_with_usage_and_done(
    alice: openai.AsyncOpenAI, http: httpx.AsyncClient
) -> None:
    stream = await alice.chat.completions.create(
        model="assistant",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "4" in text
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert finishes.count("stop") == 1
    assert not chunks[-1].choices  # the usage chunk comes last, without choices
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0
    assert len({chunk.id for chunk in chunks}) == 1
    # On the wire: SSE `data:` lines, the last one `[DONE]`.
    response = await http.post(
        "/v1/chat/completions",
        json={
            "model": "assistant",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
        },
        headers=alice_headers(),
    )
    lines = [line for line in response.text.splitlines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    assert json.loads(lines[-2][6:])["choices"][0]["finish_reason"] == "stop"
    assert response.headers["x-run-id"]


async def test_stateless_history_is_stored_once(
    alice: openai.AsyncOpenAI, http: httpx.AsyncClient
) -> None:
    messages: list[Any] = [{"role": "user", "content": QUESTION}]
    first = await alice.chat.completions.with_raw_response.create(
        model="assistant", messages=messages
    )
    session_id = first.headers["x-session-id"]
    messages.append({"role": "assistant", "content": first.parse().choices[0].message.content})
    messages.append({"role": "user", "content": "What is 3 + 5?"})
    second = await alice.chat.completions.with_raw_response.create(
        model="assistant", messages=messages
    )
    assert second.headers["x-session-id"] == session_id
    messages.append({"role": "assistant", "content": second.parse().choices[0].message.content})
    stored = texts(await history(http, session_id))
    assert stored.count(QUESTION) == 1
    assert stored.count("What is 3 + 5?") == 1
    assert len(stored) == 4


async def test_an_unknown_history_seeds_a_new_session_once(
    alice: openai.AsyncOpenAI, http: httpx.AsyncClient
) -> None:
    messages: Any = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Earlier question"},
        {"role": "assistant", "content": "Earlier answer"},
        {"role": "user", "content": QUESTION},
    ]
    raw = await alice.chat.completions.with_raw_response.create(
        model="assistant", messages=messages
    )
    stored = texts(await history(http, raw.headers["x-session-id"]))
    assert stored[:4] == ["Answer briefly.", "Earlier question", "Earlier answer", QUESTION]
    assert len(stored) == 5


async def test_x_session_id_continues_and_another_principal_gets_404(
    alice: openai.AsyncOpenAI, bob: openai.AsyncOpenAI, http: httpx.AsyncClient
) -> None:
    first = await alice.chat.completions.with_raw_response.create(
        model="assistant", messages=[{"role": "user", "content": QUESTION}]
    )
    session_id = first.headers["x-session-id"]
    await alice.chat.completions.create(
        model="assistant",
        messages=[{"role": "user", "content": "What is 3 + 5?"}],
        extra_headers={"X-Session-Id": session_id},
    )
    assert len(texts(await history(http, session_id))) == 4
    for stream in (False, True):
        with pytest.raises(openai.NotFoundError) as raised:
            await bob.chat.completions.create(
                model="assistant",
                messages=[{"role": "user", "content": "show me"}],
                extra_headers={"X-Session-Id": session_id},
                stream=stream,
            )
        assert raised.value.code == "session_not_found"
    assert len(texts(await history(http, session_id))) == 4  # bob stored nothing


async def test_bob_sending_alices_history_gets_his_own_session(
    alice: openai.AsyncOpenAI, bob: openai.AsyncOpenAI, http: httpx.AsyncClient
) -> None:
    first = await alice.chat.completions.with_raw_response.create(
        model="assistant", messages=[{"role": "user", "content": QUESTION}]
    )
    answer = first.parse().choices[0].message.content
    same: Any = [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": answer},
        {"role": "user", "content": "again"},
    ]
    bobs = await bob.chat.completions.with_raw_response.create(model="assistant", messages=same)
    assert bobs.headers["x-session-id"] != first.headers["x-session-id"]
    assert len(texts(await history(http, first.headers["x-session-id"]))) == 2


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
        ({"functions": [{"name": "f"}]}, "functions"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"n": 2}, "n"),
    ],
)
async def test_client_tools_and_several_choices_are_refused(
    http: httpx.AsyncClient, extra: dict[str, Any], param: str
) -> None:
    body = {"model": "assistant", "messages": [{"role": "user", "content": "hi"}], **extra}
    response = await http.post("/v1/chat/completions", json=body, headers=alice_headers())
    error = openai_error_of(response, 400)
    assert (error["type"], error["param"]) == ("invalid_request_error", param)


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
        [{"role": "tool", "content": "42", "tool_call_id": "c"}],
        [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        [{"role": "user", "content": "\ud800"}],
        [{"role": "user", "content": 12}],
        [{"role": "wizard", "content": "hi"}],
        [],
    ],
)
async def test_what_a_run_cannot_take_is_a_clear_400(
    http: httpx.AsyncClient, messages: list[Any]
) -> None:
    body = json.dumps({"model": "assistant", "messages": messages}, ensure_ascii=True)
    response = await http.post(
        "/v1/chat/completions",
        content=body,
        headers={**alice_headers(), "Content-Type": "application/json"},
    )
    error = openai_error_of(response, 400)
    assert error["type"] == "invalid_request_error"
    assert error["message"]


async def test_hostile_bodies_get_4xx_in_openai_shape(http: httpx.AsyncClient) -> None:
    headers = {**alice_headers(), "Content-Type": "application/json"}
    huge = json.dumps(
        {"model": "assistant", "messages": [{"role": "user", "content": "x" * 2_000_000}]}
    )
    nested = '{"model": "assistant", "messages": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for path in ("/v1/chat/completions", "/v1/responses"):
        error = openai_error_of(await http.post(path, content=huge, headers=headers), 413)
        assert error["code"] == "input_too_large"
        openai_error_of(await http.post(path, content=nested, headers=headers), 400)
        openai_error_of(await http.post(path, content=b"\xff{", headers=headers), 400)
        openai_error_of(await http.post(path, content="[1, 2]", headers=headers), 400)
    openai_error_of(await http.get("/v1/nothing-here", headers=headers), 404)


async def test_a_long_input_is_413_as_on_runs(http: httpx.AsyncClient) -> None:
    app = create_app(settings(max_input_chars=10))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.post(
            "/v1/chat/completions",
            json={"model": "assistant", "messages": [{"role": "user", "content": "x" * 11}]},
            headers=alice_headers(),
        )
    assert openai_error_of(response, 413)["code"] == "input_too_large"


async def test_the_rate_limit_is_429_with_retry_after(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "1")  # the same admission as POST /runs
    get_settings.cache_clear()
    body = {"model": "assistant", "messages": [{"role": "user", "content": QUESTION}]}
    first = await http.post("/v1/chat/completions", json=body, headers=alice_headers())
    assert first.status_code == 200, first.text
    for path, request in (
        ("/v1/chat/completions", body),
        ("/v1/chat/completions", {**body, "stream": True}),
        ("/v1/responses", {"model": "assistant", "input": QUESTION, "stream": True}),
    ):
        refused = await http.post(path, json=request, headers=alice_headers())
        error = openai_error_of(refused, 429)
        assert (error["code"], error["type"]) == ("rate_limit_exceeded", "rate_limit_error")
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["x-run-id"]


# -- responses ---------------------------------------------------------------------------------


async def test_response_and_its_continuation(
    alice: openai.AsyncOpenAI, http: httpx.AsyncClient
) -> None:
    first = await alice.responses.create(model="assistant", input=QUESTION)
    assert first.status == "completed"
    assert "4" in first.output_text
    assert first.usage is not None
    assert first.usage.output_tokens > 0
    second = await alice.responses.create(
        model="assistant", input="What is 3 + 5?", previous_response_id=first.id
    )
    assert "8" in second.output_text
    session_id = first.id.removeprefix("resp_")[:32]
    assert second.id.removeprefix("resp_")[:32] == session_id
    assert texts(await history(http, session_id)).count(QUESTION) == 1


async def test_responses_with_message_items(alice: openai.AsyncOpenAI) -> None:
    response = await alice.responses.create(
        model="assistant",
        input=[
            {"role": "user", "content": "Earlier"},
            {"role": "assistant", "content": "Noted"},
            {"role": "user", "content": [{"type": "input_text", "text": QUESTION}]},
        ],
    )
    assert "4" in response.output_text


async def test_streamed_response_events(alice: openai.AsyncOpenAI) -> None:
    stream = await alice.responses.create(model="assistant", input=QUESTION, stream=True)
    events = [event async for event in stream]
    types = [event.type for event in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert "response.output_text.delta" in types
    assert types[-1] == "response.completed"
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == deltas
    assert "4" in deltas


async def test_store_false_keeps_no_session(alice: openai.AsyncOpenAI) -> None:
    response = await alice.responses.create(model="assistant", input=QUESTION, store=False)
    assert "4" in response.output_text
    with pytest.raises(openai.NotFoundError) as raised:
        await alice.responses.create(
            model="assistant", input="again", previous_response_id=response.id
        )
    assert raised.value.code == "previous_response_not_found"


async def test_bob_cannot_continue_alices_response(
    alice: openai.AsyncOpenAI, bob: openai.AsyncOpenAI, http: httpx.AsyncClient
) -> None:
    first = await alice.responses.create(model="assistant", input=QUESTION)
    for stream in (False, True):
        with pytest.raises(openai.NotFoundError) as raised:
            await bob.responses.create(
                model="assistant", input="show me", previous_response_id=first.id, stream=stream
            )
        assert raised.value.code == "previous_response_not_found"
    with pytest.raises(openai.NotFoundError):
        await bob.responses.create(
            model="assistant", input="x", previous_response_id="resp_" + "0" * 64
        )
    session_id = first.id.removeprefix("resp_")[:32]
    assert len(texts(await history(http, session_id))) == 2


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"instructions": "Be a pirate."}, "instructions"),
        ({"tools": [{"type": "function", "name": "f"}]}, "tools"),
        ({"input": [{"type": "function_call_output", "call_id": "c", "output": "1"}]}, "input.0"),
        ({"input": [{"role": "user", "content": [{"type": "input_image"}]}]}, "input.0.content.0"),
        ({"input": [{"role": "assistant", "content": "hi"}]}, "input"),
        ({"store": False, "previous_response_id": "resp_" + "0" * 64}, "store"),
    ],
)
async def test_responses_refuse_what_a_run_cannot_take(
    http: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    request = {"model": "assistant", "input": "hi", **body}
    error = openai_error_of(
        await http.post("/v1/responses", json=request, headers=alice_headers()), 400
    )
    assert error["param"] == param


# -- approvals ---------------------------------------------------------------------------------

PATH = "delete file /srv/notes.txt"
"""The offline model passes the whole message as the path."""


@pytest.fixture
def janitor() -> list[str]:
    deleted: list[str] = []

    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file's path
        """
        deleted.append(path)
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )
    return deleted


@pytest.mark.parametrize("stream", [False, True])
async def test_a_paused_run_says_where_to_approve(
    alice: openai.AsyncOpenAI, http: httpx.AsyncClient, janitor: list[str], stream: bool
) -> None:
    messages: Any = [{"role": "user", "content": PATH}]
    if stream:
        chunks = [
            chunk
            async for chunk in await alice.chat.completions.create(
                model="janitor", messages=messages, stream=True
            )
        ]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        finish = [c.choices[0].finish_reason for c in chunks if c.choices][-1]
        run_id = chunks[0].id.removeprefix("chatcmpl-")
    else:
        completion = await alice.chat.completions.create(model="janitor", messages=messages)
        text = completion.choices[0].message.content or ""
        finish = completion.choices[0].finish_reason
        run_id = completion.id.removeprefix("chatcmpl-")
    assert finish == "stop"
    assert janitor == []  # nothing ran before the decision
    assert f"POST /runs/{run_id}/approve" in text
    approval_id = text.split('"approval_id": "')[1].split('"')[0]
    assert f"approval id {approval_id}" in text
    foreign = await http.post(
        f"/runs/{run_id}/approve",
        json={"approval_id": approval_id},
        headers={"Authorization": f"Bearer {BOB_KEY}"},
    )
    assert foreign.status_code == 404
    approved = await http.post(
        f"/runs/{run_id}/approve", json={"approval_id": approval_id}, headers=alice_headers()
    )
    assert approved.status_code == 200, approved.text
    assert janitor == [PATH]


async def test_a_malformed_session_header_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/chat/completions",
        json={"model": "assistant", "messages": [{"role": "user", "content": "hi"}]},
        headers={**alice_headers(), "X-Session-Id": "../../etc/passwd"},
    )
    error = openai_error_of(response, 400)
    assert error["code"] == "invalid_session_id"
