"""AgentSession: history on the SDK's SQLite session, trimmed, cleaned and validated."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, cast

import pytest
from agents.items import TResponseInputItem

from agents_core.config import get_settings
from agents_core.core import AgentRunner
from agents_core.exceptions import ConfigurationError, InvalidSessionIdError
from agents_core.llm import OfflineModel
from agents_core.session import AgentSession, backends, validate_session_id
from agents_core.utils import assistant_message, item_role, item_text, item_type, user_message

ALLOWED = r"use 1 to 128 letters, digits, '\.', '_', ':' or '-', starting with a letter or digit"


def function_call(call_id: str) -> TResponseInputItem:
    return cast(
        TResponseInputItem,
        {"type": "function_call", "call_id": call_id, "name": "calculator", "arguments": "{}"},
    )


def function_output(call_id: str) -> TResponseInputItem:
    return cast(
        TResponseInputItem,
        {"type": "function_call_output", "call_id": call_id, "output": "42"},
    )


def output_message(text: str) -> TResponseInputItem:
    """An assistant message as the SDK stores a model's output (a list of text parts)."""
    return cast(
        TResponseInputItem,
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        },
    )


def texts(items: list[TResponseInputItem]) -> list[str]:
    return [item_text(item) for item in items]


# -- storage ------------------------------------------------------------------------------------


async def test_add_get_pop_clear(data_dir: Path) -> None:
    session = AgentSession("basics")
    assert await session.get_items() == []
    await session.add_items([user_message("hello"), assistant_message("hi there")])
    await session.add_items([user_message("bye")])
    assert texts(await session.get_items()) == ["hello", "hi there", "bye"]
    assert texts(await session.get_items(limit=2)) == ["hi there", "bye"]
    assert session.item_count == 3

    popped = await session.pop_item()
    assert popped is not None
    assert item_text(popped) == "bye"
    assert session.item_count == 2
    assert await session.count_items() == 2

    await session.clear_session()
    assert await session.get_items() == []
    assert await session.pop_item() is None
    assert session.item_count == 0


async def test_the_default_store_is_a_sqlite_file_in_the_data_dir(data_dir: Path) -> None:
    session = AgentSession("on-disk")
    await session.add_items([user_message("persist me")])
    database = data_dir / "sessions.db"
    assert database.is_file()
    assert database.stat().st_size > 0
    session.close()


async def test_history_survives_a_new_instance_and_is_isolated_by_id(data_dir: Path) -> None:
    first = AgentSession("user-1")
    await first.add_items([user_message("remember this"), assistant_message("noted")])
    first.close()

    again = AgentSession("user-1")
    assert texts(await again.get_items()) == ["remember this", "noted"]
    other = AgentSession("user-2")
    assert await other.get_items() == []
    await other.add_items([user_message("something else")])
    assert texts(await AgentSession("user-1").get_items()) == ["remember this", "noted"]


async def test_adding_nothing_changes_nothing(data_dir: Path) -> None:
    session = AgentSession("empty-add")
    await session.add_items([])
    assert "updated_at" not in session.metadata
    assert await session.get_items() == []


async def test_a_runner_session_carries_the_conversation(data_dir: Path) -> None:
    runner = AgentRunner(model=OfflineModel())
    session = AgentSession("chat-1")

    first = await runner.run("assistant", "What is 6 * 7?", session=session)
    assert str(first.final_output) == "6 * 7 = 42."
    after_first = await session.get_items()
    assert [item_type(item) for item in after_first] == [
        "message",  # the user's question
        "function_call",
        "function_call_output",
        "message",  # the answer
    ]

    second = await runner.run("assistant", "What is 2 + 3?", session=session)
    assert str(second.final_output) == "2 + 3 = 5."
    # The second run's input carried the first run's history.
    second_input = second.input if isinstance(second.input, list) else []
    assert "What is 6 * 7?" in texts(second_input)
    after_second = await AgentSession("chat-1").get_items()
    assert len(after_second) == 8
    assert texts(after_second)[: len(after_first)] == texts(after_first)


# -- trimming and summarization -----------------------------------------------------------------


async def test_max_items_trims_to_a_user_message(data_dir: Path) -> None:
    session = AgentSession("trimmed", max_items=4)
    await session.add_items(
        [
            user_message("q1"),
            function_call("c1"),
            function_output("c1"),
            assistant_message("a1"),
        ]
    )
    assert len(await session.get_items()) == 4
    await session.add_items([user_message("q2"), assistant_message("a2")])
    # The newest 4 would start at the orphaned tool output of c1; trimming starts at q2 instead.
    stored = await AgentSession("trimmed").get_items()
    assert texts(stored) == ["q2", "a2"]
    assert session.item_count == 2


async def test_max_items_keeps_at_most_max_items(data_dir: Path) -> None:
    session = AgentSession("bounded", max_items=5)
    for turn in range(6):
        await session.add_items([user_message(f"q{turn}"), assistant_message(f"a{turn}")])
        stored = await session.get_items()
        assert len(stored) <= 5
        assert item_role(stored[0]) == "user"
    assert texts(await session.get_items()) == ["q4", "a4", "q5", "a5"]


async def test_max_items_defaults_to_the_setting(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSION_MAX_ITEMS", "3")
    get_settings.cache_clear()
    session = AgentSession("from-settings")
    assert session.max_items == 3
    await session.add_items([user_message(str(n)) for n in range(5)])
    assert texts(await session.get_items()) == ["2", "3", "4"]


def test_max_items_below_two_is_refused(data_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"max_items must be at least 2, got 1"):
        AgentSession("tiny", max_items=1)


async def test_needs_summarization_flips_at_summarize_after(data_dir: Path) -> None:
    session = AgentSession("long", max_items=10, summarize_after=3)
    assert session.needs_summarization() is False
    await session.add_items([user_message("1"), assistant_message("2")])
    assert session.needs_summarization() is False
    await session.add_items([user_message("3")])
    assert session.needs_summarization() is True
    await session.pop_item()
    assert session.needs_summarization() is False


def test_summarize_after_defaults_to_80_percent_of_max_items(data_dir: Path) -> None:
    assert AgentSession("eighty", max_items=10).summarize_after == 8


async def test_needs_summarization_sees_history_read_from_disk(data_dir: Path) -> None:
    await AgentSession("reload", max_items=10).add_items([user_message(str(n)) for n in range(4)])
    reopened = AgentSession("reload", max_items=10, summarize_after=4)
    await reopened.get_items()
    assert reopened.needs_summarization() is True


# -- session ids --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "session_id",
    ["", " ", "has space", "../x", "a/b", "-leading-dash", "x" * 129, "x" * 200, "tab\t", "é"],
    ids=repr,
)
def test_invalid_session_ids_are_refused(session_id: str, data_dir: Path) -> None:
    with pytest.raises(InvalidSessionIdError, match=ALLOWED):
        validate_session_id(session_id)
    with pytest.raises(InvalidSessionIdError, match=ALLOWED):
        AgentSession(session_id)


@pytest.mark.parametrize("session_id", [42, b"bytes", ["list"]], ids=repr)
def test_non_string_session_ids_are_refused(session_id: Any, data_dir: Path) -> None:
    with pytest.raises(InvalidSessionIdError, match=ALLOWED):
        validate_session_id(session_id)


@pytest.mark.parametrize(
    "session_id", ["a", "user-1", "tenant:42.chat_7", "0" * 128, "A.B-c_d:e"], ids=repr
)
def test_valid_session_ids_are_kept(session_id: str, data_dir: Path) -> None:
    assert validate_session_id(session_id) == session_id
    assert AgentSession(session_id).session_id == session_id


def test_invalid_session_id_error_is_a_value_error(data_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"Invalid session id '\.\./x'"):
        validate_session_id("../x")


def test_no_session_id_gets_a_fresh_one(data_dir: Path) -> None:
    first, second = AgentSession(), AgentSession()
    assert first.session_id != second.session_id
    assert validate_session_id(first.session_id) == first.session_id


# -- structured-output cleanup ------------------------------------------------------------------


async def test_json_answers_are_stored_as_key_value_lines(data_dir: Path) -> None:
    session = AgentSession("structured")
    answer = {"answer": "It is 42.", "sources": ["calculator"], "confidence": 0.9}
    await session.add_items(
        [
            user_message('{"user": "json stays"}'),
            output_message(json.dumps(answer)),
            assistant_message(json.dumps({"category": "math"})),
            assistant_message(json.dumps({"response": ["a", "b"]})),
        ]
    )
    stored = await session.get_items()
    assert texts(stored) == [
        '{"user": "json stays"}',
        'answer: It is 42.\nsources: ["calculator"]\nconfidence: 0.9',
        "category: math",
        '["a", "b"]',  # a wrapped output ({"response": ...}) is unwrapped
    ]
    # The stored item keeps its shape: a list of parts stays a list of parts.
    parts = cast(dict[str, Any], stored[1])["content"]
    assert isinstance(parts, list)
    assert parts[0]["type"] == "output_text"


@pytest.mark.parametrize(
    "text",
    ["Plain answer.", "[1, 2, 3]", "{not json}", '{"a": 1} trailing', "{}extra{}", "42"],
)
async def test_other_assistant_text_is_stored_untouched(text: str, data_dir: Path) -> None:
    session = AgentSession("untouched")
    await session.add_items([output_message(text), assistant_message(text)])
    assert texts(await session.get_items()) == [text, text]


async def test_cleanup_can_be_switched_off(data_dir: Path) -> None:
    session = AgentSession("raw", clean_structured_outputs=False)
    raw = json.dumps({"answer": "x", "sources": []})
    await session.add_items([output_message(raw)])
    assert texts(await session.get_items()) == [raw]


async def test_a_structured_agent_output_reaches_the_session_as_text(data_dir: Path) -> None:
    session = AgentSession("router-history")
    result = await AgentRunner(model=OfflineModel()).run(
        "intent_router", "Classify: what is the weather?", session=session
    )
    stored = await session.get_items()
    answer = item_text(stored[-1])
    assert item_role(stored[-1]) == "assistant"
    assert not answer.lstrip().startswith("{")
    assert f"category: {result.final_output.category}" in answer.splitlines()


# -- metadata -----------------------------------------------------------------------------------


async def test_metadata_has_created_and_updated_times(data_dir: Path) -> None:
    before = time.time()
    session = AgentSession("timed", metadata={"owner": "alice"})
    assert session.metadata["owner"] == "alice"
    created = session.metadata["created_at"]
    assert before <= created <= time.time()
    assert "updated_at" not in session.metadata

    await session.add_items([user_message("hi")])
    first_update = session.metadata["updated_at"]
    assert first_update >= created
    await session.add_items([user_message("again")])
    assert session.metadata["updated_at"] >= first_update


# -- storage URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["mysql://x", "sessions.db", "ftp://host/x"])
def test_unsupported_session_url_schemes_list_the_supported_ones(
    url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match=r"Unsupported session URL scheme .* Supported: "):
        AgentSession("a", url=url)

    monkeypatch.setenv("SESSION_URL", url)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match=r"Supported: sqlite://, redis://, rediss://, "):
        AgentSession("a")


@pytest.mark.parametrize(
    ("url", "install"),
    [
        ("redis://localhost:6379/0", r"uv add 'openai-agents\[redis\]'"),
        ("postgresql://u:secret@db/x", r"uv add 'openai-agents\[sqlalchemy\]' 'asyncpg'"),
    ],
)
def test_a_backend_that_is_not_installed_names_what_to_install(
    url: str, install: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backends, "_installed", lambda module: module == "sqlite3")
    with pytest.raises(ConfigurationError, match=rf"not installed\)\. Install it with: {install}$"):
        AgentSession("a", url=url)
    with pytest.raises(ConfigurationError) as error:
        AgentSession("a", url=url)
    assert "secret" not in str(error.value)


def test_postgres_urls_become_asyncpg_urls() -> None:
    assert backends.asyncpg_url("postgres://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert backends.asyncpg_url("postgresql://h/db") == "postgresql+asyncpg://h/db"


@pytest.mark.parametrize("url", ["sqlite://host/x.db", "sqlite://", "sqlite:///"])
def test_malformed_sqlite_urls_are_refused(url: str, data_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"SQLite session URL"):
        AgentSession("a", url=url)


async def test_in_memory_sqlite_works(data_dir: Path) -> None:
    session = AgentSession("mem", url="sqlite:///:memory:")
    await session.add_items([user_message("volatile")])
    assert texts(await session.get_items()) == ["volatile"]
    assert not (data_dir / "sessions.db").exists()


async def test_a_relative_sqlite_url_is_relative_to_the_working_directory(
    data_dir: Path, tmp_path: Path
) -> None:
    session = AgentSession("rel", url="sqlite:///state/chat.db")
    await session.add_items([user_message("here")])
    assert (tmp_path / "state" / "chat.db").is_file()


async def test_session_url_setting_moves_the_store(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "elsewhere" / "history.db"
    monkeypatch.setenv("SESSION_URL", f"sqlite:///{target}")
    get_settings.cache_clear()
    await AgentSession("moved").add_items([user_message("x")])
    assert target.is_file()
    assert not (data_dir / "sessions.db").exists()
