"""Planning: check a planner's output against what is registered before running it."""

from __future__ import annotations

from dataclasses import dataclass

from agents_core.models.outputs.plan import PlanOutput, PlanStep
from agents_core.registry.agent_registry import AgentRegistry, get_agent_registry


@dataclass(frozen=True)
class ExecutionPlan:
    """A validated plan: every step names a registered agent."""

    steps: tuple[PlanStep, ...]
    rationale: str

    @property
    def agents(self) -> list[str]:
        return [step.agent for step in self.steps]


def validate_plan(
    plan: PlanOutput,
    *,
    allowed: list[str] | None = None,
    max_steps: int = 5,
    registry: AgentRegistry | None = None,
) -> ExecutionPlan:
    """Keep the plan's steps that name allowed, registered agents (at most `max_steps`).

    Raises ValueError when no step is usable, naming the agents that were allowed.
    """
    registry = registry or get_agent_registry()
    usable = [
        step
        for step in plan.steps
        if step.agent in registry and (allowed is None or step.agent in allowed)
    ][:max_steps]
    if not usable:
        names = ", ".join(allowed if allowed is not None else registry.names())
        proposed = ", ".join(step.agent for step in plan.steps) or "nothing"
        raise ValueError(f"The plan proposed {proposed}; none is usable. Allowed agents: {names}.")
    return ExecutionPlan(steps=tuple(usable), rationale=plan.rationale)
