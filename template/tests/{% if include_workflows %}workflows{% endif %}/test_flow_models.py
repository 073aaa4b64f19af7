"""A flow on a real model server (llmock on 127.0.0.1): same settings, no second retry layer."""

from __future__ import annotations

import pytest
from llmock.scenarios import Fail, Reply
from prefect.states import Failed

from agents_core.exceptions import ModelCallError
from tests.models import conftest as models
from tests.models.conftest import ModelServer
from workflows_core.flows.agent_analysis_flow import agent_analysis_flow
from workflows_core.tasks.agent_tasks import _is_transient, run_agent_analysis_task

# slow: flows on the Prefect server
pytestmark = [
    pytest.mark.slow,
    pytest.mark.allow_model_calls,
    pytest.mark.usefixtures("prefect_server"),
]

# The llmock fixtures of tests/models, for flows that need this folder's Prefect server.
llmock_server = models.llmock_server
model_server = models.model_server


async def test_a_flow_answers_on_the_model_server(model_server: ModelServer) -> None:
    model_server.script(Reply(text="6 * 7 = 42."))
    result = await agent_analysis_flow("What is 6 * 7?", agent="assistant")
    assert result["analysis"]["text"] == "6 * 7 = 42."
    assert len(model_server.requests()) == 1


async def test_a_model_fault_fails_the_flow_without_task_retries(
    model_server: ModelServer,
) -> None:
    model_server.configure(MODEL_MAX_RETRIES="1")
    model_server.script(Fail(500, retry_after=0.01, times=None))
    state = await agent_analysis_flow("What is 6 * 7?", agent="assistant", return_state=True)
    assert state.is_failed()
    # MODEL_MAX_RETRIES + 1 requests, once: the task did not run the agent again.
    assert len(model_server.requests()) == 2


def test_the_task_retries_infrastructure_faults_only() -> None:
    task, run = run_agent_analysis_task, None
    model_error = ModelCallError("assistant", RuntimeError("x"), "timeout", "slow")
    assert not _is_transient(task, run, Failed(data=model_error))  # type: ignore[arg-type]
    assert _is_transient(task, run, Failed(data=ConnectionError("store")))  # type: ignore[arg-type]
