"""Message helpers (build SDK input items, read text back out of any item shape); TLS context."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

import pytest
from openai.types.responses import ResponseOutputMessage, ResponseOutputRefusal, ResponseOutputText
from pydantic import BaseModel

from agents_core.llm.openai_models import close_openai_clients, openai_client
from agents_core.utils import (
    assistant_message,
    item_role,
    item_text,
    item_type,
    last_user_text,
    system_message,
    to_text,
    user_message,
)
from agents_core.utils.tls import openai_tls_context, tls_context


class Forecast(BaseModel):
    city: str
    temperature_c: float
    tags: list[str] = []


@dataclass
class Row:
    region: str
    totals: dict[str, int] = field(default_factory=dict)


def test_message_builders() -> None:
    assert user_message("hi") == {"role": "user", "content": "hi"}
    assert assistant_message("hello") == {"role": "assistant", "content": "hello"}
    assert system_message("be brief") == {"role": "system", "content": "be brief"}


def test_item_text_of_string_content() -> None:
    assert item_text(user_message("plain text")) == "plain text"
    assert item_text({"role": "user", "content": ""}) == ""


def test_item_text_joins_list_of_parts() -> None:
    item = {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is "},
            {"type": "input_image", "image_url": "https://example.invalid/x.png"},
            {"type": "input_text", "text": "this?"},
        ],
    }
    assert item_text(item) == "What is this?"


def test_item_text_reads_sdk_output_objects_and_refusals() -> None:
    message = ResponseOutputMessage(
        id="msg_1",
        type="message",
        role="assistant",
        status="completed",
        content=[
            ResponseOutputText(type="output_text", text="Partly. ", annotations=[]),
            ResponseOutputRefusal(type="refusal", refusal="I cannot say more."),
        ],
    )
    assert item_text(message) == "Partly. I cannot say more."
    assert item_text(message.model_dump()) == "Partly. I cannot say more."
    assert item_role(message) == "assistant"
    assert item_type(message) == "message"


@pytest.mark.parametrize(
    "item",
    [
        {"type": "function_call", "call_id": "c", "name": "t", "arguments": "{}"},
        {"role": "user"},
        {"role": "user", "content": None},
        {"role": "user", "content": 42},
        "not an item",
        None,
    ],
)
def test_item_text_of_items_without_text_is_empty(item: Any) -> None:
    assert item_text(item) == ""


def test_item_role_and_type() -> None:
    assert item_role(user_message("x")) == "user"
    assert item_role({"type": "function_call_output", "call_id": "c", "output": "1"}) is None
    assert item_role({"role": 3}) is None
    assert item_type(user_message("x")) == "message"  # messages may omit `type`
    assert item_type({"type": "function_call"}) == "function_call"
    assert item_type({"something": "else"}) == "unknown"


def test_last_user_text() -> None:
    history: list[Any] = [
        system_message("rules"),
        user_message("first question"),
        assistant_message("first answer"),
        {"type": "function_call_output", "call_id": "c", "output": "1"},
        {"role": "user", "content": [{"type": "input_text", "text": "second question"}]},
        assistant_message("second answer"),
    ]
    assert last_user_text(history) == "second question"
    assert last_user_text("a plain string input") == "a plain string input"
    assert last_user_text([assistant_message("no user here")]) == ""
    assert last_user_text([]) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("already text", "already text"),
        ("", ""),
        ({"answer": "42", "sources": ["calculator"]}, 'answer: 42\nsources: ["calculator"]'),
        ({"nested": {"a": 1}, "text": "é"}, 'nested: {"a": 1}\ntext: é'),
        (Forecast(city="Paris", temperature_c=21.5), "city: Paris\ntemperature_c: 21.5\ntags: []"),
        (Row(region="EU", totals={"q1": 3}), 'region: EU\ntotals: {"q1": 3}'),
        ([1, "two"], '[1, "two"]'),
        (42, "42"),
        (True, "true"),
        ({"when": {1}}, 'when: "{1}"'),  # unserializable values fall back to str()
    ],
    ids=[
        "none",
        "str",
        "empty",
        "dict",
        "nested-dict",
        "pydantic",
        "dataclass",
        "list",
        "int",
        "bool",
        "unserializable",
    ],
)
def test_to_text(value: Any, expected: str) -> None:
    assert to_text(value) == expected


async def test_outgoing_clients_share_one_verifying_tls_context_per_http_package() -> None:
    for context in (tls_context(), tls_context(trust_env=False), openai_tls_context()):
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
    assert tls_context() is tls_context()
    assert openai_tls_context() is openai_tls_context()
    client = openai_client("test-key", "https://models.example/v1", 5.0)
    try:
        transport: Any = client._client._transport  # the client's connections, their TLS context
        assert transport._pool._ssl_context is openai_tls_context()
        assert (client.timeout, client.max_retries) == (5.0, 0)
    finally:
        await close_openai_clients()
