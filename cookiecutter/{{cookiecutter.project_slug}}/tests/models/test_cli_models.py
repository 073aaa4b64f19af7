"""The CLI on a real model server: streamed answers and faults, as a user sees them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from llmock.scenarios import Fail, Reply, StreamFault

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


def test_a_stream_cut_after_its_first_tokens_leaves_no_half_answer_on_stdout(
    model_server: ModelServer, capsys: pytest.CaptureFixture[str]
) -> None:
    after = 6 if model_server.api == "responses" else 2
    model_server.script(
        Reply(text="The answer is forty-two."), StreamFault("disconnect", after_chunks=after)
    )
    assert main(["chat", "--agent", "assistant", "What is 6 * 7?"]) == 1
    out, err = capsys.readouterr()
    assert out == ""  # stdout holds answers only, never the first tokens of a failed turn
    assert "answered, then its stream broke off" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_a_retried_attempt_is_one_warning_and_no_library_logs(model_server: ModelServer) -> None:
    # A real process: the CLI's own logging setup at LOG_LEVEL=WARNING, as a user runs it.
    model_server.script(Reply(text="lost"), StreamFault("malformed", after_chunks=0))
    model_server.script(Reply(text="The answer is 42."))
    env = {**os.environ, "LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore"}
    command = [
        sys.executable,
        "-c",
        "import sys; from {{ cookiecutter.package_name }}.cli import main; sys.exit(main(sys.argv[1:]))",
        "chat",
        "--agent",
        "assistant",
        "What is 6 * 7?",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "The answer is 42."
    logged = [line for line in done.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert logged == [
        "WARNING agents_core.llm.model_calls: model request attempt 1 of 3 failed "
        "(model_bad_response); retrying"
    ]
    assert "Traceback" not in done.stderr
