"""Reading structured output from models that do not hold to the JSON schema.

Hosted OpenAI models return exactly the schema's JSON. Smaller or local models often wrap it in a
Markdown code fence or a sentence ("Here is the classification: {...}"). `LenientOutputSchema`
accepts those; what still cannot be read raises the SDK's `ModelBehaviorError` as before, and
the orchestrator falls back (see `agents_core.services.routing.read_structured_output`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from agents import AgentOutputSchema, ModelBehaviorError

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def extract_json(text: str) -> str | None:
    """The JSON object in `text`: in a code fence, or the first `{...}` that parses; else None."""
    for block in _FENCE.findall(text):
        candidate = str(block).strip()
        if _is_json_object(candidate):
            return candidate
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return text[start:end]
        start = text.find("{", end)
    return None


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except json.JSONDecodeError:
        return False


class LenientOutputSchema(AgentOutputSchema):
    """The SDK's output schema, which also reads JSON wrapped in a code fence or in prose."""

    def validate_json(self, json_str: str) -> Any:
        try:
            return super().validate_json(json_str)
        except ModelBehaviorError:
            candidate = extract_json(json_str)
            if candidate is None or candidate == json_str.strip():
                raise
        return super().validate_json(candidate)


def output_schema(output_type: type[Any] | None) -> AgentOutputSchema | None:
    """The output schema of an agent whose definition names `output_type` (None: plain text)."""
    if output_type is None or output_type is str:
        return None
    return LenientOutputSchema(output_type)
