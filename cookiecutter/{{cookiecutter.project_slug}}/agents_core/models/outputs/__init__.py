"""Output types of the orchestration agents."""

from agents_core.models.outputs.intent import IntentOutput
from agents_core.models.outputs.plan import PlanOutput, PlanStep
from agents_core.models.outputs.synthesis import SynthesisOutput

__all__ = ["IntentOutput", "PlanOutput", "PlanStep", "SynthesisOutput"]
