"""The OpenAI-compatible door (/v1) over a real socket, with clients nobody here wrote.

A uvicorn server on 127.0.0.1: the official `openai` Python client, sync and async, streamed and
not, chat completions and responses; the `openai` npm package from Node; `GET /v1/models` as
Open WebUI calls it (Bearer key, `data[].id`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from pydantic import SecretStr

from api import ApiSettings, create_app
from tests.api_server import serve
from tests.node_clients import run_node

pytestmark = pytest.mark.slow

ALICE_KEY = "key-alice-0123456789"
BOB_KEY = "key-bob-0123456789"
QUESTION = "What is 2 + 2?"


@pytest.fixture
def base_url() -> Iterator[str]:
    settings = ApiSettings(api_keys=SecretStr(f"alice:{ALICE_KEY},bob:{BOB_KEY}"))
    with serve(create_app(settings)) as url:
        yield url


def test_sync_client_chat_and_responses(base_url: str) -> None:
    with openai.OpenAI(api_key=ALICE_KEY, base_url=f"{base_url}/v1", max_retries=0) as client:
        assert client.models.list().data[0].id == "router"
        completion = client.chat.completions.create(
            model="assistant", messages=[{"role": "user", "content": QUESTION}]
        )
        assert "4" in (completion.choices[0].message.content or "")
        stream = client.chat.completions.create(
            model="router",
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
        assert "4" in "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert chunks[-1].usage is not None
        response = client.responses.create(model="assistant", input=QUESTION)
        assert "4" in response.output_text
        with client.responses.stream(model="assistant", input="What is 3 + 5?") as events:
            final = events.get_final_response()
        assert "8" in final.output_text
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(
                model="nobody", messages=[{"role": "user", "content": QUESTION}]
            )


async def test_async_client_streams_over_a_socket(base_url: str) -> None:
    async with openai.AsyncOpenAI(
        api_key=ALICE_KEY, base_url=f"{base_url}/v1", max_retries=0
    ) as client:
        stream = await client.chat.completions.create(
            model="assistant", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        pieces = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
        assert "4" in "".join(pieces)
        events = [
            event.type
            async for event in await client.responses.create(
                model="assistant", input=QUESTION, stream=True
            )
        ]
        assert events[0] == "response.created"
        assert events[-1] == "response.completed"
        first = await client.responses.create(model="assistant", input=QUESTION)
        async with openai.AsyncOpenAI(
            api_key=BOB_KEY, base_url=f"{base_url}/v1", max_retries=0
        ) as bob:
            with pytest.raises(openai.NotFoundError):
                await bob.responses.create(
                    model="assistant", input="mine now", previous_response_id=first.id
                )


def test_models_as_open_webui_calls_them(base_url: str) -> None:
    # Open WebUI's OpenAI connection: GET {base}/models with `Authorization: Bearer <key>`,
    # then the ids of `data`; a wrong key must be a 401 it can show.
    response = httpx.get(f"{base_url}/v1/models", headers={"Authorization": f"Bearer {ALICE_KEY}"})
    assert response.status_code == 200
    ids = [model["id"] for model in response.json()["data"]]
    assert ids[0] == "router"
    assert "assistant" in ids
    wrong = httpx.get(f"{base_url}/v1/models", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["type"] == "authentication_error"


NODE_SCRIPT = """
import OpenAI from "openai";
const client = new OpenAI({ apiKey: process.env.KEY, baseURL: process.env.BASE, maxRetries: 0 });
const out = {};
out.models = (await client.models.list()).data.map((m) => m.id);
const completion = await client.chat.completions.create({
  model: "assistant", messages: [{ role: "user", content: "What is 2 + 2?" }],
});
out.chat = completion.choices[0].message.content;
out.chatUsage = completion.usage;
const stream = await client.chat.completions.create({
  model: "assistant", messages: [{ role: "user", content: "What is 3 + 5?" }],
  stream: true, stream_options: { include_usage: true },
});
out.streamed = "";
for await (const chunk of stream) {
  if (chunk.choices.length) out.streamed += chunk.choices[0].delta.content ?? "";
  if (chunk.usage) out.streamUsage = chunk.usage;
}
const response = await client.responses.create({ model: "assistant", input: "What is 2 + 2?" });
out.response = response.output_text;
const events = await client.responses.create({
  model: "assistant", input: "What is 2 + 2?", stream: true,
});
out.events = [];
for await (const event of events) out.events.push(event.type);
try {
  await client.chat.completions.create({
    model: "assistant", messages: [{ role: "user", content: "hi" }],
    tools: [{ type: "function", function: { name: "f", parameters: {} } }],
  });
} catch (error) {
  out.toolsError = { status: error.status, code: error.code, param: error.param };
}
console.log(JSON.stringify(out));
"""


def test_the_openai_npm_package(base_url: str) -> None:
    out: dict[str, Any] = run_node(
        NODE_SCRIPT,
        packages=("openai@7",),
        env={"KEY": ALICE_KEY, "BASE": f"{base_url}/v1"},
    )
    assert out["models"][0] == "router"
    assert "4" in out["chat"]
    assert out["chatUsage"]["total_tokens"] > 0
    assert "8" in out["streamed"]
    assert out["streamUsage"]["completion_tokens"] > 0
    assert "4" in out["response"]
    assert out["events"][0] == "response.created"
    assert out["events"][-1] == "response.completed"
    assert out["toolsError"] == {"status": 400, "code": "tools_not_supported", "param": "tools"}, (
        json.dumps(out)
    )
