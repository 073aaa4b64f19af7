"""OpenAI-compatible responses: `POST /v1/responses`, the Open Responses subset a run maps onto.

- `input`: a string, or message items (`{"role", "content"}` with text or `input_text` /
  `output_text` parts); the last one is the user's input, earlier ones are stored once in the
  conversation's session before the run.
- `instructions` is refused (400): the agents have their own; put guidance in `input`.
- `previous_response_id` continues that response's session (yours: another principal's is 404).
- `store: false` keeps nothing: the new session is deleted after the answer (and cannot be
  combined with `previous_response_id`, whose session is stored).
- `stream: true`: `response.created`, `response.in_progress`, `response.output_item.added`,
  `response.content_part.added`, `response.output_text.delta`..., `response.output_text.done`,
  `response.content_part.done`, `response.output_item.done`, `response.completed` (or
  `response.failed`).

The response id is `resp_<session id><run id>` (both 32 hex digits); `X-Run-Id` names the run.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import Response as HTTPResponse
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseError,
    ResponseFailedEvent,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from agents_core.exceptions import SessionNotFound
from agents_core.observability.run_log import new_run_id
from agents_core.principals import Principal
from agents_core.runs import RunRequest, RunService, Usage
from agents_core.services.streaming import StreamEvent
from api.deps import PrincipalDep, RunServiceDep, SettingsDep
from api.errors import ApiError
from api.limits import MAX_NAME_CHARS
from api.openai_conversations import Message, discard_session, require_session, seed_session
from api.openai_errors import invalid_request, openai_router
from api.routes.openai_chat import MAX_MESSAGES, _api_error, answer_text, check_input, paused_text
from api.routes.openai_models import model_target
from api.run_id import RUN_ID_HEADER, remember_run_id
from api.run_streams import start_stream
from api.schemas import utf8_text

_RESPONSE_ID = re.compile(r"resp_([0-9a-f]{32})([0-9a-f]{32})")
_TEXT_PARTS = ("input_text", "output_text", "text")

router = openai_router()


class InputPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(max_length=64, description="`input_text` or `output_text`.")
    text: str | None = None


class InputItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(default="message", max_length=64, description="Only `message` items.")
    role: Literal["user", "assistant", "system", "developer"] | None = None
    content: str | list[InputPart] | None = None


class ResponsesRequest(BaseModel):
    """The Open Responses subset that maps onto a run; other fields (temperature, ...) are
    accepted and ignored: the agents' own settings apply."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1, max_length=MAX_NAME_CHARS, description="`router` or an agent.")
    input: str | list[InputItem] = Field(description="The user's message, or message items.")
    instructions: str | None = Field(
        default=None, description="Refused: the agents have their own."
    )
    previous_response_id: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    store: bool | None = True
    stream: bool | None = False


def _messages(body: ResponsesRequest) -> list[Message]:
    extra = body.model_extra or {}
    for name in ("tools", "tool_choice"):
        if extra.get(name) not in (None, [], "none", "auto"):
            raise invalid_request(
                f"`{name}` is not supported: the agents call their own tools (see GET /agents).",
                name,
                "tools_not_supported",
            )
    if body.instructions:
        raise invalid_request(
            "`instructions` is not supported: each agent has its own instructions; put your "
            "guidance in `input` (or a system message item).",
            "instructions",
            "instructions_not_supported",
        )
    if isinstance(body.input, str):
        items = [InputItem(role="user", content=body.input)]
    else:
        items = body.input
    if not items or len(items) > MAX_MESSAGES:
        raise invalid_request(f"Send 1 to {MAX_MESSAGES} input items.", "input")
    messages = [_message(item, index) for index, item in enumerate(items)]
    if messages[-1].role != "user":
        raise invalid_request("The last input item must be the user's message.", "input")
    return messages


def _message(item: InputItem, index: int) -> Message:
    param = f"input.{index}"
    if item.type != "message" or item.role is None or item.content is None:
        raise invalid_request(
            f"Input item {index} is {item.type!r}; only message items "
            "({'role', 'content'}) are supported.",
            param,
            "unsupported_input",
        )
    if isinstance(item.content, str):
        text = item.content
    else:
        texts = []
        for number, part in enumerate(item.content):
            if part.type not in _TEXT_PARTS or part.text is None:
                raise invalid_request(
                    f"Input item {index}: content part {number} is {part.type!r}; only text "
                    "parts (input_text, output_text) are supported.",
                    f"{param}.content.{number}",
                    "unsupported_content",
                )
            texts.append(part.text)
        text = "".join(texts)
    try:
        return Message(item.role, utf8_text(text))
    except ValueError as error:
        raise invalid_request(f"Input item {index}: the content {error}.", param) from None


async def _previous_session(previous: str, principal: Principal) -> str:
    """The session of a previous response (stored and the caller's), else 404."""
    match = _RESPONSE_ID.fullmatch(previous)
    try:
        if match is None:
            raise SessionNotFound(previous)
        await require_session(match.group(1), principal)
    except SessionNotFound:
        raise ApiError(
            404,
            "previous_response_not_found",
            f"No stored response {previous!r} (or it was sent with store: false).",
            {"param": "previous_response_id"},
        ) from None
    return match.group(1)


class _Reply:
    """One response: its ids and the `Response` objects that describe it."""

    def __init__(self, body: ResponsesRequest, session_id: str, run_id: str) -> None:
        self.body = body
        self.session_id = session_id
        self.run_id = run_id
        self.id = f"resp_{session_id}{run_id}"
        self.message_id = f"msg_{run_id}"
        self.created = time.time()

    def message(self, text: str, status: Literal["in_progress", "completed"]) -> Any:
        content: list[Any] = []
        if status == "completed":
            content.append(ResponseOutputText(type="output_text", text=text, annotations=[]))
        return ResponseOutputMessage(
            id=self.message_id, type="message", role="assistant", status=status, content=content
        )

    def response(
        self,
        status: Literal["in_progress", "completed", "failed"],
        text: str | None = None,
        usage: Usage | None = None,
        error: ResponseError | None = None,
    ) -> Response:
        return Response(
            id=self.id,
            object="response",
            created_at=self.created,
            model=self.body.model,
            status=status,
            output=[self.message(text, "completed")] if text is not None else [],
            parallel_tool_calls=False,
            tool_choice="auto",
            tools=[],
            previous_response_id=self.body.previous_response_id,
            usage=_usage(usage) if usage is not None else None,
            error=error,
        )


def _usage(usage: Usage) -> ResponseUsage:
    return ResponseUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        input_tokens_details=InputTokensDetails(cached_tokens=0, cache_write_tokens=0),
        output_tokens_details=OutputTokensDetails(reasoning_tokens=0),
    )


@router.post(
    "/responses", responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}}
)
async def create_response(
    body: ResponsesRequest,
    request: Request,
    service: RunServiceDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> Any:
    """A response by the agent `model` names (`router`: the router picks one).

    404 `model_not_found`, 404 `previous_response_not_found` (unknown, not stored, or another
    principal's), 400 for `instructions`, tools, non-text input; 429 with Retry-After over a
    limit. The response has `X-Run-Id`.
    """
    messages = _messages(body)
    check_input(messages[-1].text, settings)
    target = model_target(service, body.model)
    if body.previous_response_id is not None and body.store is False:
        raise invalid_request(
            "`store: false` cannot continue a stored response; leave out previous_response_id "
            "or store this one.",
            "store",
        )
    run_id = new_run_id()
    remember_run_id(request, run_id)
    *earlier, last = messages
    if body.previous_response_id is not None:
        session_id = await _previous_session(body.previous_response_id, principal)
        created = False
    else:
        session_id, created = new_run_id(), True
    if earlier:
        await seed_session(session_id, earlier, principal)
    reply = _Reply(body, session_id, run_id)
    run = RunRequest(
        input=last.text,
        agent=target.agent,
        principal=principal,
        session_id=session_id,
        run_id=run_id,
    )
    forget = created and body.store is False
    if body.stream:
        try:
            first, stream = await start_stream(service, run)  # a refused run: an error status
        except Exception as error:
            if created:
                await discard_session(session_id, principal)
            raise _api_error(error) from error
        events = _events(reply, first, stream, service, principal, created, forget)
        return EventSourceResponse(events, headers={RUN_ID_HEADER: run_id})
    try:
        outcome = await service.run(run)
    except Exception as error:
        if created:
            await discard_session(session_id, principal)
        raise _api_error(error) from error
    finally:
        if forget:
            await discard_session(session_id, principal)
    response = reply.response("completed", answer_text(outcome), outcome.usage)
    return HTTPResponse(
        response.model_dump_json(exclude_none=True),
        media_type="application/json",
        headers={RUN_ID_HEADER: run_id},
    )


async def _events(
    reply: _Reply,
    first: StreamEvent,
    stream: AsyncGenerator[StreamEvent, None],
    service: RunService,
    principal: Principal,
    created: bool,
    forget: bool,
) -> AsyncIterator[ServerSentEvent]:
    """The run's events as Responses streaming events, numbered from 0."""
    number = 0

    def sse(event: BaseModel) -> ServerSentEvent:
        nonlocal number
        number += 1
        return ServerSentEvent(data=event.model_dump_json(exclude_none=True), event=event.type)  # type: ignore[attr-defined]

    def seq() -> int:
        return number

    item_id = reply.message_id
    yield sse(
        ResponseCreatedEvent(
            type="response.created", sequence_number=seq(), response=reply.response("in_progress")
        )
    )
    yield sse(
        ResponseInProgressEvent(
            type="response.in_progress",
            sequence_number=seq(),
            response=reply.response("in_progress"),
        )
    )
    yield sse(
        ResponseOutputItemAddedEvent(
            type="response.output_item.added",
            sequence_number=seq(),
            output_index=0,
            item=reply.message("", "in_progress"),
        )
    )
    part = ResponseOutputText(type="output_text", text="", annotations=[])
    yield sse(
        ResponseContentPartAddedEvent(
            type="response.content_part.added",
            sequence_number=seq(),
            part=part,
            item_id=item_id,
            output_index=0,
            content_index=0,
        )
    )
    sent = ""
    usage = Usage()
    error: ResponseError | None = None
    try:
        async with contextlib.aclosing(stream) as events:  # a client that leaves cancels the run
            event: StreamEvent | None = first
            while event is not None:
                delta = ""
                if event.type == "token":
                    delta = str(event.data.get("delta") or "")
                elif event.type == "answer":
                    text = str(event.data.get("text") or "")
                    delta = text[len(sent) :] if text.startswith(sent) else ""
                elif event.type == "approval_required":
                    data = event.data
                    delta = ("\n\n" if sent else "") + paused_text(
                        event.agent, data.get("tool"), data.get("run_id"), data.get("approval_id")
                    )
                elif event.type == "error":
                    code = str(event.data.get("code") or "agent_error")
                    message = str(event.data.get("message") or "The run failed.")
                    error = ResponseError.model_construct(code=code, message=message)
                elif event.type == "done":
                    usage = Usage(**(event.data.get("usage") or {}))
                if delta:
                    sent += delta
                    yield sse(
                        ResponseTextDeltaEvent(
                            type="response.output_text.delta",
                            sequence_number=seq(),
                            delta=delta,
                            logprobs=[],
                            item_id=item_id,
                            output_index=0,
                            content_index=0,
                        )
                    )
                event = await anext(events, None)
    finally:
        if forget or (created and error is not None):
            await discard_session(reply.session_id, principal)
    if error is not None:
        failed = reply.response("failed", None, usage, error)
        yield sse(
            ResponseFailedEvent(type="response.failed", sequence_number=seq(), response=failed)
        )
        return
    yield sse(
        ResponseTextDoneEvent(
            type="response.output_text.done",
            sequence_number=seq(),
            text=sent,
            logprobs=[],
            item_id=item_id,
            output_index=0,
            content_index=0,
        )
    )
    done_part = ResponseOutputText(type="output_text", text=sent, annotations=[])
    yield sse(
        ResponseContentPartDoneEvent(
            type="response.content_part.done",
            sequence_number=seq(),
            part=done_part,
            item_id=item_id,
            output_index=0,
            content_index=0,
        )
    )
    yield sse(
        ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            sequence_number=seq(),
            output_index=0,
            item=reply.message(sent, "completed"),
        )
    )
    yield sse(
        ResponseCompletedEvent(
            type="response.completed",
            sequence_number=seq(),
            response=reply.response("completed", sent, usage),
        )
    )
