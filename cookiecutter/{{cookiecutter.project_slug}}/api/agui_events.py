"""A run as AG-UI events: the run service's `StreamEvent`s and `RunOutcome`s in the protocol's
event types, and their Server-Sent Events encoding (the SDK's `EventEncoder`).

Out: RUN_STARTED, STATE_SNAPSHOT (the session, our run id, the agent, what waits), STEP_STARTED/
FINISHED per agent, TEXT_MESSAGE_START/CONTENT/END from the answering agents' tokens,
TOOL_CALL_START/ARGS/END and TOOL_CALL_RESULT, a closing STATE_SNAPSHOT, then RUN_FINISHED (with
`usage`; an approval's pause is its `interrupt` outcome) or RUN_ERROR (the run's error code).
The door (`api/routes/agui.py`) maps the request and the response; this module only translates.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

from ag_ui.core import (
    PROTOCOL_VERSION,
    BaseEvent,
    Interrupt,
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
)
from ag_ui.encoder import EventEncoder
from pydantic import BaseModel

from agents_core.approvals import PendingApproval
from agents_core.llm.faults import FAULTS
from agents_core.runs import RunOutcome
from agents_core.services.streaming import StreamEvent

APPROVAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "approved": {"type": "boolean"},
        "reason": {"type": "string", "maxLength": 2000},
    },
    "required": ["approved"],
}
"""What a `resolved` resume entry's payload holds (the interrupt's `responseSchema`)."""


class RunIds:
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


def run_error(code: str, message: str) -> RunErrorEvent:
    return RunErrorEvent(message=message, code=code)


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
        response_schema=APPROVAL_SCHEMA,
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


class Translator:
    """The run's `StreamEvent`s as AG-UI events, in an order `@ag-ui/client` verifies: text
    messages and steps closed before a tool call or the run's end; nothing after RUN_ERROR."""

    def __init__(self, ids: RunIds, agent: str) -> None:
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
        self, started: Iterable[StreamEvent], stream: AsyncGenerator[StreamEvent, None]
    ) -> AsyncIterator[list[BaseEvent]]:
        """The AG-UI events of the events already read (`started`), then of the rest of the
        stream, in batches (one write each)."""
        # Closing the stream (the client went away) cancels the run.
        async with contextlib.aclosing(stream):
            for item in started:
                yield self.on(item)
            if self.failed:
                return
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
        if fault is not None:  # as the JSON routes say it; the model server's address: in the log
            message = f"Agent {event.agent or self.agent!r}: {fault.happened}; {fault.advice}."
        return [run_error(code, message)]

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


def outcome_events(ids: RunIds, outcome: RunOutcome) -> list[BaseEvent]:
    """The end of a resumed run (its `RunOutcome`): the next call that waits (shown, then
    asked as an interrupt) or the answer as one text message, the state, RUN_FINISHED."""
    ids.run_id = outcome.run_id
    ids.session_id = outcome.session_id or ids.session_id
    pending: list[tuple[PendingApproval, str]] = []
    out: list[BaseEvent] = []
    if outcome.status == "paused":
        for approval in outcome.approvals:
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
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


async def encoded(
    batches: AsyncIterator[list[BaseEvent]], encoder: EventEncoder
) -> AsyncIterator[str]:
    """Each batch of events as one chunk of SSE frames (`data: <json>` and a blank line)."""
    async for batch in batches:
        if batch:
            yield "".join(encoder.encode(event) for event in batch)
