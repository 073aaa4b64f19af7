"""Model selection: offline without a key, OpenAI with one, never a silent fallback."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from agents import set_tracing_disabled
from agents.models.openai_responses import OpenAIResponsesModel

from agents_core import AgentRunError, AgentRunner, ConfigurationError, OfflineModel, get_settings
from agents_core.llm import (
    FinishCheckedChatCompletionsModel,
    configure_tracing,
    resolve_model,
    uses_offline_model,
)
from tests.local_http import LocalHTTPServer, serving


def test_auto_without_a_key_is_offline() -> None:
    assert isinstance(resolve_model(), OfflineModel)
    assert uses_offline_model()


def test_auto_with_a_key_is_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    get_settings.cache_clear()
    assert isinstance(resolve_model("gpt-5.6-luna"), OpenAIResponsesModel)
    assert not uses_offline_model()


def test_offline_provider_and_offline_name_force_the_offline_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    get_settings.cache_clear()
    assert isinstance(resolve_model("offline"), OfflineModel)
    monkeypatch.setenv("LLM_PROVIDER", "offline")
    get_settings.cache_clear()
    assert isinstance(resolve_model("gpt-5.6-luna"), OfflineModel)


def test_openai_provider_without_a_key_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="needs OPENAI_API_KEY"):
        resolve_model()


def test_litellm_names_need_the_extension() -> None:
    # find_spec, not an import: LiteLLM must first be told to stay offline (resolve_model does).
    if importlib.util.find_spec("litellm") is None:
        with pytest.raises(ConfigurationError, match=r"openai-agents\[litellm\]"):
            resolve_model("litellm/anthropic/claude-sonnet-4")
    else:
        assert not isinstance(resolve_model("litellm/anthropic/claude-sonnet-4"), OfflineModel)


def test_openai_api_chooses_the_model_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_API", "chat_completions")
    get_settings.cache_clear()
    model = resolve_model("llama3.1")
    assert isinstance(model, FinishCheckedChatCompletionsModel)
    assert model._client.max_retries == 0  # the SDK's runner retries, not the client
    assert model._client.timeout == get_settings().model_timeout_seconds


@pytest.mark.parametrize(
    ("env", "exported"),
    [
        ({}, False),  # offline: nothing to export
        ({"OPENAI_API_KEY": "sk-test"}, True),  # OpenAI's model at OpenAI's URL
        ({"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": "https://api.openai.com/v1"}, True),
        ({"OPENAI_API_KEY": "local", "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, False),
        ({"OPENAI_API_KEY": "sk-test", "DEFAULT_MODEL": "litellm/anthropic/claude-x"}, False),
        ({"OPENAI_API_KEY": "sk-test", "LLM_PROVIDER": "offline"}, False),
        ({"OPENAI_API_KEY": "sk-test", "TRACING": "off"}, False),
        ({"TRACING": "on"}, False),  # no key: the exporter could not send anything
        (
            {"TRACING": "on", "OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"},
            True,  # asked for explicitly
        ),
    ],
)
def test_tracing_is_exported_only_for_openai_or_when_asked(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], exported: bool
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert configure_tracing() is exported
    finally:
        set_tracing_disabled(True)


class _Unauthorized(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.dumps(
            {
                "error": {
                    "message": "Incorrect API key provided",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            }
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def openai_compatible_server() -> Iterator[str]:
    """A local OpenAI-compatible endpoint that rejects every key."""
    with serving(LocalHTTPServer(_Unauthorized)) as server:
        yield f"{server.url}/v1"


@pytest.mark.allow_model_calls
async def test_a_wrong_key_is_an_error_not_a_switch_to_offline(
    monkeypatch: pytest.MonkeyPatch, openai_compatible_server: str
) -> None:
    monkeypatch.setenv("TRACING", "off")  # nothing to export from a test
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_compatible_server)
    get_settings.cache_clear()
    from agents_core.llm import selection

    try:
        with pytest.raises(AgentRunError, match="Incorrect API key"):
            await AgentRunner().run("assistant", "What is 1 + 1?")
    finally:
        await selection.close_model_clients()
