"""Run agents by name, plainly or streamed; every SDK run of the framework goes through here."""

from __future__ import annotations

from typing import Any

from agents import (
    InputGuardrailTripwireTriggered,
    Model,
    RunConfig,
    Runner,
    RunResult,
    RunResultStreaming,
    RunState,
    Session,
)
from agents.items import TResponseInputItem

from agents_core.config import Settings, get_settings
from agents_core.core.agent_factory import AgentFactory
from agents_core.exceptions import AgentRunError, AgentsCoreError, GuardrailTripped
from agents_core.llm.chat_history import alternate_roles
from agents_core.llm.faults import model_call_error
from agents_core.llm.selection import configure_tracing
from agents_core.models.context import AgentContext
from agents_core.observability.log_format import quiet_reported_library_errors
from agents_core.observability.run_log import RunLogHooks
from agents_core.registry.agent_registry import AgentDefinition

RunInput = str | list[TResponseInputItem]


class AgentRunner:
    """Runs registered agents with a session and a context.

    Args:
        factory: builds SDK agents from definitions (default: the default registries).
        model: run every agent on this model instead of each definition's (tests, benchmarks).
        settings: settings to use (default: `get_settings()`).
    """

    def __init__(
        self,
        factory: AgentFactory | None = None,
        *,
        model: Model | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.factory = factory or AgentFactory(model=model)
        if model is not None:
            self.factory.model = model
        self.tracing = configure_tracing(self.settings)
        quiet_reported_library_errors()

    def _prepare(
        self, agent: str | AgentDefinition, context: AgentContext | None, max_turns: int | None
    ) -> tuple[AgentDefinition, Any, AgentContext, int]:
        definition = self.factory.definition(agent)
        sdk_agent = self.factory.build(definition)
        turns = max_turns or definition.max_turns or self.settings.max_turns
        return definition, sdk_agent, context if context is not None else AgentContext(), turns

    async def run(
        self,
        agent: str | AgentDefinition,
        input: RunInput | RunState[Any, Any],
        *,
        session: Session | None = None,
        context: AgentContext | None = None,
        max_turns: int | None = None,
        run_config: RunConfig | None = None,
    ) -> RunResult:
        """Run an agent to its final output. Errors come out as `AgentsCoreError`s.

        `input` may be an SDK `RunState` (a run paused on tool approvals, decided) to resume.
        """
        definition, sdk_agent, context, turns = self._prepare(agent, context, max_turns)
        try:
            result = await Runner.run(
                sdk_agent,
                input,
                context=context,
                session=session,
                max_turns=turns,
                run_config=run_config or default_run_config(),
                hooks=RunLogHooks(),
            )
        except Exception as error:
            raise as_core_error(definition.name, error) from error
        context.record_agent_output(definition.name, result.final_output)
        return result

    def run_streamed(
        self,
        agent: str | AgentDefinition,
        input: RunInput | RunState[Any, Any],
        *,
        session: Session | None = None,
        context: AgentContext | None = None,
        max_turns: int | None = None,
        run_config: RunConfig | None = None,
    ) -> RunResultStreaming:
        """Start a streamed run; iterate `stream_events()` or hand it to `StreamingHelper`."""
        _, sdk_agent, context, turns = self._prepare(agent, context, max_turns)
        return Runner.run_streamed(
            sdk_agent,
            input,
            context=context,
            session=session,
            max_turns=turns,
            run_config=run_config or default_run_config(),
            hooks=RunLogHooks(),
        )


def default_run_config() -> RunConfig:
    """The run configuration of runs that pass none.

    A call to a tool that does not exist goes back to the model as an error it can correct (the
    SDK's default fails the run); Chat Completions requests keep roles that strict chat templates
    accept (`agents_core.llm.chat_history`).
    """
    return RunConfig(
        tool_not_found_behavior="return_error_to_model",
        call_model_input_filter=alternate_roles,
    )


def as_core_error(agent: str, error: BaseException) -> AgentsCoreError:
    """The framework error for a failure of an SDK run (tripwires keep the guardrail's word)."""
    if isinstance(error, AgentsCoreError):
        return error
    if isinstance(error, InputGuardrailTripwireTriggered):
        result = error.guardrail_result
        info = result.output.output_info
        message = info.get("message", "") if isinstance(info, dict) else str(info or "")
        return GuardrailTripped(result.guardrail.get_name(), message or "input refused", agent)
    return model_call_error(agent, error) or AgentRunError(agent, error)
