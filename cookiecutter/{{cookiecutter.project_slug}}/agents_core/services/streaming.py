"""Streaming events: one event type for SSE, WebSocket JSON and in-process callbacks."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

from agents import (
    AgentUpdatedStreamEvent,
    RawResponsesStreamEvent,
    RunItemStreamEvent,
    RunResultStreaming,
)
from pydantic import BaseModel, Field

from agents_core.observability.redaction import redact, redact_value
from agents_core.registry.tool_registry import JsonText
from agents_core.utils.messages import to_text

EventType = Literal[
    "run_start",
    "agent_start",
    "agent_end",
    "tool_call",
    "tool_result",
    "handoff",
    "token",
    "status",
    "answer",
    "approval_required",
    "error",
    "done",
]
"""Every event type, in the order a run usually emits them; `done` always comes last."""

EventCallback = Callable[["StreamEvent"], Awaitable[None] | None]


class StreamEvent(BaseModel):
    """One thing that happened during a run, ready to send to a client."""

    type: EventType
    seq: int = Field(description="Position of the event in its stream, from 0.")
    agent: str | None = Field(default=None, description="Agent that produced it, if any.")
    data: dict[str, Any] = Field(default_factory=dict, description="Type-specific payload.")
    timestamp: float = Field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        """The WebSocket / JSON form."""
        return self.model_dump(mode="json")

    def sse_data(self) -> str:
        """The `data:` payload of the SSE form (one line of JSON)."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))

    def to_sse(self) -> str:
        """The Server-Sent Events form: `id`, `event` and one `data` line."""
        return f"id: {self.seq}\nevent: {self.type}\ndata: {self.sse_data()}\n\n"


class StreamingHelper:
    """Emits `StreamEvent`s to a callback and to async subscribers, in order.

    ``emit_*`` methods are synchronous so they can be called from anywhere in a run. An async
    callback is scheduled on the running loop; `aclose()` waits for those to finish.
    """

    def __init__(self, event_callback: EventCallback | None = None, *, keep: bool = True) -> None:
        self.event_callback = event_callback
        self.events: list[StreamEvent] = []
        self._keep = keep
        self._seq = itertools.count()
        self._queues: list[asyncio.Queue[StreamEvent | None]] = []
        self._pending: set[asyncio.Future[Any]] = set()
        self.closed = False

    # -- core --------------------------------------------------------------------------------

    def emit(self, type: EventType, agent: str | None = None, **data: Any) -> StreamEvent:
        if self.closed:
            raise RuntimeError("This StreamingHelper is closed (its 'done' event was emitted).")
        event = StreamEvent(type=type, seq=next(self._seq), agent=agent, data=data)
        if self._keep:
            self.events.append(event)
        for queue in self._queues:
            queue.put_nowait(event)
        if self.event_callback is not None:
            outcome = self.event_callback(event)
            if inspect.isawaitable(outcome):
                future = asyncio.ensure_future(outcome)
                self._pending.add(future)
                future.add_done_callback(self._pending.discard)
        if type == "done":
            self.closed = True
            for queue in self._queues:
                queue.put_nowait(None)
        return event

    async def subscribe(self) -> AsyncIterator[StreamEvent]:
        """Events emitted from now on, until `done`."""
        queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue()
        self._queues.append(queue)
        try:
            while (event := await queue.get()) is not None:
                yield event
        finally:
            self._queues.remove(queue)

    async def aclose(self) -> None:
        """Wait for async callbacks still running."""
        if self._pending:
            await asyncio.gather(*self._pending)

    # -- typed emitters ----------------------------------------------------------------------

    def emit_run_start(self, query: str, session_id: str | None = None) -> StreamEvent:
        return self.emit("run_start", query=query, session_id=session_id)

    def emit_agent_start(
        self, agent: str, iteration: int | None = None, **data: Any
    ) -> StreamEvent:
        return self.emit("agent_start", agent, iteration=iteration, **data)

    def emit_agent_end(self, agent: str, output: Any = None) -> StreamEvent:
        return self.emit("agent_end", agent, output=_jsonable(output))

    def emit_tool_call(
        self,
        tool: str,
        arguments: dict[str, Any] | str | None = None,
        call_id: str | None = None,
        agent: str | None = None,
    ) -> StreamEvent:
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments else {}
            except ValueError:
                arguments = {"raw": arguments}
        return self.emit("tool_call", agent, tool=tool, arguments=arguments or {}, call_id=call_id)

    def emit_tool_result(
        self, tool: str, result: Any, call_id: str | None = None, agent: str | None = None
    ) -> StreamEvent:
        return self.emit("tool_result", agent, tool=tool, result=_jsonable(result), call_id=call_id)

    def emit_handoff(self, source: str, target: str) -> StreamEvent:
        return self.emit("handoff", source, target=target)

    def emit_token(self, delta: str, agent: str | None = None) -> StreamEvent:
        return self.emit("token", agent, delta=delta)

    def emit_status(self, message: str, agent: str | None = None) -> StreamEvent:
        return self.emit("status", agent, message=message)

    def emit_answer(
        self, answer: Any, sources: list[str] | None = None, agent: str | None = None
    ) -> StreamEvent:
        return self.emit(
            "answer", agent, answer=_jsonable(answer), text=to_text(answer), sources=sources or []
        )

    def emit_error(
        self, message: str, code: str = "error", agent: str | None = None, **details: Any
    ) -> StreamEvent:
        # Error events reach clients (SSE, WebSocket, CLI): no secret in them.
        return self.emit(
            "error", agent, message=redact(message), code=code, **redact_value(details)
        )

    def emit_done(self, **data: Any) -> StreamEvent:
        return self.emit("done", **data)

    # -- SDK bridge --------------------------------------------------------------------------

    async def consume(self, result: RunResultStreaming, *, announce: bool = True) -> Any:
        """Turn a streamed SDK run into events; returns its final output.

        Emits agent start/end (``announce=False`` leaves those of the first agent to the
        caller), tool call/result (name, arguments, output), handoffs and text deltas. Errors
        (guardrail tripwires, model failures) propagate to the caller, who decides how to
        report them.
        """
        first_agent: str | None = None
        tool_names: dict[str, str] = {}
        current: str | None = None
        async for event in result.stream_events():
            if isinstance(event, AgentUpdatedStreamEvent):
                if current is not None and current != event.new_agent.name:
                    self.emit_handoff(current, event.new_agent.name)
                    self.emit_agent_end(current)
                current = event.new_agent.name
                first_agent = first_agent or current
                if announce or current != first_agent:
                    self.emit_agent_start(current)
            elif isinstance(event, RawResponsesStreamEvent):
                if event.data.type == "response.output_text.delta":
                    self.emit_token(event.data.delta, current)
            elif isinstance(event, RunItemStreamEvent):
                raw = getattr(event.item, "raw_item", None)
                if event.name == "tool_called":
                    name = str(_attr(raw, "name") or "tool")
                    call_id = _attr(raw, "call_id")
                    if call_id:
                        tool_names[str(call_id)] = name
                    self.emit_tool_call(name, _attr(raw, "arguments"), call_id, current)
                elif event.name == "tool_output":
                    call_id = _attr(raw, "call_id")
                    name = tool_names.get(str(call_id), "tool")
                    output = getattr(event.item, "output", None)
                    if isinstance(output, JsonText):  # the result itself, not its JSON text
                        output = output.value
                    self.emit_tool_result(name, output, call_id, current)
        if current is not None and (announce or current != first_agent):
            self.emit_agent_end(current, result.final_output)
        return result.final_output


def _attr(raw: Any, key: str) -> Any:
    if isinstance(raw, dict):
        return raw.get(key)
    return getattr(raw, key, None)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, str | bytes):
        return str(value)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        if isinstance(value, dict | list):
            return json.loads(json.dumps(value, default=str))
        return to_text(value)
    return value
