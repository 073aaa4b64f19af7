"""Run an agent from a flow: the spec's "Run Agent Analysis" task, a door over `RunService`."""

from __future__ import annotations

import json
from typing import Any

from openai import OpenAIError
from prefect import State, Task, task
from prefect.cache_policies import NONE as NO_CACHE
from prefect.client.schemas.objects import TaskRun
from pydantic_core import to_jsonable_python

from agents_core import AgentsCoreError
from agents_core.runs import RunRequest, RunService
from workflows_core.ownership import flow_run_principal


def _is_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry an infrastructure failure (the session store, say); never a model error.

    The model client already retried the model's transient faults (`MODEL_MAX_RETRIES`, with
    backoff): retrying them again here would multiply the attempts. The model's other faults
    (a wrong key, an unreadable output), a wrong name, a refusal or bad input never heal.
    """
    error = state.data
    return not isinstance(error, AgentsCoreError | ValueError | OpenAIError)


def analysis_query(query: str, data: dict[str, Any] | None = None) -> str:
    """The user query of an analysis run: `query`, followed by `data` as JSON when given."""
    if data is None:
        return query
    return f"{query}\n\nData:\n{json.dumps(data, ensure_ascii=False, default=str, indent=2)}"


# No caching: an agent run is not a pure function of its inputs (the model, the session's
# history) and it has effects (the session), so two equal calls must both run.
@task(
    name="Run Agent Analysis",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_is_transient,
)
async def run_agent_analysis_task(
    query: str,
    agent: str | None = None,
    data: dict[str, Any] | None = None,
    session_id: str | None = None,
) -> dict[str, Any]:
    """Run one agent (or the intent router when `agent` is None) on `query`.

    Thin wrapper over `RunService.run` (the router's or the agent's orchestrator): the same run as
    ``<slug> chat [--agent NAME]``, recorded in the session store, for the flow run's
    principal (`workflows_core.ownership`: the API's caller, else `local`).

    Args:
        query: What to ask.
        agent: A registered agent's name; None routes the query by intent.
        data: Optional data the agent should analyze, appended to the query as JSON.
        session_id: Continue this session; None starts a new one.

    Returns:
        JSON-serializable ``{"agent", "intent", "output", "text", "session_id"}``: `output` is the
        agent's final output (text or its structured output as JSON), `text` a readable form.
    """
    principal = await flow_run_principal()
    request = RunRequest(analysis_query(query, data), agent, principal, session_id)
    outcome = await RunService().run(request)  # an unknown agent fails here, listing the known
    if outcome.status == "paused":
        tools = ", ".join(approval.tool for approval in outcome.approvals)
        print(f"run {outcome.run_id} waits for approval of {tools}")
    else:
        print(f"{outcome.agent} answered in session {outcome.session_id}")
    return {
        "agent": outcome.agent,
        "intent": outcome.intent,
        "output": to_jsonable_python(outcome.output, fallback=str),
        "text": outcome.text,
        "session_id": outcome.session_id,
    }
