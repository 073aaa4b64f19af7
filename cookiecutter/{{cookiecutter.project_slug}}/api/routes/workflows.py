"""Workflows: the project's Prefect flows, started in the background and read back by run id.

How runs execute (in the API process, or on a work pool's workers) is `WORKFLOW_EXECUTION`: see
`api.workflow_runs`. Prefect is imported, and its local server started, by the first request that
needs them, in a worker thread: the event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Path, Response, status
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from api.deps import PrincipalDep, require_principal
from api.errors import ApiError
from api.limits import MAX_NAME_CHARS
from api.schemas import ErrorResponse
from api.workflow_runs import ExecutionMode, WorkflowRunner, WorkflowSettings

if TYPE_CHECKING:
    from workflows_core.catalog import FlowInfo

router = APIRouter(
    prefix="/workflows",
    tags=["workflows"],
    dependencies=[Depends(require_principal)],
    responses={401: {"model": ErrorResponse}},
)


class FlowParameterInfo(BaseModel):
    name: str
    type: str = Field(description="The annotation as written, e.g. 'str | None'.")
    required: bool
    default: Any = None
    description: str


class WorkflowInfo(BaseModel):
    name: str = Field(description="Catalog name, used in the URLs, e.g. 'agent-analysis'.")
    title: str = Field(description="Prefect's name of the flow (its UI and logs).")
    description: str
    parameters: list[FlowParameterInfo]
    parameter_schema: dict[str, Any] = Field(
        description="The parameters as a JSON schema (as Prefect records it for deployments)."
    )


class StartWorkflowRequest(BaseModel):
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="The flow's parameters by name."
    )


class WorkflowRunStarted(BaseModel):
    flow_run_id: UUID
    flow: str
    mode: ExecutionMode = Field(description="in-process, or deployment (a worker runs it).")
    state: str = Field(description="Prefect's state name when created: Pending or Scheduled.")
    status_url: str = Field(description="Where to read the run's state.")


class WorkflowRunState(BaseModel):
    flow_run_id: UUID
    flow: str | None = Field(description="Catalog name of the flow.")
    name: str = Field(description="Prefect's name of the run.")
    deployment_id: UUID | None
    parameters: dict[str, Any]
    state_type: str = Field(description="SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, ...")
    state_name: str
    final: bool = Field(description="True once the run has ended (completed, failed, ...).")
    message: str | None
    created: datetime | None
    started: datetime | None
    ended: datetime | None
    result: Any = Field(description="The flow's return value, once completed and readable.")
    result_available: bool
    error: str | None = Field(description="What made the run fail or crash.")


def get_workflow_runner(connection: HTTPConnection) -> WorkflowRunner:
    """The app's runner, made on first use from `WorkflowSettings` (set `app.state` to swap it)."""
    state = connection.app.state
    runner: WorkflowRunner | None = getattr(state, "workflow_runner", None)
    if runner is None:
        runner = WorkflowRunner(WorkflowSettings())
        state.workflow_runner = runner
    return runner


RunnerDep = Annotated[WorkflowRunner, Depends(get_workflow_runner)]
FlowName = Annotated[str, Path(max_length=MAX_NAME_CHARS)]


async def shutdown(app: FastAPI) -> None:
    """Stop what the app's runner started (the local Prefect server): called at shutdown."""
    runner: WorkflowRunner | None = getattr(app.state, "workflow_runner", None)
    if runner is not None:
        await runner.close()


def _info(name: str) -> FlowInfo:
    from workflows_core.catalog import UnknownFlowError, get_flow, list_flows

    try:
        return get_flow(name)
    except UnknownFlowError as error:
        known = [info.name for info in list_flows()]
        raise ApiError(404, "unknown_flow", str(error), {"name": name, "known": known}) from None


def _describe(info: FlowInfo) -> WorkflowInfo:
    entry = info.to_json()
    return WorkflowInfo(
        name=entry["name"],
        title=entry["title"],
        description=entry["description"],
        parameters=[FlowParameterInfo(**parameter) for parameter in entry["parameters"]],
        parameter_schema=info.parameter_schema(),
    )


@router.get("")
def list_workflows() -> list[WorkflowInfo]:
    """Every flow of the project, with its parameters."""
    from workflows_core.catalog import list_flows

    return [_describe(info) for info in list_flows()]


@router.get("/runs/{flow_run_id}", responses={404: {"model": ErrorResponse}})
async def read_workflow_run(
    flow_run_id: UUID, runner: RunnerDep, principal: PrincipalDep
) -> WorkflowRunState:
    """A run's state; its result once completed, its error once failed (404 if unknown or
    another principal's)."""
    run = await runner.read(flow_run_id, principal)
    return WorkflowRunState(
        flow_run_id=run.flow_run_id,
        flow=run.flow,
        name=run.name,
        deployment_id=run.deployment_id,
        parameters=run.parameters,
        state_type=run.state_type,
        state_name=run.state_name,
        final=run.final,
        message=run.message,
        created=run.created,
        started=run.started,
        ended=run.ended,
        result=run.result,
        result_available=run.result_available,
        error=run.error,
    )


@router.get("/{name}", responses={404: {"model": ErrorResponse}})
def get_workflow(name: FlowName) -> WorkflowInfo:
    """One flow (404 lists the known names)."""
    return _describe(_info(name))


@router.post(
    "/{name}/runs",
    status_code=status.HTTP_202_ACCEPTED,
    responses={code: {"model": ErrorResponse} for code in (404, 413, 422, 503)},
)
async def start_workflow_run(
    name: FlowName,
    body: StartWorkflowRequest,
    runner: RunnerDep,
    response: Response,
    principal: PrincipalDep,
) -> WorkflowRunStarted:
    """Start a run in the background: 202 with its id; poll `status_url` for its state.

    The run is the caller's: others get 404 on it, and its agents act for the caller."""
    # The catalog imports Prefect (seconds, the first time): off the event loop.
    info = await asyncio.to_thread(_info, name)
    from workflows_core.catalog import InvalidParametersError

    limit = runner.settings.workflow_max_parameters_chars
    try:
        size = len(json.dumps(body.parameters, ensure_ascii=False, default=str).encode("utf-8"))
    except UnicodeEncodeError:
        raise ApiError(
            422,
            "invalid_parameters",
            "The parameters must be valid Unicode text: a lone surrogate such as \\ud800 is not "
            "allowed.",
            {"flow": info.name},
        ) from None
    if size > limit:
        raise ApiError(
            413,
            "input_too_large",
            f"The parameters take {size} bytes of JSON; the limit is {limit} "
            "(WORKFLOW_MAX_PARAMETERS_CHARS).",
            {"limit": limit, "size": size},
        )
    try:
        values = info.check_parameters(body.parameters)
    except InvalidParametersError as error:
        raise ApiError(
            422,
            "invalid_parameters",
            str(error),
            {"flow": info.name, "parameters": info.to_json()["parameters"]},
        ) from None
    flow_run = await runner.start(info, values, principal)
    status_url = f"/workflows/runs/{flow_run.id}"
    response.headers["Location"] = status_url
    return WorkflowRunStarted(
        flow_run_id=flow_run.id,
        flow=info.name,
        mode=runner.mode,
        state=(flow_run.state.name if flow_run.state is not None else None) or "Scheduled",
        status_url=status_url,
    )
