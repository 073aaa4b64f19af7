"""Output of the planner."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PlanStep(BaseModel):
    """One step: which agent does what."""

    agent: str = Field(description="The agent from the list in the instructions.")
    task: str = Field(description="What this agent should do, in one sentence.")


class PlanOutput(BaseModel):
    """An ordered list of steps that answers the user's request."""

    steps: list[PlanStep] = Field(min_length=1, description="Steps in the order to run them.")
    rationale: str = Field(description="Why this plan answers the request.")
