"""The AG-UI door: `POST /agui` runs an agent for an AG-UI client (CopilotKit, `@ag-ui/client`).

The protocol mapping, and nothing else; the run is `RunService`'s.

In (`RunAgentInput`):
- `threadId` is the session: its history lives on the server. Another principal's thread is a
  404 before the stream starts, as an unknown one would be: the run's own owner check (its first
  step) refuses it, and the response starts after the run's first checks (owner, guardrails).
- the last message must be the user's and is the run's input; earlier messages are already in
  the session (AG-UI clients send the whole conversation each time) and are not read again.
- `runId` names the run in every AG-UI event; the server makes its own run id (logs, traces,
  approvals; the `X-Run-Id` header and the state's `run_id`), so a client cannot pick the id of
  another's paused run.
- `forwardedProps`: `{"agent": name}` (default `router`) and `{"context": {...}}` (the
  orchestrator's settable context fields, as `POST /runs` takes them); other keys are ignored.
- `tools` (the client's own tools) are not offered to the agents, which use their own; `state`
  and `context` are not read. `resume` answers the interrupts of a paused run (below).

Out, as Server-Sent Events encoded by the SDK's `EventEncoder` (the translation of the run's
events is `api/agui_events.py`): RUN_STARTED, STATE_SNAPSHOT, STEP_STARTED/FINISHED per agent,
TEXT_MESSAGE_START/CONTENT/END from the answering agents' tokens, TOOL_CALL_START/ARGS/END and
TOOL_CALL_RESULT, then RUN_FINISHED (with `usage`) or RUN_ERROR (with the run's error code, as the
SSE route's `error` event names it).

Approvals are AG-UI interrupts: a paused run ends with RUN_FINISHED whose outcome is
`{"type": "interrupt", "interrupts": [...]}`, one per tool call waiting (`reason: "tool_call"`,
its `toolCallId`); the next run on the thread answers with `resume: [{"interruptId", "status":
"resolved", "payload": {"approved": bool, "reason"?: str}}]` (`"cancelled"` rejects). The
decision goes to `RunService.approve/reject`, and the rest of the run arrives as its answer.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from ag_ui.core import BaseEvent, ResumeEntry, RunAgentInput, UserMessage
from ag_ui.encoder import EventEncoder
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents_core.exceptions import AgentsCoreError, SessionNotFound
from agents_core.observability.run_log import new_run_id
from agents_core.principals import Principal
from agents_core.runs import ROUTER, RunOutcome, RunRequest, RunService
from agents_core.services.streaming import StreamEvent
from agents_core.session.agent_session import validate_session_id
from api.agui_events import APPROVAL_SCHEMA, RunIds, Translator, encoded, outcome_events, run_error
from api.context import context_data
from api.deps import PrincipalDep, RunServiceDep, SettingsDep, require_principal
from api.errors import ApiError, from_core_error, validation_details
from api.limits import MAX_NAME_CHARS
from api.run_id import RUN_ID_HEADER, remember_run_id
from api.schemas import ErrorResponse

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 409, 413, 422, 429)
}
_HEX32 = re.compile(r"[0-9a-f]{32}")
_FOREIGN = SessionNotFound.__name__
"""The `code` of the `error` event of a run refused because its session is another's."""

router = APIRouter(tags=["ag-ui"], dependencies=[Depends(require_principal)], responses=_ERRORS)


class ForwardedProps(BaseModel):
    """The `forwardedProps` this door reads; other keys are the client's and ignored."""

    model_config = ConfigDict(extra="ignore")

    agent: str = Field(default=ROUTER, min_length=1, max_length=MAX_NAME_CHARS)
    context: dict[str, Any] | None = None


class Decision(BaseModel):
    """A `resolved` resume entry's payload."""

    model_config = ConfigDict(extra="forbid", strict=True)  # "yes" is not an answer

    approved: bool
    reason: str | None = Field(default=None, max_length=2000)


@router.post(
    "/agui",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def run_agui(
    body: RunAgentInput,
    request: Request,
    settings: SettingsDep,
    service: RunServiceDep,
    principal: PrincipalDep,
) -> StreamingResponse:
    """Run an agent for an AG-UI client and stream the AG-UI events (Server-Sent Events).

    404 `session_not_found` for another principal's `threadId`; 422 for input this door cannot
    run (what is allowed is in the message); 429 over a limit; all before the stream starts.
    """
    session_id = _thread(body.thread_id)
    # What the body alone can refuse, before the session store is asked.
    decisions = [_decision(entry) for entry in body.resume or []]
    props = _props(body.forwarded_props)
    text = "" if decisions else _user_input(body, settings.max_input_chars)
    run_id = new_run_id()
    remember_run_id(request, run_id)  # error responses carry it too
    encoder = EventEncoder(accept=request.headers.get("accept", "text/event-stream"))
    ids = RunIds(body.thread_id, body.run_id, session_id, run_id)
    if decisions:
        await service.authorize_session(session_id, principal)  # another's: 404, as unknown
        events = _resumed(service, decisions, principal, ids)
    else:
        agent = None if props.agent == ROUTER else props.agent
        data: dict[str, Any] = {}
        if props.context:  # checked against the fields of the run's context class
            context_class = service.orchestrator(agent).context_class  # unknown agent: 404
            data = context_data(context_class, props.context, settings.max_context_chars)
        run = RunRequest(text, agent, principal, session_id, run_id, data)
        stream = service.stream(run)  # closing it cancels the run
        started = await _authorized(stream, session_id)
        events = Translator(ids, props.agent).events(started, stream)
    return StreamingResponse(
        encoded(events, encoder),
        media_type=encoder.get_content_type(),
        headers={RUN_ID_HEADER: run_id, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _authorized(
    stream: AsyncGenerator[StreamEvent, None], session_id: str
) -> list[StreamEvent]:
    """The run's events up to its first one after the session's ownership check, which the
    run makes first (`run_start` is sent before it): a refused run is an HTTP error, before
    any event (a limit or bad input: raised at the first event; another's thread: the run's
    `error` event, as a 404 like an unknown session)."""
    try:
        started = [await anext(stream)]
        if started[0].type != "done":
            started.append(await anext(stream))
    except ValueError as error:
        await stream.aclose()
        raise from_core_error(error) from error
    except BaseException:
        await stream.aclose()
        raise
    if started[-1].type == "error" and started[-1].data.get("code") == _FOREIGN:
        await stream.aclose()
        raise from_core_error(SessionNotFound(session_id))
    return started


# -- input -------------------------------------------------------------------------------------


def _thread(thread_id: str) -> str:
    try:
        return validate_session_id(thread_id)
    except ValueError as error:
        raise ApiError(422, "invalid_thread_id", f"threadId: {error}") from None


def _props(forwarded: Any) -> ForwardedProps:
    if forwarded is None:
        return ForwardedProps()
    if not isinstance(forwarded, dict):
        raise ApiError(
            422, "invalid_forwarded_props", "forwardedProps must be an object (or absent)."
        )
    try:
        return ForwardedProps.model_validate(forwarded)
    except ValidationError as error:
        raise ApiError(
            422,
            "invalid_forwarded_props",
            'forwardedProps may carry "agent" (an agent name or "router") and "context" '
            "(an object of the orchestrator's context fields).",
            validation_details(error.errors()),
        ) from None


def _user_input(body: RunAgentInput, max_chars: int) -> str:
    """The text of the last message, which must be the user's (text parts only)."""
    last = body.messages[-1] if body.messages else None
    if not isinstance(last, UserMessage):
        raise ApiError(
            422,
            "no_user_message",
            "The last message must be the user's (role 'user'): it is the run's input. "
            "To answer an interrupt, send 'resume' instead.",
        )
    if isinstance(last.content, str):
        text = last.content
    else:
        kinds = sorted({part.type for part in last.content} - {"text"})
        if kinds:
            raise ApiError(
                422,
                "unsupported_content",
                f"The user message has {', '.join(kinds)} parts; this server takes text only.",
                {"unsupported": kinds, "allowed": ["text"]},
            )
        text = "\n".join(part.text for part in last.content if part.type == "text")
    if len(text) > max_chars:
        raise ApiError(
            413,
            "input_too_large",
            f"The input has {len(text)} characters; the limit is {max_chars} (MAX_INPUT_CHARS).",
            {"limit": max_chars, "size": len(text)},
        )
    if not text.strip():
        raise ApiError(422, "empty_input", "The last user message has no text.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # JSON may escape a lone surrogate; no session can store it
        raise ApiError(422, "invalid_text", "The user message is not valid Unicode text.") from None
    return text


def _decision(entry: ResumeEntry) -> tuple[str, str, bool, str | None]:
    """(run id, approval id, approved, reason) of one resume entry; 422 when malformed."""
    run_id, _, approval_id = entry.interrupt_id.partition(".")
    if not (_HEX32.fullmatch(run_id) and _HEX32.fullmatch(approval_id)):
        raise ApiError(
            422,
            "invalid_resume",
            "interruptId must be the id of an interrupt this server sent (<run id>.<approval id>).",
        )
    if entry.status == "cancelled":
        return run_id, approval_id, False, "cancelled by the user"
    try:
        decision = Decision.model_validate(entry.payload)
    except ValidationError as error:
        raise ApiError(
            422,
            "invalid_resume",
            'A resolved interrupt\'s payload is {"approved": true|false, "reason"?: text}.',
            {"schema": APPROVAL_SCHEMA, **validation_details(error.errors())},
        ) from None
    return run_id, approval_id, decision.approved, decision.reason


async def _resumed(
    service: RunService,
    decisions: list[tuple[str, str, bool, str | None]],
    principal: Principal,
    ids: RunIds,
) -> AsyncIterator[list[BaseEvent]]:
    """A run that answers interrupts: each decision in order, then the resumed run's end."""
    yield [ids.started()]
    outcome: RunOutcome | None = None
    for run_id, approval_id, approved, reason in decisions:
        try:
            if approved:
                outcome = await service.approve(run_id, approval_id, principal=principal)
            else:
                outcome = await service.reject(run_id, approval_id, reason, principal=principal)
        except (AgentsCoreError, ValueError) as error:
            failure = from_core_error(error)  # approval_not_found (another's too), ..._expired
            yield [run_error(failure.code, failure.message)]
            return
    assert outcome is not None  # `resume` has at least one entry
    yield outcome_events(ids, outcome)
