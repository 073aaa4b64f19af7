"""`AgentOrchestrator`: multi-agent workflows written as code (not SDK handoffs).

The orchestrator decides which agents run: `execute()` (routing, planning, synthesis in
`RoutingOrchestrator`) and its building blocks `setup_session()`, `setup_context()`,
`run_agent()`, and the run's input guardrails. The run's lifecycle (opening, observing,
streaming, pausing, resuming) is `agents_core.runs`; `run()`, `stream()`, `approve()`,
`reject()`, `resume()` and `authorize_session()` here delegate to it.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import uuid
from collections.abc import AsyncGenerator
from typing import Any

from agents import RunState
from agents.memory import SessionABC

from agents_core.approvals.paused_run import Paused
from agents_core.core.runner import AgentRunner, RunInput, as_core_error
from agents_core.exceptions import ConfigurationError, GuardrailTripped
from agents_core.models.context import AgentContext
from agents_core.models.outputs.intent import IntentOutput
from agents_core.principals import LOCAL, Principal
from agents_core.registry.agent_registry import AgentRegistry
from agents_core.registry.guardrail_registry import GuardrailCheck, register_guardrail
from agents_core.runs import decisions, opening, running, streaming
from agents_core.runs.opening import validate_run_id
from agents_core.runs.pausing import replayed_or_resumed
from agents_core.runs.state import OpenRun, current_run
from agents_core.services.routing import IntentRouter, read_structured_output
from agents_core.services.streaming import StreamEvent, StreamingHelper
from agents_core.session.agent_session import AgentSession
from agents_core.utils.messages import to_text

__all__ = ["AgentOrchestrator", "RoutingOrchestrator", "validate_run_id"]

logger = logging.getLogger(__name__)


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

    # -- the run (agents_core.runs) -----------------------------------------------------------

    async def run(
        self,
        user_query: str,
        context_data: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        run_id: str | None = None,
        principal: Principal = LOCAL,
    ) -> Any:
        """Run the workflow on one user query; returns what `execute()` returns, or the first
        `PendingApproval` when a tool call waits for a decision.

        `run_id` (32 hex digits, default: a new one) names the run in its log line and trace;
        `principal` is who the run is for (the CLI's and an unauthenticated API's: `local`).
        `LimitExceeded` when the principal is over RATE_LIMIT_PER_MINUTE or
        TOKEN_BUDGET_PER_DAY (checked before anything else runs).
        """
        return await running.run(
            self,
            user_query,
            context_data,
            session_id=session_id,
            run_id=run_id,
            principal=principal,
        )

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

        `run_start` and `done` carry the run's `run_id`; `done` its `usage`. Errors are
        `error` events (with a `code`), never raised into the consumer, except those that
        refuse the run before its first event: a bad argument (ValueError) and
        `LimitExceeded`. Closing the iterator cancels the run (nothing is stored).
        """
        events = streaming.stream(
            self,
            user_query,
            context_data,
            session_id=session_id,
            run_id=run_id,
            principal=principal,
        )
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()

    async def authorize_session(self, session_id: str, principal: Principal = LOCAL) -> None:
        """Raise SessionNotFound when `session_id` is stored and is not `principal`'s.

        `run()` and `stream()` check it themselves; a door that must answer before it starts
        streaming (an HTTP status) calls this first.
        """
        await opening.authorize_session(session_id, principal)

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
        """Decide one approval of a paused run (see `agents_core.runs.decisions.decide`)."""
        decision = await decisions.decide(
            self, run_id, approval_id, approved=approved, reason=reason, principal=principal
        )
        return decision.outcome

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
        state = current_run.get()
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
        state = current_run.get()
        chosen = session_id or (state.session_id if state else None) or uuid.uuid4().hex
        if state is None:
            return AgentSession(chosen, max_items=self.session_max_items)
        if state.session_id is None:
            state.session_id = chosen
        return state.session(chosen, self.session_max_items)

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
        state = current_run.get()
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
        state = current_run.get()
        context = context if context is not None else self.setup_context()
        definition = self.runner.factory.definition(agent_name)
        if internal is None:
            internal = definition.metadata.get("role") == "orchestration"
        index = 0
        sdk_input: RunInput | RunState[Any, Any] | None = None
        if state is not None:
            state.guard.check(agent_name, to_text(input) if input is not None else "")
            index, state.calls = state.calls, state.calls + 1
            replayed, found = await replayed_or_resumed(self, state, index, agent_name, context)
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
        state: OpenRun | None,
        session: AgentSession | None,
        context: AgentContext,
        input: RunInput | None,
        internal: bool,
    ) -> tuple[RunInput, SessionABC | None]:
        """What the agent is given and the session it writes to (None: it writes nothing)."""
        if state is not None:
            return await state.agent_input(session, input, internal)
        if input is not None:
            return input, session
        if not context.user_query:
            raise ValueError("run_agent outside run() needs an input or context.user_query.")
        return context.user_query, session

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
            state = current_run.get()
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
