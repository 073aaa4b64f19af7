"""The CLI on a real model server: streamed answers and faults, as a user sees them."""

from __future__ import annotations

import pytest
from llmock.scenarios import Fail, Reply

from {{ cookiecutter.package_name }}.cli import main
from tests.models.conftest import ModelServer

pytestmark = pytest.mark.allow_model_calls


def test_chat_streams_the_answer(
    model_server: ModelServer, capsys: pytest.CaptureFixture[str]
) -> None:
    model_server.script(Reply(text="The answer is 42."))
    assert main(["chat", "--agent", "assistant", "What is 6 * 7?"]) == 0
    out, _ = capsys.readouterr()
    assert "The answer is 42." in out
    (body,) = model_server.bodies()
    assert body["stream"] is True


def test_chat_reports_a_fault_in_one_clean_line(
    model_server: ModelServer, capsys: pytest.CaptureFixture[str]
) -> None:
    model_server.script(Fail(401, times=None))
    assert main(["chat", "--agent", "assistant", "What is 6 * 7?"]) == 1
    _, err = capsys.readouterr()
    assert "error: Agent 'assistant' failed:" in err
    assert "answered 401" in err
    assert "OPENAI_API_KEY" in err
    assert "Traceback" not in err


def test_a_base_url_without_a_key_is_refused_at_start(
    model_server: ModelServer, capsys: pytest.CaptureFixture[str]
) -> None:
    model_server.configure(OPENAI_API_KEY="")
    assert main(["chat", "--agent", "assistant", "hello"]) != 0
    _, err = capsys.readouterr()
    assert "OPENAI_BASE_URL is set" in err
    assert "OPENAI_API_KEY=local" in err
    assert model_server.requests() == []
