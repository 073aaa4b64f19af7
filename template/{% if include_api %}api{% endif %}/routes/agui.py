"""The AG-UI door: `POST /agui` runs an agent for an AG-UI client (CopilotKit, `@ag-ui/client`).

The protocol mapping, and nothing else; the run is `RunService`'s.

In (`RunAgentInput`):
- `threadId` is the session: its history lives on the server. Another principal's thread is a
  404 before the stream starts, as an unknown one would be.
- the last message must be the user's and is the run's input; earlier messages are already in
  the session (AG-UI clients send the whole conversation each time) and are not read again.
- `runId` names the run in every AG-UI event; the server makes its own run id (logs, traces,
  approvals; the `X-Run-Id` header and the state's `run_id`), so a client cannot pick the id of
  another's paused run.
- `forwardedProps`: `{"agent": name}` (default `router`) and `{"context": {...}}` (the
  orchestrator's settable context fields, as `POST /runs` takes them); other keys are ignored.
- `tools` (the client's own tools) are not offered to the agents, which use their own; `state`
  and `context` are not read. `resume` answers the interrupts of a paused run (below).

Out, as Server-Sent Events encoded by the SDK's `EventEncoder`: RUN_STARTED, STATE_SNAPSHOT,
STEP_STARTED/FINISHED per agent, TEXT_MESSAGE_START/CONTENT/END from the answering agents' tokens,
TOOL_CALL_START/ARGS/END and TOOL_CALL_RESULT, then RUN_FINISHED (with `usage`) or RUN_ERROR (with
the run's error code, as the SSE route's `error` event names it).

Approvals are AG-UI interrupts: a paused run ends with RUN_FINISHED whose outcome is
`{"type": "interrupt", "interrupts": [...]}`, one per tool call waiting (`reason: "tool_call"`,
its `toolCallId`); the next run on the thread answers with `resume: [{"interruptId", "status":
"resolved", "payload": {"approved": bool, "reason"?: str}}]` (`"cancelled"` rejects). The
decision goes to `RunService.approve/reject`, and the rest of the run arrives as its answer.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from typing import Any

from ag_ui.core import (
    PROTOCOL_VERSION,
    BaseEvent,
    Interrupt,
    ResumeEntry,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunFinishedInterruptOutcome,
    RunFinishedSuccessOutcome,
    RunStartedEvent,
    StateSnapshotEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    TokenUsage,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
    UserMessage,
)
from ag_ui.encoder import EventEncoder
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents_core.approvals import PendingApproval
from agents_core.exceptions import AgentsCoreError
from agents_core.llm.faults import FAULTS
from agents_core.observability.run_log import new_run_id
from agents_core.principals import Principal
from agents_core.runs import ROUTER, RunOutcome, RunRequest, RunService
from agents_core.services.streaming import StreamEvent
from agents_core.session.agent_session import validate_session_id
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
_APPROVAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "approved": {"type": "boolean"},
        "reason": {"type": "string", "maxLength": 2000},
    },
    "required": ["approved"],
}
"""What a `resolved` resume entry's payload holds (the interrupt's `responseSchema`)."""

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
    await service.authorize_session(session_id, principal)  # another's: 404, as unknown
    encoder = EventEncoder(accept=request.headers.get("accept", "text/event-stream"))
    ids = _Ids(body.thread_id, body.run_id, session_id, run_id)
    if decisions:
        events = _resumed(service, decisions, principal, ids)
    else:
        agent = None if props.agent == ROUTER else props.agent
        data: dict[str, Any] = {}
        if props.context:  # checked against the fields of the run's context class
            context_class = service.orchestrator(agent).context_class  # unknown agent: 404
            data = context_data(context_class, props.context, settings.max_context_chars)
        run = RunRequest(text, agent, principal, session_id, run_id, data)
        stream = service.stream(run)  # closing it cancels the run
        try:  # a refused run (unknown agent, a limit, bad input) is an HTTP error
            first = await anext(stream)
        except ValueError as error:
            raise from_core_error(error) from error
        events = _Translator(ids, props.agent).events(first, stream)
    return StreamingResponse(
        _encoded(events, encoder),
        media_type=encoder.get_content_type(),
        headers={RUN_ID_HEADER: run_id, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


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
            {"schema": _APPROVAL_SCHEMA, **validation_details(error.errors())},
        ) from None
    return run_id, approval_id, decision.approved, decision.reason


# -- output ------------------------------------------------------------------------------------


class _Ids:
    """The AG-UI ids (the client's thread and run) and ours (session and run)."""

    def __init__(self, thread_id: str, agui_run_id: str, session_id: str, run_id: str) -> None:
        self.thread_id = thread_id
        self.agui_run_id = agui_run_id
        self.session_id = session_id
        self.run_id = run_id

    def started(self) -> RunStartedEvent:
        return RunStartedEvent(
            thread_id=self.thread_id, run_id=self.agui_run_id, protocol_version=PROTOCOL_VERSION
        )

    def state(self, agent: str | None, pending: list[PendingApproval]) -> StateSnapshotEvent:
        """What a client may show: the session, our run id, the agent, what waits."""
        snapshot = {
            "session_id": self.session_id,
            "run_id": self.run_id,
            "agent": agent,
            "pending_approvals": [_approval_info(approval) for approval in pending],
        }
        return StateSnapshotEvent(snapshot=snapshot)

    def finished(
        self, pending: list[tuple[PendingApproval, str]], result: Any, usage: dict[str, int]
    ) -> RunFinishedEvent:
        outcome: RunFinishedInterruptOutcome | RunFinishedSuccessOutcome
        if pending:
            outcome = RunFinishedInterruptOutcome(
                interrupts=[_interrupt(approval, call_id) for approval, call_id in pending]
            )
        else:
            outcome = RunFinishedSuccessOutcome()
        tokens = TokenUsage(
            input_tokens=usage.get("input_tokens", 0),
            output_tokens=usage.get("output_tokens", 0),
            total_tokens=usage.get("input_tokens", 0) + usage.get("output_tokens", 0),
        )
        return RunFinishedEvent(
            thread_id=self.thread_id,
            run_id=self.agui_run_id,
            result=result,
            outcome=outcome,
            usage=[tokens],
        )


def _approval_info(approval: PendingApproval) -> dict[str, Any]:
    info = approval.to_dict()
    info.pop("status", None)
    return info


def _interrupt(approval: PendingApproval, call_id: str) -> Interrupt:
    expires = datetime.fromtimestamp(approval.expires_at, UTC).isoformat()
    return Interrupt(
        id=f"{approval.run_id}.{approval.approval_id}",
        reason="tool_call",
        message=f"Allow {approval.agent} to call {approval.tool}({approval.arguments})?",
        tool_call_id=call_id,
        response_schema=_APPROVAL_SCHEMA,
        expires_at=expires,
        metadata=_approval_info(approval),
    )


def _message_id() -> str:
    return uuid.uuid4().hex


def _text_message(text: str) -> list[BaseEvent]:
    message_id = _message_id()
    return [
        TextMessageStartEvent(message_id=message_id, role="assistant"),
        TextMessageContentEvent(message_id=message_id, delta=text),
        TextMessageEndEvent(message_id=message_id),
    ]


def _tool_call(call_id: str, tool: str, arguments: str) -> list[BaseEvent]:
    return [
        ToolCallStartEvent(tool_call_id=call_id, tool_call_name=tool),
        ToolCallArgsEvent(tool_call_id=call_id, delta=arguments),
        ToolCallEndEvent(tool_call_id=call_id),
    ]


class _Translator:
    """The run's `StreamEvent`s as AG-UI events, in an order `@ag-ui/client` verifies: text
    messages and steps closed before a tool call or the run's end; nothing after RUN_ERROR."""

    def __init__(self, ids: _Ids, agent: str) -> None:
        self.ids = ids
        self.agent: str | None = agent
        self.steps: set[str] = set()
        self.structured: set[str] = set()
        self.message: tuple[str, str] | None = None  # (agent, message id) of the open message
        self.text = ""  # what the open (or last) message said
        self.calls: dict[str, str] = {}  # tool call id -> tool, until its result
        self.pending: list[tuple[PendingApproval, str]] = []
        self.result: Any = None
        self.failed = False

    async def events(
        self, first: StreamEvent, stream: AsyncGenerator[StreamEvent, None]
    ) -> AsyncIterator[list[BaseEvent]]:
        """The AG-UI events of each run event, in batches (one write each)."""
        # Closing the stream (the client went away) cancels the run.
        async with contextlib.aclosing(stream):
            yield self.on(first)
            async for item in stream:
                yield self.on(item)
                if self.failed:
                    return

    def on(self, event: StreamEvent) -> list[BaseEvent]:
        handler = getattr(self, f"_on_{event.type}", None)
        return handler(event) if handler is not None else []

    def _on_run_start(self, event: StreamEvent) -> list[BaseEvent]:
        return [self.ids.started(), self.ids.state(self.agent, [])]

    def _on_agent_start(self, event: StreamEvent) -> list[BaseEvent]:
        name = event.agent or "agent"
        if event.data.get("structured"):  # its tokens are JSON for the workflow, not a reply
            self.structured.add(name)
        if event.data.get("final"):
            self.agent = name
        if name in self.steps:
            return []
        self.steps.add(name)
        return [StepStartedEvent(step_name=name)]

    def _on_agent_end(self, event: StreamEvent) -> list[BaseEvent]:
        name = event.agent or "agent"
        closed = self._close_message()
        if name in self.steps:
            self.steps.discard(name)
            closed.append(StepFinishedEvent(step_name=name))
        return closed

    def _on_token(self, event: StreamEvent) -> list[BaseEvent]:
        name = event.agent or "agent"
        delta = str(event.data.get("delta", ""))
        if name in self.structured or not delta:
            return []
        out: list[BaseEvent] = []
        if self.message is None or self.message[0] != name:
            out.extend(self._close_message())
            self.message = (name, _message_id())
            self.text = ""
            out.append(TextMessageStartEvent(message_id=self.message[1], role="assistant"))
        self.text += delta
        out.append(TextMessageContentEvent(message_id=self.message[1], delta=delta))
        return out

    def _on_tool_call(self, event: StreamEvent) -> list[BaseEvent]:
        call_id = str(event.data.get("call_id") or _message_id())
        tool = str(event.data.get("tool", ""))
        self.calls[call_id] = tool
        arguments = json.dumps(event.data.get("arguments") or {}, ensure_ascii=False)
        return [*self._close_message(), *_tool_call(call_id, tool, arguments)]

    def _on_tool_result(self, event: StreamEvent) -> list[BaseEvent]:
        call_id = event.data.get("call_id")
        if not isinstance(call_id, str) or call_id not in self.calls:
            return []
        del self.calls[call_id]
        result = event.data.get("result")
        content = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        return [
            *self._close_message(),
            ToolCallResultEvent(message_id=_message_id(), tool_call_id=call_id, content=content),
        ]

    def _on_answer(self, event: StreamEvent) -> list[BaseEvent]:
        self.result = event.data.get("answer")
        text = str(event.data.get("text") or "")
        out = self._close_message()
        if text and text.strip() != self.text.strip():  # not streamed as tokens (structured)
            out.extend(_text_message(text))
            self.text = text
        return out

    def _on_approval_required(self, event: StreamEvent) -> list[BaseEvent]:
        data = event.data
        approval = PendingApproval(
            approval_id=str(data["approval_id"]),
            run_id=str(data["run_id"]),
            session_id=data.get("session_id"),
            agent=event.agent or "",
            tool=str(data["tool"]),
            arguments=str(data.get("arguments", "")),
            expires_at=float(data["expires_at"]),
        )
        waiting = [cid for cid, tool in self.calls.items() if tool == approval.tool]
        call_id = waiting[0] if waiting else approval.approval_id
        if call_id in self.calls:
            del self.calls[call_id]
        self.pending.append((approval, call_id))
        self.agent = approval.agent or self.agent
        return self._close_message()

    def _on_error(self, event: StreamEvent) -> list[BaseEvent]:
        self.failed = True
        code = str(event.data.get("code") or "error")
        message = str(event.data.get("message", ""))
        fault = FAULTS.get(code.removeprefix("model_")) if code.startswith("model_") else None
        if (
            fault is not None
        ):  # as the JSON routes say it: the model server's address stays in the log
            message = f"Agent {event.agent or self.agent!r}: {fault.happened}; {fault.advice}."
        return [RunErrorEvent(message=message, code=code)]

    def _on_done(self, event: StreamEvent) -> list[BaseEvent]:
        out = self._close_message()
        out.extend(StepFinishedEvent(step_name=name) for name in sorted(self.steps))
        self.steps.clear()
        usage = event.data.get("usage") or {}
        pending = [approval for approval, _ in self.pending]
        out.append(self.ids.state(self.agent, pending))
        out.append(self.ids.finished(self.pending, self.result, usage))
        return out

    def _close_message(self) -> list[BaseEvent]:
        if self.message is None:
            return []
        message_id = self.message[1]
        self.message = None
        return [TextMessageEndEvent(message_id=message_id)]


async def _resumed(
    service: RunService,
    decisions: list[tuple[str, str, bool, str | None]],
    principal: Principal,
    ids: _Ids,
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
            yield [RunErrorEvent(message=failure.message, code=failure.code)]
            return
    assert outcome is not None  # `resume` has at least one entry
    ids.run_id = outcome.run_id
    ids.session_id = outcome.session_id or ids.session_id
    pending: list[tuple[PendingApproval, str]] = []
    out: list[BaseEvent] = []
    if outcome.status == "paused":
        for approval in outcome.approvals:  # the next call that waits: shown, then asked
            out.extend(_tool_call(approval.approval_id, approval.tool, approval.arguments))
            pending.append((approval, approval.approval_id))
    elif outcome.text:
        out.extend(_text_message(outcome.text))
    out.append(ids.state(outcome.agent, [approval for approval, _ in pending]))
    usage = {
        "input_tokens": outcome.usage.input_tokens,
        "output_tokens": outcome.usage.output_tokens,
    }
    result = None if outcome.status == "paused" else _jsonable(outcome.output)
    out.append(ids.finished(pending, result, usage))
    yield out


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


async def _encoded(
    batches: AsyncIterator[list[BaseEvent]], encoder: EventEncoder
) -> AsyncIterator[str]:
    async for batch in batches:
        if batch:
            yield "".join(encoder.encode(event) for event in batch)
