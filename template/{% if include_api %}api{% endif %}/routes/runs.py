"""Run an agent: JSON, Server-Sent Events, or a WebSocket; all three share the event shape.

A door over the run service (`RunServiceDep`): each route maps its request onto a `RunRequest`
and the `RunOutcome` or events back. Every run is the caller's (`PrincipalDep`): agents_core
refuses another principal's session or paused run as unknown (404 `session_not_found` /
`approval_not_found`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request, Response, WebSocket, WebSocketDisconnect, status
from fastapi.encoders import jsonable_encoder
from pydantic import ValidationError
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Message

from agents_core.exceptions import AgentsCoreError
from agents_core.observability.run_log import new_run_id
from agents_core.orchestrator import AgentOrchestrator
from agents_core.principals import Principal
from agents_core.runs import RunOutcome, RunService
from agents_core.runs import RunRequest as ServiceRequest
from agents_core.runs.opening import validate_run_id
from agents_core.services.streaming import StreamEvent
from agents_core.session.agent_session import validate_session_id
from agents_core.utils.tasks import cancel_and_wait
from api.context import context_data
from api.deps import (
    PrincipalDep,
    RunServiceDep,
    SettingsDep,
    get_principal,
    require_principal,
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

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 409, 410, 413, 422, 429, 502, 504)
}

router = APIRouter(
    prefix="/runs", tags=["runs"], dependencies=[Depends(require_principal)], responses=_ERRORS
)
# WebSockets check the origin and the credential themselves: it comes in the Authorization or
# X-API-Key header or, from browsers (which cannot set headers on them), in the subprotocol
# `api-key.<key or token>`; never in the URL, which access logs keep.
ws_router = APIRouter(prefix="/runs", tags=["runs"])


def _prepare(
    body: RunRequest,
    settings: ApiSettings,
    service: RunService,
    principal: Principal,
    run_id: str | None = None,
) -> tuple[ServiceRequest, AgentOrchestrator]:
    """The run service's request, after everything that can fail before a run starts: sizes,
    session id, agent name, context; and the orchestrator its context was checked against
    (the one the run runs on: one orchestrator per run)."""
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
    orchestrator = service.orchestrator(body.agent)  # an unknown agent: 404
    data = context_data(orchestrator.context_class, body.context, settings.max_context_chars)
    request = ServiceRequest(
        input=body.input,
        agent=body.agent,
        principal=principal,
        session_id=body.session_id,
        run_id=run_id,
        context=data,
    )
    return request, orchestrator


def _response(outcome: RunOutcome) -> RunResponse:
    if outcome.status == "paused":
        approval = outcome.approvals[0]
        return RunResponse(
            run_id=outcome.run_id,
            session_id=outcome.session_id or "",
            agent=outcome.agent,
            output=None,
            text="",
            status="pending_approval",
            approval=PendingApprovalInfo(
                **{k: v for k, v in approval.to_dict().items() if k != "status"}
            ),
        )
    return RunResponse(
        run_id=outcome.run_id,
        session_id=outcome.session_id or "",
        agent=outcome.agent,
        intent=outcome.intent,
        output=jsonable_encoder(outcome.output),
        text=outcome.text,
    )


def _run_id_of(run_id: str, request: Request, response: Response) -> str:
    """A path's run id, checked (400) and named in the response's headers."""
    try:
        validate_run_id(run_id)
    except ValueError as error:
        raise from_core_error(error) from error
    remember_run_id(request, run_id)  # error responses carry it too
    response.headers[RUN_ID_HEADER] = run_id
    return run_id


@router.post("")
async def create_run(
    body: RunRequest,
    settings: SettingsDep,
    service: RunServiceDep,
    request: Request,
    response: Response,
    principal: PrincipalDep,
) -> RunResponse:
    """Run to the end and return the final output (structured outputs as JSON objects).

    404 `session_not_found` when `session_id` is another principal's.

    429 with `Retry-After` when the caller is over a limit (no model is called)."""
    run, orchestrator = _prepare(body, settings, service, principal, new_run_id())
    _run_id_of(str(run.run_id), request, response)
    try:
        return _response(await service.run(run, orchestrator=orchestrator))
    except ValueError as error:
        raise from_core_error(error) from error


@router.post("/{run_id}/approve")
async def approve_run(
    run_id: str,
    body: ApproveRequest,
    service: RunServiceDep,
    request: Request,
    response: Response,
    principal: PrincipalDep,
) -> RunResponse:
    """Approve the paused run's tool call and resume it: the final answer, or the next pending
    approval. 404 unknown approval (or another principal's run), 409 already decided,
    410 expired."""
    _run_id_of(run_id, request, response)
    try:
        return _response(await service.approve(run_id, body.approval_id, principal=principal))
    except ValueError as error:
        raise from_core_error(error) from error


@router.post("/{run_id}/reject")
async def reject_run(
    run_id: str,
    body: RejectRequest,
    service: RunServiceDep,
    request: Request,
    response: Response,
    principal: PrincipalDep,
) -> RunResponse:
    """Reject the paused run's tool call (the model reads the refusal and `reason`) and resume
    it. Same answers and errors as approve."""
    _run_id_of(run_id, request, response)
    try:
        outcome = await service.reject(run_id, body.approval_id, body.reason, principal=principal)
    except ValueError as error:
        raise from_core_error(error) from error
    return _response(outcome)


async def _started(
    stream: AsyncGenerator[StreamEvent, None],
) -> tuple[StreamEvent, AsyncGenerator[StreamEvent, None]]:
    """The stream's first event, and the stream: what refuses a run (a limit, a bad argument)
    is raised here, before a response (SSE) or any event (WebSocket) has gone out."""
    try:
        first = await anext(stream)
    except ValueError as error:
        raise from_core_error(error) from error
    return first, stream


async def _sse(
    first: StreamEvent, stream: AsyncGenerator[StreamEvent, None]
) -> AsyncIterator[ServerSentEvent]:
    # aclosing: a client that goes away closes this generator, which cancels the run.
    async with contextlib.aclosing(stream) as events:
        yield ServerSentEvent(data=first.sse_data(), event=first.type, id=str(first.seq))
        async for event in events:
            yield ServerSentEvent(data=event.sse_data(), event=event.type, id=str(event.seq))


@router.post(
    "/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_run(
    body: RunRequest,
    settings: SettingsDep,
    service: RunServiceDep,
    request: Request,
    principal: PrincipalDep,
) -> EventSourceResponse:
    """Stream the run as Server-Sent Events: event name = type, data = the event's JSON.

    Failures during the run arrive as an `error` event; the last event is always `done`.
    Another principal's `session_id` is a 404 `session_not_found` before the stream starts.
    Over a limit the answer is a JSON 429 with `Retry-After` instead, before any event.
    """
    run_id = new_run_id()
    run, orchestrator = _prepare(body, settings, service, principal, run_id)
    remember_run_id(request, run_id)
    if run.session_id is not None:
        await service.authorize_session(run.session_id, principal)
    first, stream = await _started(service.stream(run, orchestrator=orchestrator))
    return EventSourceResponse(_sse(first, stream), headers={RUN_ID_HEADER: run_id})


@ws_router.websocket("/ws")
async def run_websocket(
    websocket: WebSocket,
    settings: SettingsDep,
    service: RunServiceDep,
    principal: PrincipalDep,
) -> None:
    """Send `{"input", "agent"?, "session_id"?, "context"?}`; receive the run's events, to `done`.

    Several runs may follow one another on one connection. A bad message (binary, too large,
    malformed) gets an `{"error": ...}` frame and the connection stays open. Pages served under
    other names than the allowed hosts, and not in CORS_ORIGINS, are refused (close code 1008).
    """
    if not origin_allowed(websocket.headers, settings.cors_origin_list, settings.host_allowlist):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="origin not allowed")
        return
    try:
        principal = await get_principal(websocket)
    except ApiError as error:
        if error.status == status.HTTP_401_UNAUTHORIZED:
            code, reason = status.WS_1008_POLICY_VIOLATION, "unauthorized"
        else:  # the token provider's keys could not be fetched
            code, reason = status.WS_1013_TRY_AGAIN_LATER, "authentication unavailable"
        await websocket.close(code=code, reason=reason)
        return
    offered: list[str] = list(websocket.scope.get("subprotocols", []))
    # Never echo the key's subprotocol back.
    await websocket.accept(subprotocol=WS_SUBPROTOCOL if WS_SUBPROTOCOL in offered else None)
    # The next message is awaited while a run streams, so a client that closes the connection
    # cancels its run at once (not at the next event sent), and its session is free again.
    incoming: asyncio.Future[Message] | None = None
    try:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                incoming = incoming or asyncio.ensure_future(websocket.receive())
                received = await incoming
                incoming = None
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
                    run, orchestrator = _prepare(body, settings, service, principal)
                    if run.session_id is not None:  # another's: the error frame, as unknown
                        await service.authorize_session(run.session_id, principal)
                    # A refused run (over a limit) gets one error frame, as a bad message does.
                    stream = service.stream(run, orchestrator=orchestrator)
                    first, stream = await _started(stream)
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
                incoming = asyncio.ensure_future(websocket.receive())
                if not await _send_events(websocket, first, stream, incoming):
                    break  # the client went away: its run was cancelled
    finally:
        if incoming is not None:
            await cancel_and_wait(incoming)


async def _send_events(
    websocket: WebSocket,
    first: StreamEvent,
    stream: AsyncGenerator[StreamEvent, None],
    incoming: asyncio.Future[Message],
) -> bool:
    """Send the run's events; False when the client closed meanwhile (the run is cancelled)."""

    async def send() -> None:
        async with contextlib.aclosing(stream) as events:
            await websocket.send_json(first.to_json())
            async for event in events:
                await websocket.send_json(event.to_json())

    sending = asyncio.ensure_future(send())
    try:
        either: set[asyncio.Future[Any]] = {sending, incoming}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if (
            not sending.done()
            and incoming.exception() is None
            and incoming.result()["type"] == "websocket.disconnect"
        ):
            await cancel_and_wait(sending)
            return False
        await sending  # a message that came meanwhile waits for the next turn of the loop
        return True
    finally:
        if not sending.done():
            await cancel_and_wait(sending)
