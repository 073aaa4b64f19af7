"""Output of the intent router."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IntentOutput(BaseModel):
    """Which kind of request this is and which agent should take it."""

    category: str = Field(description="The category from the list in the instructions.")
    confidence: float = Field(ge=0.0, le=1.0, description="How sure the router is, 0 to 1.")
    reasoning: str = Field(description="One sentence on why this category fits.")
