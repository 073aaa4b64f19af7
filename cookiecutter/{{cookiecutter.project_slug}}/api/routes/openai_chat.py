"""OpenAI-compatible chat: `POST /v1/chat/completions`, whole or streamed (SSE chunks, `[DONE]`).

The mapping, and nothing else: `model` names the run's target (`router` or an agent), the last
message is the user's input, the session comes from `X-Session-Id` or from the history the
client sends (`api.openai_conversations`), the answer and the run's token usage go back as a
`ChatCompletion` (or `ChatCompletionChunk`s) of the `openai` package's own types. The agents use
their own tools: client-side `tools`/`functions` are refused with 400. A run that pauses for an
approval ends the completion with a message saying where to approve it (finish_reason `stop`).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import Header, Request
from fastapi.responses import Response
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_chunk import Choice as ChunkChoice
from openai.types.chat.chat_completion_chunk import ChoiceDelta
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from agents_core.approvals import PendingApproval
from agents_core.observability.run_log import new_run_id
from agents_core.principals import Principal
from agents_core.runs import RunOutcome, RunRequest, Usage
from agents_core.services.streaming import StreamEvent
from agents_core.session.agent_session import validate_session_id
from api.deps import PrincipalDep, RunServiceDep, SettingsDep
from api.errors import ApiError, from_core_error
from api.limits import MAX_NAME_CHARS
from api.openai_conversations import (
    Message,
    conversation_index,
    conversation_key,
    discard_session,
    seed_session,
)
from api.openai_errors import (
    invalid_request,
    openai_error,
    openai_error_body,
    openai_router,
)
from api.routes.openai_models import model_target
from api.run_id import RUN_ID_HEADER, remember_run_id
from api.run_streams import start_stream
from api.schemas import utf8_text
from api.settings import ApiSettings

SESSION_HEADER = "X-Session-Id"
"""Request: continue this session (yours). Response: the session the conversation is in."""
MAX_MESSAGES = 1000
"""Most messages one request may carry."""
_REFUSED_TOOLS = ("tools", "functions", "tool_choice", "function_call")

router = openai_router()


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(max_length=64, description="Only `text` parts are read.")
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The subset of OpenAI's chat request that maps onto a run; other sampling fields
    (temperature, max_tokens, ...) are accepted and ignored: the agents' settings apply."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(min_length=1, max_length=MAX_NAME_CHARS, description="`router` or an agent.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=None, description="Only 1.")


def _text(message: ChatMessage, index: int) -> str:
    param = f"messages.{index}.content"
    if message.content is None:
        raise invalid_request(f"Message {index} has no content; send its text.", param)
    if isinstance(message.content, str):
        parts = [message.content]
    else:
        parts = []
        for number, part in enumerate(message.content):
            if part.type != "text" or part.text is None:
                raise invalid_request(
                    f"Message {index}: content part {number} is {part.type!r}; only text parts "
                    "({'type': 'text', 'text': ...}) are supported.",
                    f"{param}.{number}",
                    "unsupported_content",
                )
            parts.append(part.text)
    try:
        return utf8_text("".join(parts))
    except ValueError as error:
        raise invalid_request(f"Message {index}: the content {error}.", param) from None


def conversation(body: ChatCompletionRequest) -> list[Message]:
    """The messages as role and text; 400 for what a run cannot take (tools, images, n > 1)."""
    extra = body.model_extra or {}
    for name in _REFUSED_TOOLS:
        if extra.get(name) not in (None, [], "none"):
            raise invalid_request(
                f"`{name}` is not supported: the agents call their own tools (see GET /agents).",
                name,
                "tools_not_supported",
            )
    if body.n not in (None, 1):
        raise invalid_request("Only one choice per request (n=1) is supported.", "n")
    messages = []
    for index, message in enumerate(body.messages):
        if message.role in ("tool", "function"):
            raise invalid_request(
                f"Message {index} is a {message.role!r} message: client-side tools are not "
                "supported (the agents call their own).",
                f"messages.{index}.role",
                "tools_not_supported",
            )
        if message.role == "assistant" and (extra_calls := (message.model_extra or {})).get(
            "tool_calls"
        ):
            del extra_calls
            raise invalid_request(
                f"Message {index} holds tool calls: client-side tools are not supported.",
                f"messages.{index}.tool_calls",
                "tools_not_supported",
            )
        messages.append(Message(message.role, _text(message, index)))
    if messages[-1].role != "user":
        raise invalid_request(
            "The last message must be the user's (role `user`): it is the run's input.",
            f"messages.{len(messages) - 1}.role",
        )
    return messages


def check_input(text: str, settings: ApiSettings) -> None:
    """413 when the user's message is over MAX_INPUT_CHARS (as POST /runs)."""
    if len(text) > settings.max_input_chars:
        raise ApiError(
            413,
            "input_too_large",
            f"The last user message has {len(text)} characters; the limit is "
            f"{settings.max_input_chars} (MAX_INPUT_CHARS).",
            {"param": "messages"},
        )


def paused_text(agent: object, tool: object, run_id: object, approval_id: object) -> str:
    """What a completion says when its run waits for a human's decision, and where to give it."""
    return (
        f"The run is waiting for approval: agent {agent!r} wants to call the tool {tool!r}. "
        f"Approve it with POST /runs/{run_id}/approve (or reject it with POST "
        f'/runs/{run_id}/reject) and the body {{"approval_id": "{approval_id}"}} '
        f"(run id {run_id}, approval id {approval_id})."
    )


def answer_text(outcome: RunOutcome) -> str:
    """The completion's text: the answer, or where to approve the paused run."""
    if outcome.status != "paused":
        return outcome.text
    return "\n\n".join(_paused(approval) for approval in outcome.approvals)


def _paused(approval: PendingApproval) -> str:
    return paused_text(approval.agent, approval.tool, approval.run_id, approval.approval_id)


def usage_of(usage: Usage) -> CompletionUsage:
    return CompletionUsage(
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
    )


class _Turn:
    """One request's run: its ids, its input, and the session it continues or starts."""

    def __init__(self, request: Request, body: ChatCompletionRequest, principal: Principal) -> None:
        self.request = request
        self.principal = principal
        self.model = body.model
        self.run_id = new_run_id()
        self.created = int(time.time())
        self.messages = conversation(body)
        self.session_id = ""
        self.new_session = False

    @property
    def completion_id(self) -> str:
        return f"chatcmpl-{self.run_id}"

    async def open(self, explicit_session: str | None, service: RunServiceDep) -> None:
        """Find the session: `X-Session-Id` (yours), the indexed history, or a new one seeded
        with the earlier messages. 404 `session_not_found` for another principal's."""
        *earlier, _last = self.messages
        if explicit_session is not None:
            self.session_id = validate_session_id(explicit_session)
            await service.authorize_session(self.session_id, self.principal)
            return
        known = conversation_index(self.request).get(conversation_key(self.principal, earlier))
        if known is not None and earlier:
            self.session_id = known
            await service.authorize_session(known, self.principal)
            return
        self.session_id = new_run_id()
        self.new_session = True
        if earlier:
            await seed_session(self.session_id, earlier, self.principal)

    def run_request(self, agent: str | None) -> RunRequest:
        return RunRequest(
            input=self.messages[-1].text,
            agent=agent,
            principal=self.principal,
            session_id=self.session_id,
            run_id=self.run_id,
        )

    def remember(self, answer: str) -> None:
        """Index the conversation as the client now holds it (its messages and the answer)."""
        held = [*self.messages, Message("assistant", answer)]
        conversation_index(self.request).remember(
            conversation_key(self.principal, held), self.session_id
        )

    async def failed(self) -> None:
        if self.new_session:
            await discard_session(self.session_id, self.principal)

    def headers(self) -> dict[str, str]:
        return {RUN_ID_HEADER: self.run_id, SESSION_HEADER: self.session_id}

    def chunk(
        self, delta: ChoiceDelta, finish: Literal["stop"] | None = None, usage: Usage | None = None
    ) -> str:
        choices = (
            [] if usage is not None else [ChunkChoice(index=0, delta=delta, finish_reason=finish)]
        )
        chunk = ChatCompletionChunk(
            id=self.completion_id,
            object="chat.completion.chunk",
            created=self.created,
            model=self.model,
            choices=choices,
            usage=usage_of(usage) if usage is not None else None,
        )
        return chunk.model_dump_json(exclude_none=True)


@router.post(
    "/chat/completions",
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
)
async def chat_completions(
    body: ChatCompletionRequest,
    request: Request,
    service: RunServiceDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    session_header: Annotated[
        str | None, Header(alias=SESSION_HEADER, max_length=MAX_NAME_CHARS)
    ] = None,
) -> Any:
    """A chat completion by the agent `model` names (`router`: the router picks one).

    Send `X-Session-Id` to continue a session, or the whole history as stateless clients do:
    it is stored once. The response has `X-Run-Id` and `X-Session-Id`. Errors are in OpenAI's
    shape with our codes: 404 `model_not_found` / `session_not_found`, 400 for tools, images or
    n > 1, 429 with Retry-After over a limit.
    """
    turn = _Turn(request, body, principal)
    check_input(turn.messages[-1].text, settings)
    target = model_target(service, body.model)
    remember_run_id(request, turn.run_id)  # error responses carry it too
    await turn.open(session_header, service)
    run = turn.run_request(target.agent)
    if body.stream:
        include_usage = body.stream_options is not None and body.stream_options.include_usage
        try:
            # A refused run (a limit) is an error status, not a chunk.
            first, stream = await start_stream(service, run)
        except (ApiError, Exception) as error:
            await turn.failed()
            raise _api_error(error) from error
        chunks = _chunks(turn, first, stream, include_usage)
        return EventSourceResponse(chunks, headers=turn.headers())
    try:
        outcome = await service.run(run)
    except Exception as error:
        await turn.failed()
        raise _api_error(error) from error
    text = answer_text(outcome)
    turn.remember(text)
    completion = ChatCompletion(
        id=turn.completion_id,
        object="chat.completion",
        created=turn.created,
        model=body.model,
        choices=[
            Choice(
                index=0,
                message=ChatCompletionMessage(role="assistant", content=text),
                finish_reason="stop",
            )
        ],
        usage=usage_of(outcome.usage),
    )
    return Response(
        completion.model_dump_json(exclude_none=True),
        media_type="application/json",
        headers=turn.headers(),
    )


def _api_error(error: Exception) -> Exception:
    """What the error handlers answer with (our errors as they are; a bad value as 400)."""
    if isinstance(error, ValueError):
        return from_core_error(error)
    return error


async def _chunks(
    turn: _Turn,
    first: StreamEvent,
    stream: AsyncGenerator[StreamEvent, None],
    include_usage: bool,
) -> AsyncIterator[ServerSentEvent]:
    """The run's events as chunks: the role, each token, the end (`stop`), usage, `[DONE]`."""
    sent = ""
    usage = Usage()
    failed = False
    yield ServerSentEvent(data=turn.chunk(ChoiceDelta(role="assistant", content="")))
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
                failed = True
                yield ServerSentEvent(data=json.dumps(_stream_error(event), ensure_ascii=True))
            elif event.type == "done":
                usage = Usage(**(event.data.get("usage") or {}))
            if delta:
                sent += delta
                yield ServerSentEvent(data=turn.chunk(ChoiceDelta(content=delta)))
            event = await anext(events, None)
    if failed:
        await turn.failed()
    else:
        turn.remember(sent)
        yield ServerSentEvent(data=turn.chunk(ChoiceDelta(), finish="stop"))
        if include_usage:
            yield ServerSentEvent(data=turn.chunk(ChoiceDelta(), usage=usage))
    yield ServerSentEvent(data="[DONE]")


def _stream_error(event: StreamEvent) -> dict[str, Any]:
    """A failure during the stream, as OpenAI sends one (`{"error": {...}}`; clients raise it)."""
    code = str(event.data.get("code") or "agent_error")
    message = str(event.data.get("message") or "The run failed.")
    status = 499 if code == "cancelled" else 500
    return openai_error_body(status, code, message)


__all__ = ["SESSION_HEADER", "openai_error", "router"]
