"""`PausedRun`: what a run that waits for approvals needs to finish, as one JSON payload."""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from agents import RunState
from agents.items import ToolApprovalItem, TResponseInputItem
from agents.tool import DEFAULT_APPROVAL_REJECTION_MESSAGE
from pydantic import TypeAdapter

from agents_core.approvals.pending import PendingApproval
from agents_core.exceptions import ApprovalError
from agents_core.principals import LOCAL, Principal

PAYLOAD_VERSION = 1
REJECTION_PREFIX = DEFAULT_APPROVAL_REJECTION_MESSAGE
"""Start of what a rejected call returns to the model (the SDK's own rejection message)."""


class Paused(BaseException):
    """Raised out of `run_agent` when an SDK run stops on tool approvals (interruptions).

    A BaseException, so that an `except Exception` in a workflow does not swallow the pause.
    """

    def __init__(
        self, agent: str, index: int, state: RunState[Any, Any], items: list[ToolApprovalItem]
    ) -> None:
        super().__init__(f"agent {agent!r} waits for {len(items)} approval(s)")
        self.agent = agent
        self.index = index
        self.state = state
        self.items = items


@dataclass
class ApprovalEntry:
    """One interruption of the paused SDK run and the approval id it was given."""

    approval_id: str
    call_id: str
    agent: str
    tool: str
    arguments: str

    @classmethod
    def of(cls, item: ToolApprovalItem) -> ApprovalEntry:
        return cls(
            approval_id=uuid.uuid4().hex,
            call_id=str(item.call_id or ""),
            agent=item.agent.name,
            tool=str(item.tool_name or item.name or "tool"),
            arguments=str(item.arguments or ""),
        )


@dataclass
class PausedRun:
    """Everything a later process needs to resume the run (the payload stored for it)."""

    run_id: str
    workflow: str
    """The orchestrator class that ran it; resuming needs the same class."""
    default_agent: str
    query: str
    session_id: str | None
    context_data: dict[str, Any]
    journal: list[dict[str, Any]]
    """Output of every agent call that finished before the pause, in call order."""
    agent: str
    """The agent whose SDK run is paused."""
    index: int
    """Its call number in the run (calls before it are replayed from `journal`)."""
    sdk_state: str
    """The SDK's `RunState.to_string()`."""
    turns: dict[str, list[TResponseInputItem]]
    """Items of each open session turn so far (session id -> items)."""
    approvals: list[ApprovalEntry] = field(default_factory=list)

    def to_payload(self) -> str:
        data = dataclasses.asdict(self)
        data["version"] = PAYLOAD_VERSION
        try:
            return json.dumps(data, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise TypeError(
                "A run that pauses for an approval stores its context_data as JSON; "
                f"this run's context_data is not JSON ({error})."
            ) from None

    @classmethod
    def from_payload(cls, payload: str, run_id: str) -> PausedRun:
        try:
            data = json.loads(payload)
            if data.pop("version") != PAYLOAD_VERSION:
                raise ValueError("unknown payload version")
            data["approvals"] = [ApprovalEntry(**entry) for entry in data["approvals"]]
            paused = cls(**data)
        except (ValueError, TypeError, KeyError) as error:
            raise ApprovalError(
                "invalid",
                f"The stored state of run {run_id} is unreadable ({error}).",
                run_id=run_id,
            ) from None
        if paused.run_id != run_id:
            raise ApprovalError(
                "invalid", "The stored state belongs to another run.", run_id=run_id
            )
        return paused

    def pending(
        self, expires_at: float, decided: dict[str, tuple[str, str | None]]
    ) -> list[PendingApproval]:
        """The approvals still waiting (all of them, before any decision)."""
        return [
            PendingApproval(
                approval_id=entry.approval_id,
                run_id=self.run_id,
                session_id=self.session_id,
                agent=entry.agent,
                tool=entry.tool,
                arguments=entry.arguments,
                expires_at=expires_at,
            )
            for entry in self.approvals
            if decided.get(entry.approval_id, ("pending", None))[0] == "pending"
        ]


def rejection_message(reason: str | None) -> str:
    """What the model reads for a rejected call: the SDK's refusal, with the human's reason."""
    reason = (reason or "").strip()
    return f"{REJECTION_PREFIX} Reason: {reason}" if reason else REJECTION_PREFIX


def apply_decisions(
    state: RunState[Any, Any],
    approvals: list[ApprovalEntry],
    decided: dict[str, tuple[str, str | None]],
    run_id: str,
) -> None:
    """Approve or reject each interruption of `state` as the humans decided."""
    items = {str(item.call_id): item for item in state.get_interruptions()}
    for entry in approvals:
        item = items.get(entry.call_id)
        if item is None or item.tool_name != entry.tool:
            raise ApprovalError(
                "invalid",
                f"The stored state of run {run_id} has no pending call {entry.tool!r}.",
                run_id=run_id,
            )
        status, reason = decided.get(entry.approval_id, ("pending", None))
        if status == "approved":
            state.approve(item)
        else:
            state.reject(item, rejection_message=rejection_message(reason))


def encode_output(output: Any) -> Any:
    """An agent's output as JSON (strings stay strings)."""
    if isinstance(output, str) or output is None:
        return output
    return TypeAdapter(type(output)).dump_python(output, mode="json")


def decode_output(value: Any, output_type: type[Any] | None) -> Any:
    """`encode_output` undone, for the agent's output type."""
    if output_type is None or value is None or isinstance(value, str):
        return value
    return TypeAdapter(output_type).validate_python(value)


async def paused_workflow(run_id: str, principal: Principal = LOCAL) -> tuple[str, str] | None:
    """(orchestrator class name, default agent) of a paused run, to pick its orchestrator
    (None when unknown or another principal's)."""
    from agents_core.approvals.store import open_approval_store

    store = open_approval_store()
    try:
        stored = await store.load(run_id)
    finally:
        await store.aclose()
    if stored is None or not stored.payload or not principal.may_access(stored.owner):
        return None
    try:
        data = json.loads(stored.payload)
        return str(data["workflow"]), str(data["default_agent"])
    except (ValueError, KeyError, TypeError):
        return None
