"""LiteLLM (`litellm/openai/<model>`) through the same OpenAI-compatible server."""

from __future__ import annotations

import importlib.util
import os

import pytest
from llmock.scenarios import Fail, Reply

from agents_core.exceptions import ModelCallError
from agents_core.orchestrator import AgentOrchestrator
from tests.models.conftest import MODEL, ModelServer

# The `litellm` extra is optional (the template's own CI installs it for its default project).
# Not imported here: the project imports it itself, after telling it to stay offline.
pytestmark = [
    pytest.mark.allow_model_calls,
    pytest.mark.skipif(
        importlib.util.find_spec("litellm") is None,
        reason="needs the litellm extra: uv sync --extra litellm",
    ),
]


async def test_litellm_uses_the_project_server_key_and_retries(
    litellm_server: ModelServer,
) -> None:
    litellm_server.configure(MODEL_MAX_RETRIES="1")
    litellm_server.script(Fail(500, retry_after=0.01, times=1), Reply(text="Hello from LiteLLM."))
    outcome = await AgentOrchestrator().run("Say hello.")
    assert outcome["result"] == "Hello from LiteLLM."
    # One retry, by the SDK's runner: neither LiteLLM nor its OpenAI client retried on their own.
    assert [record.status for record in litellm_server.requests()] == [500, 200]
    assert litellm_server.bodies()[-1]["model"] == MODEL
    assert os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"  # no cost map download


async def test_litellm_faults_are_bounded_and_plain(litellm_server: ModelServer) -> None:
    litellm_server.configure(MODEL_MAX_RETRIES="1")
    litellm_server.script(Fail(500, retry_after=0.01, times=None))
    with pytest.raises(ModelCallError) as raised:
        await AgentOrchestrator().run("Say hello.")
    assert raised.value.status == 500
    assert "\x1b[" not in str(raised.value)  # no ANSI colour codes
    assert len(litellm_server.requests()) == 2
