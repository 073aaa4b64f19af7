"""Input guardrails: plain `(context, text) -> (ok, message)` checks, adapted to the SDK."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar, overload

from agents import Agent, GuardrailFunctionOutput, InputGuardrail, RunContextWrapper
from agents.items import TResponseInputItem

from agents_core.registry._base import Registry
from agents_core.utils.messages import last_user_text

GuardrailResult: TypeAlias = tuple[bool, str]
GuardrailCheck: TypeAlias = Callable[[Any, str], GuardrailResult | Awaitable[GuardrailResult]]
CheckT = TypeVar("CheckT", bound=GuardrailCheck)


@dataclass(frozen=True)
class GuardrailDefinition:
    """A named check of an agent's input. `ok=False` stops the run before the model is called."""

    name: str
    """Unique name; agent definitions list guardrails by it."""
    check: GuardrailCheck
    """`(context, text) -> (ok, message)`, sync or async; `context` is the run's AgentContext."""
    description: str = ""
    """What the guardrail refuses."""
    run_in_parallel: bool = False
    """False (default) checks before the model runs, so a refused input costs nothing."""
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_sdk(self) -> InputGuardrail[Any]:
        """The SDK input guardrail that runs `check` on the latest user message."""

        async def guardrail_function(
            ctx: RunContextWrapper[Any],
            agent: Agent[Any],
            run_input: str | list[TResponseInputItem],
        ) -> GuardrailFunctionOutput:
            text = last_user_text(run_input)
            outcome = self.check(ctx.context, text)
            if inspect.isawaitable(outcome):
                outcome = await outcome
            ok, message = outcome
            return GuardrailFunctionOutput(
                output_info={"guardrail": self.name, "message": message},
                tripwire_triggered=not ok,
            )

        return InputGuardrail(
            guardrail_function=guardrail_function,
            name=self.name,
            run_in_parallel=self.run_in_parallel,
        )


class GuardrailRegistry(Registry[GuardrailDefinition]):
    """Registered guardrails by name."""

    kind = "guardrail"

    def register(
        self, definition: GuardrailDefinition, *, replace: bool = False
    ) -> GuardrailDefinition:
        return self.add(definition.name, definition, replace=replace)

    def get_guardrails(self, names: list[str] | tuple[str, ...]) -> list[InputGuardrail[Any]]:
        """SDK input guardrails for these names, in order."""
        return [definition.to_sdk() for definition in self.get_many(names)]


_guardrail_registry = GuardrailRegistry(discover="agents_core.guardrails")


def get_guardrail_registry() -> GuardrailRegistry:
    """The default guardrail registry; it imports `agents_core.guardrails` on first lookup."""
    return _guardrail_registry


@overload
def register_guardrail(
    name: str, check: GuardrailCheck, *, description: str = "", replace: bool = False
) -> GuardrailCheck: ...
@overload
def register_guardrail(
    name: str, check: None = None, *, description: str = "", replace: bool = False
) -> Callable[[CheckT], CheckT]: ...


def register_guardrail(
    name: str,
    check: GuardrailCheck | None = None,
    *,
    description: str = "",
    replace: bool = False,
) -> Any:
    """Register a guardrail: ``register_guardrail("name", check)`` or as a decorator.

    As a decorator (``@register_guardrail("no_pii", description=...)``) it returns the function
    unchanged, so it stays testable on its own.
    """

    def decorate(func: Any) -> Any:
        if not callable(func):
            raise TypeError(f"Guardrail {name!r} must be a function (context, text) -> (ok, msg).")
        _guardrail_registry.register(
            GuardrailDefinition(
                name=name,
                check=func,
                description=description or (func.__doc__ or "").strip().split("\n")[0],
            ),
            replace=replace,
        )
        return func

    if check is not None:
        return decorate(check)
    return decorate
