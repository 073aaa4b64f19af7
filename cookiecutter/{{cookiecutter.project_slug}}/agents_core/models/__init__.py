"""Data models: the shared context and the orchestration agents' outputs."""

from agents_core.models.context import AgentContext
from agents_core.models.outputs import IntentOutput, PlanOutput, PlanStep, SynthesisOutput

__all__ = ["AgentContext", "IntentOutput", "PlanOutput", "PlanStep", "SynthesisOutput"]
