"""`AgentOrchestrator`: multi-agent workflows written as code (not SDK handoffs)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncGenerator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from agents.items import TResponseInputItem

from agents_core.config import get_settings
from agents_core.core.runner import AgentRunner, RunInput, as_core_error
from agents_core.exceptions import AgentsCoreError, ConfigurationError
from agents_core.models.context import AgentContext
from agents_core.models.outputs.intent import IntentOutput
from agents_core.registry.agent_registry import AgentRegistry
from agents_core.registry.guardrail_registry import GuardrailCheck, register_guardrail
from agents_core.services.routing import IntentRouter, read_structured_output
from agents_core.services.safety import SafetyGuard
from agents_core.services.streaming import StreamEvent, StreamingHelper
from agents_core.session.agent_session import AgentSession, validate_session_id
from agents_core.utils.messages import to_text


@dataclass
class _RunState:
    """What one `run()` shares with the `run_agent` calls inside it (per asyncio task)."""

    query: str
    session_id: str | None
    guard: SafetyGuard
    streaming: StreamingHelper | None = None
    delivered: set[str] = field(default_factory=set)
    sessions: list[AgentSession] = field(default_factory=list)

    async def aclose(self) -> None:
        """Release the sessions' connections (the run is over)."""
        for session in self.sessions:
            await session.aclose()
        self.sessions.clear()


_current_run: ContextVar[_RunState | None] = ContextVar("agents_core_run", default=None)


class AgentOrchestrator:
    """Runs agents in code: your `execute` decides which agent runs when.

    `run()` validates the query, opens the run (safety guard, streaming, session id) and calls
    `execute()`, which subclasses override. Inside it, `setup_session()`, `setup_context()` and
    `run_agent()` do the work; the user's query reaches the session once, with the first agent
    that runs on it, and later agents see it in the history. `stream()` runs the same
    `execute()` and yields `StreamEvent`s.

    The default `execute()` runs `default_agent` and returns
    ``{"success": True, "agent": ..., "result": ..., "session_id": ...}``.
    """

    default_agent: str = "assistant"
    context_class: type[AgentContext] = AgentContext

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
    ) -> Any:
        """Run the workflow on one user query; returns what `execute()` returns."""
        state = self._open_run(user_query, session_id, self.streaming)
        token = _current_run.set(state)
        try:
            return await self.execute(user_query, dict(context_data or {}))
        finally:
            _current_run.reset(token)
            await state.aclose()

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
    ) -> AsyncGenerator[StreamEvent, None]:
        """Run the workflow and yield its events: run_start ... answer | error, then done.

        Errors are reported as an `error` event (with the exception type as `code`), never
        raised into the consumer; closing the iterator cancels the run.
        """
        queue: asyncio.Queue[StreamEvent] = asyncio.Queue()
        helper = StreamingHelper(queue.put_nowait)
        state = self._open_run(user_query, session_id, helper)
        helper.emit_run_start(user_query, state.session_id)

        async def work() -> None:
            token = _current_run.set(state)
            try:
                outcome = await self.execute(user_query, dict(context_data or {}))
                answer = outcome.get("result") if isinstance(outcome, dict) else outcome
                helper.emit_answer(answer, sources=list(state.guard.runs))
            except AgentsCoreError as error:
                helper.emit_error(str(error), code=type(error).__name__)
            except Exception as error:  # a bug in execute(): report it, do not hang the stream
                helper.emit_error(f"{type(error).__name__}: {error}", code="InternalError")
            finally:
                _current_run.reset(token)
                await state.aclose()
                helper.emit_done(session_id=state.session_id)

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
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    def _open_run(
        self, user_query: str, session_id: str | None, streaming: StreamingHelper | None
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
        guard = SafetyGuard(max_agent_runs=self.max_agent_runs)
        return _RunState(query=user_query, session_id=session_id, guard=guard, streaming=streaming)

    # -- building blocks -----------------------------------------------------------------------

    def setup_session(self, session_id: str | None = None) -> AgentSession:
        """The session of this run: the id passed to `run()`, else a new one."""
        state = _current_run.get()
        chosen = session_id or (state.session_id if state else None) or uuid.uuid4().hex
        if state is not None and state.session_id is None:
            state.session_id = chosen
        session = AgentSession(chosen, max_items=self.session_max_items)
        if state is not None:
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
        return context

    async def run_agent(
        self,
        agent_name: str,
        session: AgentSession | None = None,
        context: AgentContext | None = None,
        input: RunInput | None = None,
        *,
        final: bool = False,
    ) -> Any:
        """Run one agent and return its final output (a string or its output type).

        Without `input`, the agent gets the run's query the first time the session is used and
        only the session's history after that. The output is recorded in
        `context.agent_outputs[agent_name]`. `final=True` marks the agent whose text is the
        answer (streaming clients show its tokens as the answer).
        """
        state = _current_run.get()
        context = context if context is not None else self.setup_context()
        run_input = self._input_for(state, session, context, input)
        if state is not None:
            state.guard.check(agent_name, to_text(input) if input is not None else "")
        helper = state.streaming if state is not None else None
        if helper is None:
            result = await self.runner.run(agent_name, run_input, session=session, context=context)
            return result.final_output
        definition = self.runner.factory.definition(agent_name)
        streamed = self.runner.run_streamed(agent_name, run_input, session=session, context=context)
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
        helper.emit_agent_end(agent_name, output)
        context.record_agent_output(agent_name, output)
        return output

    _run_agent = run_agent
    """The spec's name for `run_agent`."""

    def _input_for(
        self,
        state: _RunState | None,
        session: AgentSession | None,
        context: AgentContext,
        input: RunInput | None,
    ) -> RunInput:
        if input is not None:
            return input
        query = state.query if state is not None else context.user_query
        if not query:
            raise ValueError("run_agent outside run() needs an input or context.user_query.")
        if session is None:
            return query
        if state is None:
            return query
        if session.session_id in state.delivered:
            return list[TResponseInputItem]()
        state.delivered.add(session.session_id)
        return query

    def register_guardrail(
        self, name: str, check: GuardrailCheck, *, description: str = "", replace: bool = False
    ) -> None:
        """Register an input guardrail `(context, text) -> (ok, message)` by name."""
        register_guardrail(name, check, description=description, replace=replace)


class RoutingOrchestrator(AgentOrchestrator):
    """Intent router -> the specialist for that intent -> synthesizer.

    Routes come from the agent registry: every agent whose `metadata["intent"]` is set handles
    that intent; anything else goes to `default_agent`. With no routable agent it runs
    `default_agent` directly.
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

    async def execute(self, user_query: str, context_data: dict[str, Any]) -> Any:
        session = self.setup_session()
        context = self.setup_context(**context_data)
        router = self.router()
        intent: IntentOutput | None = None
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
        synthesize = self.synthesize and target != self.default_agent
        result = await self.run_agent(target, session, context, final=not synthesize)
        if synthesize:
            result = await self.run_agent(self.synthesizer_agent, session, context, final=True)
        return {
            "success": True,
            "intent": intent.category if intent else None,
            "agent": target,
            "result": result,
            "session_id": session.session_id,
        }
