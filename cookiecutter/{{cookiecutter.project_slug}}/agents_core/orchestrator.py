"""`AgentOrchestrator`: multi-agent workflows written as code (not SDK handoffs)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import logging
import re
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from agents import RunContextWrapper, RunState
from agents.items import TResponseInputItem
from agents.memory import SessionABC
from agents.tracing import get_current_trace, trace

from agents_core.approvals.paused_run import (
    ApprovalEntry,
    Paused,
    PausedRun,
    apply_decisions,
    decode_output,
    encode_output,
)
from agents_core.approvals.pending import PendingApproval
from agents_core.approvals.store import StoredRun, digest, open_approval_store
from agents_core.config import get_settings
from agents_core.core.runner import AgentRunner, RunInput, as_core_error
from agents_core.exceptions import (
    AgentsCoreError,
    ApprovalError,
    ConfigurationError,
    GuardrailTripped,
    ModelCallError,
)
from agents_core.limits.limiter import admit, record_tokens
from agents_core.models.context import AgentContext
from agents_core.models.outputs.intent import IntentOutput
from agents_core.observability.run_log import (
    current_run_id,
    log_run,
    new_run_id,
    sdk_trace_id,
    token_usage,
)
from agents_core.principals import LOCAL, LOCAL_PRINCIPAL_ID, Principal
from agents_core.registry.agent_registry import AgentRegistry
from agents_core.registry.guardrail_registry import GuardrailCheck, register_guardrail
from agents_core.services.routing import IntentRouter, read_structured_output
from agents_core.services.safety import SafetyGuard
from agents_core.services.streaming import StreamEvent, StreamingHelper
from agents_core.session.agent_session import AgentSession, validate_session_id
from agents_core.session.turn import SessionTurn
from agents_core.utils.messages import to_text
from agents_core.utils.tasks import cancel_and_wait, run_to_end


@dataclass
class _RunState:
    """What one `run()` shares with the `run_agent` calls inside it (per asyncio task).

    It holds the turn of every session the run uses: the turn is opened (the session's lock
    taken, its history read) when the first agent runs on that session, and is committed when
    the run succeeds or discarded when it fails.
    """

    query: str
    session_id: str | None
    guard: SafetyGuard
    principal: Principal = LOCAL
    """Who the run is for: it owns the sessions and paused runs the run creates."""
    run_id: str = field(default_factory=new_run_id)
    streaming: StreamingHelper | None = None
    sessions: list[AgentSession] = field(default_factory=list)
    turns: dict[str, SessionTurn] = field(default_factory=dict)
    stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    closed: bool = False
    context_data: dict[str, Any] = field(default_factory=dict)
    calls: int = 0
    """Agent calls started so far (their numbers order the journal)."""
    outputs: dict[int, tuple[str, Any]] = field(default_factory=dict)
    """Call number -> (agent, output) of every agent call that finished."""
    resumed: _Resumed | None = None

    async def turn_for(self, session: AgentSession) -> SessionTurn:
        turn = self.turns.get(session.session_id)
        if turn is None:
            turn = await self.stack.enter_async_context(
                session.turn(self.query, principal=self.principal)
            )
            self.turns[session.session_id] = turn
            if self.resumed is not None and session.session_id in self.resumed.paused.turns:
                # The paused turn's items so far (its user message first), after whatever
                # history is stored now: a turn that ran meanwhile comes before this one.
                turn.items = list(self.resumed.paused.turns.pop(session.session_id))
        return turn

    async def commit(self, answer: str) -> None:
        """The run succeeded: store every open turn with `answer` as its final answer."""
        for turn in self.turns.values():
            turn.set_answer(answer)
        await self.stack.aclose()
        await self.aclose()

    async def aclose(self) -> None:
        """Discard turns not committed, release the locks and the sessions' connections.

        Runs to its end even when the run is cancelled meanwhile (CancelledError afterwards):
        the next turn on the sessions can start at once.
        """
        if self.closed:
            return
        self.closed = True
        await run_to_end(self._release())

    async def _release(self) -> None:
        try:
            failed = _RunFailed("the run did not finish; its turn is not stored")
            await self.stack.__aexit__(type(failed), failed, None)
        finally:
            for session in self.sessions:
                await session.aclose()
            self.sessions.clear()


@dataclass
class _Resumed:
    """A paused run being resumed: the calls to replay and the decisions to apply."""

    paused: PausedRun
    decided: dict[str, tuple[str, str | None]]
    replay: dict[int, dict[str, Any]] = field(default_factory=dict)


logger = logging.getLogger(__name__)


@dataclass
class _RunRecord:
    """How a run ended, for its log line and its trace: ok | refused | error | cancelled."""

    outcome: str = "error"
    error: str | None = None
    error_type: str | None = None
    """The fault's stable code (`model_timeout`...), else the error's class name."""
    agent: str | None = None
    tokens: dict[str, int] = field(default_factory=dict)
    """Model tokens the run's agents used: `input`, `output` (as the models reported them)."""

    def failed(self, error: BaseException) -> None:
        if isinstance(error, GuardrailTripped):
            self.outcome = "refused"
        elif isinstance(error, asyncio.CancelledError):
            self.outcome = "cancelled"
        else:
            self.outcome = "error"
        self.error = f"{type(error).__name__}: {error}"
        self.error_type = _error_code(error) if isinstance(error, AgentsCoreError) else None
        self.error_type = self.error_type or type(error).__name__


@contextlib.asynccontextmanager
async def _observed(state: _RunState, workflow: str) -> AsyncIterator[_RunRecord]:
    """The run's trace (`trace_<run id>`, grouped by session) and its log line at the end,
    both with the model tokens the run used, which count against its principal's budget.

    Inside an SDK trace that is already open (a run inside a workflow's run) the run's agents
    join that trace instead.
    """
    record = _RunRecord()
    outer_tokens = token_usage.get()  # an eval counting the tokens of the runs it makes
    tokens_token = token_usage.set(record.tokens)
    metadata: dict[str, Any] = {"run_id": state.run_id}
    sdk_trace = None
    if get_current_trace() is None:
        sdk_trace = trace(
            workflow,
            trace_id=sdk_trace_id(state.run_id),
            group_id=state.session_id,
            metadata=metadata,
        )
        sdk_trace.start(mark_as_current=True)
    token = current_run_id.set(state.run_id)
    started = time.perf_counter()
    try:
        yield record
    except BaseException as error:
        record.failed(error)
        raise
    finally:
        token_usage.reset(tokens_token)
        input_tokens, output_tokens = record.tokens.get("input", 0), record.tokens.get("output", 0)
        if outer_tokens is not None:
            outer_tokens["input"] = outer_tokens.get("input", 0) + input_tokens
            outer_tokens["output"] = outer_tokens.get("output", 0) + output_tokens
        metadata |= {
            "session_id": state.session_id,
            "outcome": record.outcome,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
        }
        if record.outcome == "error" and record.error_type:
            metadata["error_type"] = record.error_type
        if sdk_trace is not None:
            sdk_trace.finish(reset_current=True)
        current_run_id.reset(token)
        log_run(
            run_id=state.run_id,
            session_id=state.session_id,
            agent=record.agent,
            duration_s=time.perf_counter() - started,
            outcome=record.outcome,
            error=record.error,
            error_type=record.error_type if record.outcome == "error" else None,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )
        if input_tokens + output_tokens:
            await _count_tokens(state, input_tokens + output_tokens)


async def _count_tokens(state: _RunState, tokens: int) -> None:
    """Add the run's tokens to its principal's day. A store that fails is logged, not raised:
    the run's outcome, already decided, must not be replaced by a bookkeeping error."""
    try:
        await run_to_end(record_tokens(state.principal, tokens))
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("run %s: its %d model tokens could not be counted", state.run_id, tokens)


class _RunFailed(Exception):
    """Thrown into the open turns of a run that did not finish, so that they store nothing."""


logger = logging.getLogger(__name__)

_current_run: ContextVar[_RunState | None] = ContextVar("agents_core_run", default=None)


MAX_REASON_CHARS = 2_000
"""Longest rejection reason accepted (it reaches the model)."""
_HEX32 = re.compile(r"[0-9a-f]{32}")


def _expired(run_id: str, approval_id: str) -> ApprovalError:
    return ApprovalError(
        "expired",
        f"Approval {approval_id} of run {run_id} expired (APPROVAL_TIMEOUT_SECONDS); "
        "the run has ended. Send the request again to start a new run.",
        run_id=run_id,
        approval_id=approval_id,
    )


def _decided(run_id: str, approval_id: str, status: str) -> ApprovalError:
    return ApprovalError(
        "decided",
        f"Approval {approval_id} of run {run_id} was already decided ({status}).",
        run_id=run_id,
        approval_id=approval_id,
    )


def validate_run_id(run_id: str) -> str:
    """A run id is 32 lowercase hex digits (it doubles as an OpenTelemetry trace id)."""
    if not isinstance(run_id, str) or len(run_id) != 32 or set(run_id) - set("0123456789abcdef"):
        raise ValueError(f"A run id is 32 lowercase hex digits, got {run_id!r}.")
    if run_id == "0" * 32:
        raise ValueError("A run id cannot be all zeros.")
    return run_id


def _answer_agent(outcome: Any) -> str | None:
    agent = outcome.get("agent") if isinstance(outcome, dict) else None
    return str(agent) if agent else None


def _answer_text(outcome: Any) -> str:
    """The text of a run's final answer (`execute()` returns a dict with "result", or it)."""
    result = outcome.get("result") if isinstance(outcome, dict) else outcome
    return to_text(result)


class AgentOrchestrator:
    """Runs agents in code: your `execute` decides which agent runs when.

    `run()` validates the query, checks the run's input guardrails on it (before any agent,
    model call or session write), opens the run (safety guard, streaming, session id) and
    calls `execute()`, which subclasses override. Inside it, `setup_session()`,
    `setup_context()` and `run_agent()` do the work. `stream()` runs the same `execute()` and
    yields `StreamEvent`s.

    A run is one turn of its session: the turn takes the session's lock (turns on one session
    wait for each other, across processes) and is stored whole when the run succeeds: the
    user's message, the tool calls and results of the agents that did the work, and the final
    answer. A failed run stores nothing. Orchestration agents (`metadata["role"] ==
    "orchestration"`: router, planner, synthesizer) read the history and the turn so far as
    their input and write nothing to the session.

    The default `execute()` runs `default_agent` and returns
    ``{"success": True, "agent": ..., "result": ..., "session_id": ...}``.
    """

    default_agent: str = "assistant"
    context_class: type[AgentContext] = AgentContext
    input_guardrails: tuple[str, ...] | None = None
    """Guardrails checked on the user's input before anything runs; None: those of
    `default_agent` (see `run_guardrails()`)."""

    def __init__(
        self,
        *,
        runner: AgentRunner | None = None,
        default_agent: str | None = None,
        max_agent_runs: int = 12,
        session_max_items: int | None = None,
        streaming: StreamingHelper | None = None,
    ) -> None:
        self.runner = runner or AgentRunner()
        if default_agent is not None:
            self.default_agent = default_agent
        self.max_agent_runs = max_agent_runs
        self.session_max_items = session_max_items
        self.streaming = streaming

    @property
    def agents(self) -> AgentRegistry:
        return self.runner.factory.agents

    # -- the run -------------------------------------------------------------------------------

    async def run(
        self,
        user_query: str,
        context_data: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        run_id: str | None = None,
        principal: Principal = LOCAL,
    ) -> Any:
        """Run the workflow on one user query; returns what `execute()` returns.

        `run_id` (32 hex digits, default: a new one) names the run in its log line and trace;
        `principal` is who the run is for (the CLI's and an unauthenticated API's: `local`).
        `LimitExceeded` when the principal is over RATE_LIMIT_PER_MINUTE or
        TOKEN_BUDGET_PER_DAY (checked before anything else runs).
        """
        state = self._open_run(user_query, session_id, self.streaming, run_id, principal)
        state.context_data = dict(context_data or {})
        await admit(principal)
        return await self._drive(state)

    async def _drive(self, state: _RunState) -> Any:
        """Run `execute()` in `state`; its outcome, or the first `PendingApproval` on a pause."""
        token = _current_run.set(state)
        try:
            async with _observed(state, type(self).__name__) as record:
                data = dict(state.context_data)
                await self._authorize_session(state)
                if state.resumed is None:
                    await self.check_input(state.query, data)
                try:
                    outcome = await self.execute(state.query, data)
                except Paused as paused:
                    pending = await self._pause(state, paused)
                    record.outcome, record.agent = "paused", paused.agent
                    return pending[0]
                await state.commit(_answer_text(outcome))
                record.outcome = "ok"
                record.agent = _answer_agent(outcome)
                return outcome
        finally:
            _current_run.reset(token)
            await state.aclose()

    async def _authorize_session(self, state: _RunState) -> None:
        """SessionNotFound, before anything runs, when the run's session is another's.

        The session is kept for `setup_session()`; its turn checks again under the lock (a
        new id taken by another principal meanwhile).
        """
        if state.session_id is None:
            return
        session = self._open_session(state, state.session_id)
        await session.authorize(state.principal)

    async def authorize_session(self, session_id: str, principal: Principal = LOCAL) -> None:
        """Raise SessionNotFound when `session_id` is stored and is not `principal`'s.

        `run()` and `stream()` check it themselves; a door that must answer before it starts
        streaming (an HTTP status) calls this first.
        """
        async with AgentSession(validate_session_id(session_id)) as session:
            await session.authorize(principal)

    # -- approvals -----------------------------------------------------------------------------

    async def _pause(self, state: _RunState, paused: Paused) -> list[PendingApproval]:
        """Store what the run needs to finish (in the session store) and release its turns.

        The turns are not stored and their locks are released when the run returns: no lock
        is held while a human decides.
        """
        expires_at = time.time() + get_settings().approval_timeout_seconds
        journal = [
            {"index": index, "agent": agent, "output": encode_output(output)}
            for index, (agent, output) in sorted(state.outputs.items())
        ]
        run = PausedRun(
            run_id=state.run_id,
            workflow=type(self).__qualname__,
            default_agent=self.default_agent,
            query=state.query,
            session_id=state.session_id,
            context_data=state.context_data,
            journal=journal,
            agent=paused.agent,
            index=paused.index,
            # The context is rebuilt from context_data on resume (context_override).
            sdk_state=paused.state.to_string(context_serializer=lambda _context: {}),
            turns={sid: list(turn.items) for sid, turn in state.turns.items()},
            approvals=[ApprovalEntry.of(item) for item in paused.items],
        )
        payload = run.to_payload()
        store = open_approval_store()
        try:
            await store.save(
                StoredRun(
                    run_id=state.run_id,
                    session_id=state.session_id or "",
                    payload=payload,
                    digest=digest(payload),
                    expires_at=expires_at,
                    approvals={entry.approval_id: ("pending", None) for entry in run.approvals},
                    owner=state.principal.id,
                )
            )
        finally:
            await run_to_end(store.aclose())
        pending = run.pending(expires_at, {})
        if state.streaming is not None:
            for approval in pending:
                data = approval.to_dict()
                state.streaming.emit("approval_required", data.pop("agent"), **data)
        return pending

    async def approve(self, run_id: str, approval_id: str, *, principal: Principal = LOCAL) -> Any:
        """Approve a pending tool call; resumes the run once every call of its pause is decided.

        Returns what `run()` returns: the outcome, or the next `PendingApproval`.
        """
        return await self.resume(run_id, approval_id, approved=True, principal=principal)

    async def reject(
        self,
        run_id: str,
        approval_id: str,
        reason: str | None = None,
        *,
        principal: Principal = LOCAL,
    ) -> Any:
        """Reject a pending tool call: the model reads the SDK's refusal (with `reason`)."""
        return await self.resume(
            run_id, approval_id, approved=False, reason=reason, principal=principal
        )

    async def resume(
        self,
        run_id: str,
        approval_id: str,
        *,
        approved: bool,
        reason: str | None = None,
        principal: Principal = LOCAL,
    ) -> Any:
        """Decide one approval of a paused run (see `approve`/`reject`); ApprovalError when the
        approval is unknown, already decided, expired, or its stored run does not verify.

        Only the principal whose run paused (or role admin) decides; to anyone else the run is
        unknown, as a run id that never paused. The resumed run runs as its owner.
        A decision counts as one request of `principal` (who decides, and whom the resumed run
        is for): `LimitExceeded` over a limit, before the decision is recorded.
        """
        validate_run_id(run_id)
        if reason is not None and len(reason) > MAX_REASON_CHARS:
            raise ValueError(
                f"The rejection reason has {len(reason)} characters; the limit is "
                f"{MAX_REASON_CHARS}."
            )
        if reason is not None:
            try:
                reason.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("The rejection reason is not valid Unicode text.") from None
        unknown = ApprovalError(
            "unknown",
            f"No pending approval {approval_id[:40]!r} for run {run_id}.",
            run_id=run_id,
            approval_id=approval_id[:40],
        )
        if not _HEX32.fullmatch(approval_id):
            raise unknown
        store = open_approval_store()
        try:
            stored = await store.load(run_id)
            if (
                stored is None
                or not principal.may_access(stored.owner)
                or approval_id not in stored.approvals
            ):
                raise unknown
            status = stored.approvals[approval_id][0]
            if stored.status == "expired" or status == "expired":
                raise _expired(run_id, approval_id)
            if status != "pending" or stored.status != "paused":
                raise _decided(run_id, approval_id, status)
            if time.time() > stored.expires_at:
                await store.transition(run_id, "paused", "expired")
                raise _expired(run_id, approval_id)
            if digest(stored.payload) != stored.digest:
                raise ApprovalError(
                    "invalid",
                    f"The stored state of run {run_id} was changed after the pause; refused.",
                    run_id=run_id,
                )
            paused = PausedRun.from_payload(stored.payload, run_id)
            if paused.workflow != type(self).__qualname__:
                raise ApprovalError(
                    "invalid",
                    f"Run {run_id} was paused by {paused.workflow}, not {type(self).__qualname__}.",
                    run_id=run_id,
                )
            await admit(principal)
            decision = "approved" if approved else "rejected"
            before = await store.decide(run_id, approval_id, decision, reason)
            if before == "unknown":
                raise unknown
            if before != "pending":
                raise _decided(run_id, approval_id, before)
            stored = await store.load(run_id) or stored
            waiting = paused.pending(stored.expires_at, stored.approvals)
            if waiting:
                return waiting[0]
            if not await store.transition(run_id, "paused", "resuming"):
                raise _decided(run_id, approval_id, decision)
            owner = stored.owner or LOCAL_PRINCIPAL_ID
            runs_as = principal if principal.id == owner else Principal(owner)
            state = self._open_run(paused.query, paused.session_id, self.streaming, run_id, runs_as)
            state.context_data = dict(paused.context_data)
            state.resumed = _Resumed(
                paused=paused,
                decided=dict(stored.approvals),
                replay={int(entry["index"]): entry for entry in paused.journal},
            )
            try:
                outcome = await self._drive(state)
            except BaseException:
                await store.transition(run_id, "resuming", "done")
                raise
            if not isinstance(outcome, PendingApproval):
                await store.transition(run_id, "resuming", "done")
            return outcome
        finally:
            await run_to_end(store.aclose())

    async def _replayed_or_resumed(
        self, state: _RunState, index: int, agent_name: str, context: AgentContext
    ) -> tuple[bool, Any]:
        """For a resumed run: (True, output) for a call that finished before the pause;
        (False, the SDK RunState to continue) for the paused call; (False, None) otherwise."""
        resumed = state.resumed
        if resumed is None:
            return False, None
        entry = resumed.replay.get(index)
        expected = entry["agent"] if entry else resumed.paused.agent
        if (entry is not None or index == resumed.paused.index) and expected != agent_name:
            raise ApprovalError(
                "invalid",
                f"On resume the workflow called {agent_name!r} where run {state.run_id} had "
                f"called {expected!r}; execute() must call the same agents in the same order.",
                run_id=state.run_id,
            )
        definition = self.runner.factory.definition(agent_name)
        if entry is not None:
            output = decode_output(entry["output"], definition.output_dataclass)
            state.outputs[index] = (agent_name, output)
            context.record_agent_output(agent_name, output)
            return True, output
        if index != resumed.paused.index:
            return False, None
        try:
            run_state: RunState[Any, Any] = await RunState.from_string(
                self.runner.factory.build(definition),
                resumed.paused.sdk_state,
                context_override=RunContextWrapper(context),
            )
        except Exception as error:
            raise ApprovalError(
                "invalid",
                f"The stored SDK state of run {state.run_id} cannot be resumed "
                f"({type(error).__name__}).",
                run_id=state.run_id,
            ) from None
        apply_decisions(run_state, resumed.paused.approvals, resumed.decided, state.run_id)
        return False, run_state

    async def execute(self, user_query: str, context_data: dict[str, Any]) -> Any:
        """The workflow. Override it; the default runs `default_agent` once."""
        session = self.setup_session()
        context = self.setup_context(**context_data)
        result = await self.run_agent(self.default_agent, session, context, final=True)
        return {
            "success": True,
            "agent": self.default_agent,
            "result": result,
            "session_id": session.session_id,
        }

    async def stream(
        self,
        user_query: str,
        context_data: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        run_id: str | None = None,
        principal: Principal = LOCAL,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Run the workflow and yield its events: run_start ... answer | error, then done.

        `run_start` and `done` carry the run's `run_id`.

        Errors are reported as an `error` event (with the exception type as `code`), never
        raised into the consumer, except those that refuse the run before its first event:
        a bad argument (ValueError) and `LimitExceeded`. Closing the iterator cancels the run
        (nothing is stored).
        """
        queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
        helper = StreamingHelper(queue.put_nowait)
        state = self._open_run(user_query, session_id, helper, run_id, principal)
        state.context_data = dict(context_data or {})
        await admit(principal)  # raised before the first event: the run never started
        helper.emit("run_start", query=user_query, session_id=state.session_id, run_id=state.run_id)

        async def work() -> None:
            token = _current_run.set(state)
            try:
                async with _observed(state, type(self).__name__) as record:
                    try:
                        data = dict(context_data or {})
                        await self._authorize_session(state)
                        await self.check_input(user_query, data)
                        try:
                            outcome = await self.execute(user_query, data)
                        except Paused as paused:
                            await self._pause(state, paused)  # emits approval_required
                            record.outcome, record.agent = "paused", paused.agent
                            return
                        answer = outcome.get("result") if isinstance(outcome, dict) else outcome
                        await state.commit(_answer_text(outcome))  # stored before it is heard
                        record.outcome, record.agent = "ok", _answer_agent(outcome)
                        helper.emit_answer(answer, sources=list(state.guard.runs))
                    except AgentsCoreError as error:
                        record.failed(error)
                        await state.aclose()
                        helper.emit_error(str(error), code=_error_code(error))
                    except Exception as error:  # a bug in execute(): report it, do not hang
                        record.failed(error)
                        await state.aclose()
                        helper.emit_error(f"{type(error).__name__}: {error}", code="InternalError")
            finally:
                _current_run.reset(token)
                await state.aclose()
                helper.emit_done(session_id=state.session_id, run_id=state.run_id)

        task = asyncio.create_task(work())
        try:
            while True:
                event = await queue.get()
                yield event
                if event.type == "done":
                    break
            await task
        finally:
            if not task.done():
                await cancel_and_wait(task)  # its cleanup ends before the stream does

    def _open_run(
        self,
        user_query: str,
        session_id: str | None,
        streaming: StreamingHelper | None,
        run_id: str | None = None,
        principal: Principal = LOCAL,
    ) -> _RunState:
        if not isinstance(user_query, str) or not user_query.strip():
            raise ValueError("The user query must be a non-empty string.")
        limit = get_settings().max_input_chars
        if len(user_query) > limit:
            raise ValueError(
                f"The user query has {len(user_query)} characters; the limit is {limit} "
                "(MAX_INPUT_CHARS)."
            )
        if session_id is not None:
            validate_session_id(session_id)
        if run_id is not None:
            validate_run_id(run_id)
        guard = SafetyGuard(max_agent_runs=self.max_agent_runs)
        state = _RunState(
            query=user_query,
            session_id=session_id,
            guard=guard,
            principal=principal,
            streaming=streaming,
        )
        if run_id is not None:
            state.run_id = run_id
        return state

    def run_guardrails(self) -> list[str]:
        """The guardrails `check_input` applies: `input_guardrails`, else `default_agent`'s."""
        if self.input_guardrails is not None:
            return list(self.input_guardrails)
        return list(self.agents.get(self.default_agent).guardrails)

    async def check_input(self, user_query: str, context_data: dict[str, Any]) -> None:
        """Check the run's guardrails on the user's input; raise GuardrailTripped on refusal.

        Runs before any agent, model call or session write, so a refused input is neither
        stored nor sent anywhere.
        """
        names = self.run_guardrails()
        if not names:
            return
        try:  # not setup_context(): that is execute()'s, once per run
            context = self.context_class(**context_data)
        except TypeError:
            context = self.setup_context(**context_data)  # raises the error listing the fields
        context.user_query = user_query
        state = _current_run.get()
        if state is not None:  # the run's principal, whatever context_data said
            context.principal = state.principal
        for definition in self.runner.factory.guardrails.get_many(names):
            outcome = definition.check(context, user_query)
            if inspect.isawaitable(outcome):
                outcome = await outcome
            ok, message = outcome
            if not ok:
                raise GuardrailTripped(definition.name, message or "input refused")

    # -- building blocks -----------------------------------------------------------------------

    def setup_session(self, session_id: str | None = None) -> AgentSession:
        """The session of this run: the id passed to `run()`, else a new one."""
        state = _current_run.get()
        chosen = session_id or (state.session_id if state else None) or uuid.uuid4().hex
        if state is None:
            return AgentSession(chosen, max_items=self.session_max_items)
        if state.session_id is None:
            state.session_id = chosen
        return self._open_session(state, chosen)

    def _open_session(self, state: _RunState, session_id: str) -> AgentSession:
        """The run's session of that id (one object per id), created for the run's principal."""
        for session in state.sessions:
            if session.session_id == session_id:
                return session
        session = AgentSession(
            session_id, max_items=self.session_max_items, owner=state.principal.id
        )
        state.sessions.append(session)
        return session

    def setup_context(self, **context_data: Any) -> AgentContext:
        """A new `context_class` from `context_data`, holding the run's query and session id."""
        fields = {f.name for f in dataclasses.fields(self.context_class)}
        unknown = sorted(set(context_data) - fields)
        if unknown:
            raise ConfigurationError(
                f"Unknown context field(s) {', '.join(unknown)} for "
                f"{self.context_class.__name__}; fields are: {', '.join(sorted(fields))}. "
                "Subclass AgentContext to add your own."
            )
        context = self.context_class(**context_data)
        state = _current_run.get()
        if state is not None:
            context.user_query = context.user_query or state.query
            context.session_id = context.session_id or state.session_id
            context.principal = state.principal
        return context

    async def run_agent(
        self,
        agent_name: str,
        session: AgentSession | None = None,
        context: AgentContext | None = None,
        input: RunInput | None = None,
        *,
        final: bool = False,
        internal: bool | None = None,
    ) -> Any:
        """Run one agent and return its final output (a string or its output type).

        Inside `run()`, an agent with a session works on the run's turn: it sees the history
        and the turn so far (the run's own query first), and its items join the turn. An
        `internal` agent (default: `metadata["role"] == "orchestration"`) gets the same
        conversation as explicit input and writes nothing. `input` replaces what the agent
        is given. Outside `run()`, the agent gets `input` or `context.user_query` and writes
        to `session` directly. The output is recorded in `context.agent_outputs[agent_name]`.
        `final=True` marks the agent whose text is the answer (streaming clients show its
        tokens as the answer).
        """
        state = _current_run.get()
        context = context if context is not None else self.setup_context()
        definition = self.runner.factory.definition(agent_name)
        if internal is None:
            internal = definition.metadata.get("role") == "orchestration"
        index = 0
        sdk_input: RunInput | RunState[Any, Any] | None = None
        if state is not None:
            state.guard.check(agent_name, to_text(input) if input is not None else "")
            index, state.calls = state.calls, state.calls + 1
            replayed, found = await self._replayed_or_resumed(state, index, agent_name, context)
            if replayed:
                if session is not None:
                    await state.turn_for(session)  # the turn stays open as it was
                return found
            sdk_input = found
        run_input, run_session = await self._input_for(state, session, context, input, internal)
        if sdk_input is None:
            sdk_input = run_input
        helper = state.streaming if state is not None else None
        if helper is None:
            result = await self.runner.run(
                agent_name, sdk_input, session=run_session, context=context
            )
            if state is not None:
                if result.interruptions:
                    raise Paused(agent_name, index, result.to_state(), list(result.interruptions))
                state.outputs[index] = (agent_name, result.final_output)
            return result.final_output
        streamed = self.runner.run_streamed(
            agent_name, sdk_input, session=run_session, context=context
        )
        helper.emit_status(f"running {agent_name}", agent_name)
        helper.emit_agent_start(
            agent_name,
            final=final,
            structured=definition.output_dataclass is not None,
        )
        try:
            output = await helper.consume(streamed, announce=False)
        except Exception as error:
            raise as_core_error(agent_name, error) from error
        if streamed.interruptions and state is not None:
            raise Paused(agent_name, index, streamed.to_state(), list(streamed.interruptions))
        helper.emit_agent_end(agent_name, output)
        context.record_agent_output(agent_name, output)
        if state is not None:
            state.outputs[index] = (agent_name, output)
        return output

    _run_agent = run_agent
    """The spec's name for `run_agent`."""

    async def _input_for(
        self,
        state: _RunState | None,
        session: AgentSession | None,
        context: AgentContext,
        input: RunInput | None,
        internal: bool,
    ) -> tuple[RunInput, SessionABC | None]:
        """What the agent is given and the session it writes to (None: it writes nothing)."""
        if state is None:
            if input is not None:
                return input, session
            if not context.user_query:
                raise ValueError("run_agent outside run() needs an input or context.user_query.")
            return context.user_query, session
        if session is None:
            return (input if input is not None else state.query), None
        turn = await state.turn_for(session)
        if internal:
            return (input if input is not None else turn.conversation()), None
        return (input if input is not None else list[TResponseInputItem]()), turn

    def register_guardrail(
        self, name: str, check: GuardrailCheck, *, description: str = "", replace: bool = False
    ) -> None:
        """Register an input guardrail `(context, text) -> (ok, message)` by name."""
        register_guardrail(name, check, description=description, replace=replace)


class RoutingOrchestrator(AgentOrchestrator):
    """Intent router -> the specialist for that intent -> synthesizer.

    The router and the synthesizer are orchestration agents: they read the conversation and
    the turn so far and store nothing; the specialist's tool calls and the synthesizer's
    answer are what the turn stores. Routes come from the agent registry: every agent whose
    `metadata["intent"]` is set handles that intent; anything else goes to `default_agent`.
    With no routable agent it runs `default_agent` directly.
    """

    router_agent = "intent_router"
    synthesizer_agent = "synthesizer"

    def __init__(self, *, synthesize: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.synthesize = synthesize

    def router(self) -> IntentRouter:
        routes = {
            str(definition.metadata["intent"]): definition.name
            for definition in self.agents.all()
            if definition.metadata.get("intent")
        }
        return IntentRouter(routes=routes, default=self.default_agent, registry=self.agents)

    def run_guardrails(self) -> list[str]:
        """`input_guardrails`, else the guardrails that every agent it may route to has.

        The specialist is not known before the router runs, so what all of them refuse is
        checked first; a specialist's own further guardrails still run before its model does.
        """
        if self.input_guardrails is not None:
            return list(self.input_guardrails)
        router = self.router()
        names = {self.default_agent, *router.routes.values()}
        shared = list(self.agents.get(self.default_agent).guardrails)
        for name in names:
            own = set(self.agents.get(name).guardrails)
            shared = [guardrail for guardrail in shared if guardrail in own]
        return shared

    async def execute(self, user_query: str, context_data: dict[str, Any]) -> Any:
        session = self.setup_session()
        context = self.setup_context(**context_data)
        router = self.router()
        intent: IntentOutput | None = None
        known_intent: str | None = None  # only ever a registered agent's intent
        target = self.default_agent
        if router.routes:
            context.metadata["intent_categories"] = router.describe()
            state = _current_run.get()
            routed = await read_structured_output(  # unreadable output: the default agent
                self.run_agent(self.router_agent, session, context),
                agent=self.router_agent,
                fallback=self.default_agent,
                streaming=state.streaming if state is not None else None,
            )
            intent = routed if isinstance(routed, IntentOutput) else None
            target = router.route(intent.category if intent else "general")
            known_intent = router.intent_of(intent.category) if intent else None
            if intent is not None and known_intent is None:
                message = (
                    f"{self.router_agent} category {intent.category[:80]!r} names no agent; "
                    f"using {target}"
                )
                logger.warning("%s", message)
                if state is not None and state.streaming is not None:
                    state.streaming.emit_status(message, self.router_agent)
        synthesize = self.synthesize and target != self.default_agent
        result = await self.run_agent(target, session, context, final=not synthesize)
        if synthesize:
            result = await self.run_agent(self.synthesizer_agent, session, context, final=True)
        return {
            "success": True,
            "intent": known_intent,
            "agent": target,
            "result": result,
            "session_id": session.session_id,
        }


def _error_code(error: AgentsCoreError) -> str:
    """The `code` of a streamed error: a model fault's stable name (as the API's JSON errors
    name it, e.g. `model_rate_limited`), else the framework error's class name."""
    if isinstance(error, ModelCallError):
        return f"model_{error.fault}"
    return type(error).__name__
