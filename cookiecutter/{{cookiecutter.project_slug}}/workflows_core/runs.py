"""Run a flow of the catalog in this process and report how it ended.

Without ``PREFECT_API_URL`` Prefect runs in ephemeral mode: it starts a local Prefect server for
this process on first use (state under ``PREFECT_HOME``, see `workflows_core._environment`).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prefect import State
from pydantic_core import to_jsonable_python

from agents_core.llm.selection import configure_tracing
from agents_core.observability.redaction import redact
from workflows_core.catalog import FlowInfo, get_flow


@dataclass(frozen=True)
class FlowRunOutcome:
    """How one flow run ended."""

    flow: str
    """Catalog name of the flow."""
    flow_run_id: str | None
    state: str
    """Prefect's state name: Completed, Failed, Crashed, Cancelled..."""
    result: Any
    """The flow's return value as JSON-compatible data (None unless completed)."""
    error: str | None
    """``ExceptionType: message`` of the failure (None when completed)."""

    @property
    def ok(self) -> bool:
        return self.state == "Completed"

    def to_json(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "flow_run_id": self.flow_run_id,
            "state": self.state,
            "ok": self.ok,
            "result": self.result,
            "error": self.error,
        }


async def run_flow(
    flow: str | FlowInfo, parameters: Mapping[str, Any] | None = None
) -> FlowRunOutcome:
    """Run a flow by catalog name (or entry) and wait for it.

    A failing flow is not raised: the outcome says Failed and carries the error.

    Raises:
        UnknownFlowError: No flow has that name (the message lists them).
        InvalidParametersError: Unknown, missing or ill-typed parameters (it lists the right ones).
    """
    info = get_flow(flow) if isinstance(flow, str) else flow
    values = info.check_parameters(parameters or {})
    # Before the flow starts: with TRACING_EXPORTER=otlp|console, Prefect's flow and task spans
    # then go to the same OpenTelemetry pipeline as the agents' spans, as their parents.
    configure_tracing()
    # Typed as Any: for a Flow[..., Any] mypy picks Prefect's "NoReturn" overload (-> None).
    # Async flows return an awaitable of the state, sync flows the state itself.
    runnable: Any = info.flow
    called = runnable(**values, return_state=True)
    state: State[Any] = await called if inspect.isawaitable(called) else called
    return await outcome_of(info.name, state)


async def outcome_of(name: str, state: State[Any]) -> FlowRunOutcome:
    """The `FlowRunOutcome` of a final flow-run state."""
    run_id = state.state_details.flow_run_id
    result: Any = None
    error: str | None = None
    if state.is_completed():
        result = to_jsonable_python(await state.aresult(), fallback=str)
    else:
        failure = await state.aresult(raise_on_failure=False)
        error = (
            f"{type(failure).__name__}: {failure}"
            if isinstance(failure, BaseException)
            else state.message or state.name
        )
        error = redact(error) if error else error
    return FlowRunOutcome(
        flow=name,
        flow_run_id=str(run_id) if run_id else None,
        state=state.name or str(state.type.value).title(),
        result=result,
        error=error,
    )
