"""Output of the synthesizer."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SynthesisOutput(BaseModel):
    """The final answer to the user, built from what the other agents found."""

    answer: str = Field(description="The answer to the user's request.")
    sources: list[str] = Field(description="Agents or tools the answer relies on.")
