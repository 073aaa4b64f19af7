"""Run an agent: JSON, Server-Sent Events, or a WebSocket; all three share the event shape."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request, Response, WebSocket, WebSocketDisconnect, status
from fastapi.encoders import jsonable_encoder
from pydantic import ValidationError
from sse_starlette import EventSourceResponse, ServerSentEvent

from agents_core.approvals import PendingApproval
from agents_core.approvals.paused_run import paused_workflow
from agents_core.exceptions import AgentsCoreError
from agents_core.observability.run_log import new_run_id
from agents_core.orchestrator import AgentOrchestrator, RoutingOrchestrator, validate_run_id
from agents_core.session.agent_session import validate_session_id
from agents_core.utils.messages import to_text
from api.context import context_data
from api.deps import (
    API_KEY_HEADER,
    OrchestratorFactoryDep,
    SettingsDep,
    check_api_key,
    require_api_key,
)
from api.errors import ApiError, error_json, from_core_error, validation_details
from api.origins import origin_allowed
from api.run_id import RUN_ID_HEADER, remember_run_id
from api.schemas import (
    ApproveRequest,
    ErrorResponse,
    PendingApprovalInfo,
    RejectRequest,
    RunRequest,
    RunResponse,
)
from api.settings import ApiSettings

WS_SUBPROTOCOL = "agents-core"
"""The subprotocol the server accepts; offer it beside `api-key.<key>` (browsers need one)."""
API_KEY_SUBPROTOCOL = "api-key."
"""Prefix of the subprotocol that carries the API key: browsers cannot set WebSocket headers."""

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 409, 410, 413, 422, 429, 502, 504)
}

router = APIRouter(
    prefix="/runs", tags=["runs"], dependencies=[Depends(require_api_key)], responses=_ERRORS
)
# WebSockets check the origin and the key themselves: the key comes in the X-API-Key header or,
# from browsers (which cannot set headers on them), in the subprotocol `api-key.<key>`; never in
# the URL, which access logs keep.
ws_router = APIRouter(prefix="/runs", tags=["runs"])


def _prepare(
    body: RunRequest, settings: ApiSettings, factory: OrchestratorFactoryDep
) -> tuple[AgentOrchestrator, dict[str, Any]]:
    """Everything that can fail before a run starts: sizes, session id, agent name, context.

    Returns the orchestrator and the `context_data` of its run.
    """
    if len(body.input) > settings.max_input_chars:
        raise ApiError(
            413,
            "input_too_large",
            f"The input has {len(body.input)} characters; the limit is "
            f"{settings.max_input_chars} (MAX_INPUT_CHARS).",
            {"limit": settings.max_input_chars, "size": len(body.input)},
        )
    if body.session_id is not None:
        validate_session_id(body.session_id)
    orchestrator = factory(body.agent)
    data = context_data(orchestrator.context_class, body.context, settings.max_context_chars)
    return orchestrator, data


@router.post("")
async def create_run(
    body: RunRequest,
    settings: SettingsDep,
    factory: OrchestratorFactoryDep,
    request: Request,
    response: Response,
) -> RunResponse:
    """Run to the end and return the final output (structured outputs as JSON objects)."""
    orchestrator, data = _prepare(body, settings, factory)
    run_id = new_run_id()
    remember_run_id(request, run_id)  # error responses carry it too
    response.headers[RUN_ID_HEADER] = run_id
    try:
        outcome = await orchestrator.run(
            body.input, data, session_id=body.session_id, run_id=run_id
        )
    except ValueError as error:
        raise from_core_error(error) from error
    return _response(outcome, run_id, body.session_id)


def _response(outcome: Any, run_id: str, session_id: str | None) -> RunResponse:
    if isinstance(outcome, PendingApproval):
        return RunResponse(
            run_id=run_id,
            session_id=outcome.session_id or session_id or "",
            agent=outcome.agent,
            output=None,
            text="",
            status="pending_approval",
            approval=PendingApprovalInfo(
                **{k: v for k, v in outcome.to_dict().items() if k != "status"}
            ),
        )
    if not isinstance(outcome, dict):  # a custom execute() may return the output itself
        outcome = {"result": outcome}
    result = outcome.get("result")
    return RunResponse(
        run_id=run_id,
        session_id=str(outcome.get("session_id") or session_id or ""),
        agent=outcome.get("agent"),
        intent=outcome.get("intent"),
        output=jsonable_encoder(result),
        text=to_text(result),
    )


async def _paused_orchestrator(run_id: str, factory: OrchestratorFactoryDep) -> AgentOrchestrator:
    """The orchestrator that paused `run_id` (any, for a run id that paused nothing: its
    decision is then refused as unknown)."""
    try:
        validate_run_id(run_id)
    except ValueError as error:
        raise from_core_error(error) from error
    found = await paused_workflow(run_id)
    if found is None:
        return factory(None)
    workflow, default_agent = found
    return factory(None if workflow == RoutingOrchestrator.__qualname__ else default_agent)


@router.post("/{run_id}/approve")
async def approve_run(
    run_id: str,
    body: ApproveRequest,
    factory: OrchestratorFactoryDep,
    request: Request,
    response: Response,
) -> RunResponse:
    """Approve the paused run's tool call and resume it: the final answer, or the next pending
    approval. 404 unknown approval, 409 already decided, 410 expired."""
    orchestrator = await _paused_orchestrator(run_id, factory)  # validates run_id first
    remember_run_id(request, run_id)
    response.headers[RUN_ID_HEADER] = run_id
    try:
        outcome = await orchestrator.approve(run_id, body.approval_id)
    except ValueError as error:
        raise from_core_error(error) from error
    return _response(outcome, run_id, None)


@router.post("/{run_id}/reject")
async def reject_run(
    run_id: str,
    body: RejectRequest,
    factory: OrchestratorFactoryDep,
    request: Request,
    response: Response,
) -> RunResponse:
    """Reject the paused run's tool call (the model reads the refusal and `reason`) and resume
    it. Same answers and errors as approve."""
    orchestrator = await _paused_orchestrator(run_id, factory)  # validates run_id first
    remember_run_id(request, run_id)
    response.headers[RUN_ID_HEADER] = run_id
    try:
        outcome = await orchestrator.reject(run_id, body.approval_id, body.reason)
    except ValueError as error:
        raise from_core_error(error) from error
    return _response(outcome, run_id, None)


async def _sse(
    orchestrator: AgentOrchestrator, body: RunRequest, data: dict[str, Any], run_id: str
) -> AsyncIterator[ServerSentEvent]:
    # aclosing: a client that goes away closes this generator, which cancels the run.
    stream = orchestrator.stream(body.input, data, session_id=body.session_id, run_id=run_id)
    async with contextlib.aclosing(stream) as events:
        async for event in events:
            yield ServerSentEvent(data=event.sse_data(), event=event.type, id=str(event.seq))


@router.post(
    "/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def stream_run(
    body: RunRequest, settings: SettingsDep, factory: OrchestratorFactoryDep, request: Request
) -> EventSourceResponse:
    """Stream the run as Server-Sent Events: event name = type, data = the event's JSON.

    Failures during the run arrive as an `error` event; the last event is always `done`.
    """
    orchestrator, data = _prepare(body, settings, factory)
    run_id = new_run_id()
    remember_run_id(request, run_id)
    return EventSourceResponse(
        _sse(orchestrator, body, data, run_id), headers={RUN_ID_HEADER: run_id}
    )


@ws_router.websocket("/ws")
async def run_websocket(
    websocket: WebSocket, settings: SettingsDep, factory: OrchestratorFactoryDep
) -> None:
    """Send `{"input", "agent"?, "session_id"?, "context"?}`; receive the run's events, to `done`.

    Several runs may follow one another on one connection. A bad message (binary, too large,
    malformed) gets an `{"error": ...}` frame and the connection stays open. Pages of other
    origins than the server's and CORS_ORIGINS are refused (close code 1008).
    """
    if not origin_allowed(websocket.headers, settings.cors_origin_list):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="origin not allowed")
        return
    offered: list[str] = list(websocket.scope.get("subprotocols", []))
    from_protocol = next(
        (p.removeprefix(API_KEY_SUBPROTOCOL) for p in offered if p.startswith(API_KEY_SUBPROTOCOL)),
        None,
    )
    try:
        check_api_key(settings, websocket.headers.get(API_KEY_HEADER) or from_protocol)
    except ApiError:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="unauthorized")
        return
    # Never echo the key's subprotocol back.
    await websocket.accept(subprotocol=WS_SUBPROTOCOL if WS_SUBPROTOCOL in offered else None)
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                break
            message = received.get("text")
            if message is None:
                await websocket.send_text(
                    error_json("binary_frame", "Send each request as a JSON text frame.")
                )
                continue
            if len(message) > settings.max_body_bytes:
                await websocket.send_text(
                    error_json(
                        "input_too_large",
                        f"The message is larger than {settings.max_body_bytes} characters "
                        "(MAX_BODY_BYTES).",
                        {"limit": settings.max_body_bytes},
                    )
                )
                continue
            try:
                body = RunRequest.model_validate_json(message)
                orchestrator, data = _prepare(body, settings, factory)
            except ValidationError as error:
                details = validation_details(error.errors())
                await websocket.send_text(
                    error_json("invalid_request", "The message is malformed.", details)
                )
                continue
            except (ApiError, AgentsCoreError) as error:
                api_error = error if isinstance(error, ApiError) else from_core_error(error)
                await websocket.send_text(
                    error_json(api_error.code, api_error.message, api_error.details)
                )
                continue
            stream = orchestrator.stream(body.input, data, session_id=body.session_id)
            async with contextlib.aclosing(stream) as events:
                async for event in events:
                    await websocket.send_json(event.to_json())
