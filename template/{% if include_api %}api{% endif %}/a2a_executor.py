"""A2A tasks as runs: the `AgentExecutor` the a2a-sdk's request handler calls.

An A2A task is one run (task id = run id), its contextId is the run's session, and its owner is
the request's principal (the task store keeps each principal's tasks apart). The mapping, whole:

| A2A                                          | run service                                 |
|----------------------------------------------|---------------------------------------------|
| message (new task; `metadata.agent` = skill) | `run(RunRequest(text, agent, principal, ...))`|
| task `completed` + artifact `answer`         | the run's final output                      |
| task `input-required` (text + data part)     | the run paused on a tool call               |
| message on that task: approve / reject       | `approve(...)` / `reject(...)`              |
| `tasks/cancel`                               | `cancel(run_id)`                            |
| task `failed` (text: code and message)       | the run raised (limits, model faults, ...)  |

The decision on an `input-required` task is a message on the same task with a data part
`{"decision": "approve"}` or `{"decision": "reject", "reason": "..."}` (`approval_id` too when
several calls wait), or the text `approve` or `reject: <reason>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from a2a.helpers import (
    get_data_parts,
    get_message_text,
    new_data_part,
    new_task_from_user_message,
    new_text_part,
)
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types.a2a_pb2 import Message, TaskState
from fastapi.encoders import jsonable_encoder

from agents_core.approvals import PendingApproval
from agents_core.exceptions import AgentsCoreError
from agents_core.principals import Principal
from agents_core.runs import ROUTER, RunOutcome, RunRequest, RunService
from api.errors import ApiError, from_core_error

PRINCIPAL_STATE = "agents_core.principal"
"""Key of the request's principal in the A2A call context's state."""
RUN_SERVICE_STATE = "agents_core.run_service"
"""Key of the app's run service in the A2A call context's state."""

APPROVAL_HELP = (
    'Answer on this task with a message: a data part {"decision": "approve"} or '
    '{"decision": "reject", "reason": "..."}, or the text "approve" or "reject: <reason>".'
)


@dataclass(frozen=True)
class Decision:
    """An approve or reject read from a message on an `input-required` task."""

    approve: bool
    approval_id: str | None = None
    reason: str | None = None


def read_decision(message: Message | None) -> Decision | None:
    """The decision a message carries (data part first, then text); None when it has none."""
    if message is None:
        return None
    for data in get_data_parts(list(message.parts)):
        if isinstance(data, dict) and data.get("decision") in ("approve", "reject"):
            approval_id = data.get("approval_id")
            reason = data.get("reason")
            return Decision(
                data["decision"] == "approve",
                approval_id if isinstance(approval_id, str) else None,
                reason if isinstance(reason, str) else None,
            )
    text = get_message_text(message).strip()
    word, _, rest = text.partition(":")
    if word.strip().lower() in ("approve", "approved", "yes"):
        return Decision(True)
    if word.strip().lower() in ("reject", "rejected", "no"):
        return Decision(False, reason=rest.strip() or None)
    return None


def waiting_approvals(context: RequestContext) -> list[dict[str, Any]]:
    """The approvals the task's `input-required` status named (its data part)."""
    task = context.current_task
    if task is None or not task.status.HasField("message"):
        return []
    for data in get_data_parts(list(task.status.message.parts)):
        if isinstance(data, dict) and isinstance(data.get("approvals"), list):
            return [item for item in data["approvals"] if isinstance(item, dict)]
    return []


class RunServiceExecutor(AgentExecutor):
    """Runs each A2A task through the app's `RunService`, as the request's principal."""

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        service, principal = _service_and_principal(context)
        task_id, context_id = str(context.task_id), str(context.context_id)
        updater = TaskUpdater(event_queue, task_id, context_id)
        task = context.current_task
        try:
            if task is not None and task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED:
                outcome = await self._decide(context, updater, service, principal)
                if outcome is None:
                    return
            else:
                if task is None and context.message is not None:
                    await event_queue.enqueue_event(new_task_from_user_message(context.message))
                await updater.start_work()
                agent = _agent_of(context)
                request = RunRequest(
                    input=context.get_user_input(),
                    agent=agent,
                    principal=principal,
                    session_id=context_id,
                    run_id=task_id,
                )
                outcome = await service.run(request)
        except (AgentsCoreError, ValueError) as error:
            api_error = from_core_error(error)
            await updater.failed(_agent_message(updater, _error_text(api_error)))
            return
        await _report(updater, outcome)

    async def _decide(
        self,
        context: RequestContext,
        updater: TaskUpdater,
        service: RunService,
        principal: Principal,
    ) -> RunOutcome | None:
        """Resume the paused run with the message's decision; None (still waiting) without one."""
        waiting = waiting_approvals(context)
        decision = read_decision(context.message)
        if decision is None or not waiting:
            text = "No decision found in the message. " + APPROVAL_HELP
            await updater.requires_input(
                _agent_message(updater, text, {"approvals": waiting}) if waiting else None
            )
            return None
        approval_id = decision.approval_id or str(waiting[0].get("approval_id", ""))
        await updater.start_work()
        run_id = str(context.task_id)
        if decision.approve:
            return await service.approve(run_id, approval_id, principal=principal)
        return await service.reject(run_id, approval_id, decision.reason, principal=principal)

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        service, principal = _service_and_principal(context)
        await service.cancel(str(context.task_id), principal=principal)
        updater = TaskUpdater(event_queue, str(context.task_id), str(context.context_id))
        await updater.cancel()


async def _report(updater: TaskUpdater, outcome: RunOutcome) -> None:
    """The run's outcome as the task's artifact and state."""
    if outcome.status == "paused":
        approvals = [_approval_data(approval) for approval in outcome.approvals]
        lines = [
            f"The tool {a.tool!r} of agent {a.agent!r} waits for approval "
            f"(arguments: {a.arguments}; approval_id: {a.approval_id})."
            for a in outcome.approvals
        ]
        text = " ".join([*lines, APPROVAL_HELP])
        await updater.requires_input(_agent_message(updater, text, {"approvals": approvals}))
        return
    parts = [new_text_part(outcome.text)]
    if outcome.output is not None and not isinstance(outcome.output, str):
        parts.append(new_data_part(jsonable_encoder(outcome.output)))
    await updater.add_artifact(
        parts, name="answer", metadata={"agent": outcome.agent, "intent": outcome.intent}
    )
    await updater.complete()


def _approval_data(approval: PendingApproval) -> dict[str, Any]:
    return {
        "approval_id": approval.approval_id,
        "agent": approval.agent,
        "tool": approval.tool,
        "arguments": approval.arguments_dict(),
        "expires_at": approval.expires_at,
    }


def _agent_message(updater: TaskUpdater, text: str, data: Any = None) -> Message:
    parts = [new_text_part(text)]
    if data is not None:
        parts.append(new_data_part(data))
    return updater.new_agent_message(parts)


def _error_text(error: ApiError) -> str:
    return f"{error.code}: {error.message}"


def _agent_of(context: RequestContext) -> str | None:
    """The skill asked for: `metadata.agent` of the message or the request (router if none)."""
    message = context.message
    from_message = dict(message.metadata.items()) if message is not None else {}
    for metadata in (from_message, context.metadata):
        agent = metadata.get("agent")
        if isinstance(agent, str) and agent:
            return None if agent == ROUTER else agent
    return None


def _service_and_principal(context: RequestContext) -> tuple[RunService, Principal]:
    state = context.call_context.state
    service, principal = state.get(RUN_SERVICE_STATE), state.get(PRINCIPAL_STATE)
    if not isinstance(service, RunService) or not isinstance(principal, Principal):
        # Never run a task as nobody in particular.
        raise RuntimeError("The A2A call carries no authenticated principal.")
    return service, principal
