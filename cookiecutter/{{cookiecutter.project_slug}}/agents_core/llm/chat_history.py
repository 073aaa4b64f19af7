"""Histories that strict chat templates accept.

Many open models (served by vLLM, llama.cpp, Ollama...) render Chat Completions messages with a
template that wants user and assistant turns to alternate and the last message to come from the
user. The orchestrator's agents share a session, so one agent's request can hold two assistant
messages in a row (the router's output, then a specialist's answer) or end on one. On Chat
Completions models, `alternate_roles` (a `RunConfig.call_model_input_filter`) merges such
neighbours and turns a trailing assistant message into context of the last user message. Tool
calls and their results are left as they are. The session itself is not changed.
"""

from __future__ import annotations

from typing import Any

from agents.items import TResponseInputItem
from agents.models.openai_chatcompletions import OpenAIChatCompletionsModel
from agents.run_config import CallModelData, ModelInputData

EARLIER_STEP_PREFIX = "Output of an earlier step, for context:"


def alternate_roles(data: CallModelData[Any]) -> ModelInputData:
    """The filter: only Chat Completions models (OpenAI protocol or LiteLLM) are changed."""
    model = data.agent.model
    if not (
        isinstance(model, OpenAIChatCompletionsModel) or type(model).__name__ == "LitellmModel"
    ):
        return data.model_data
    return ModelInputData(
        input=normalize_roles(data.model_data.input),
        instructions=data.model_data.instructions,
    )


def normalize_roles(items: list[TResponseInputItem]) -> list[TResponseInputItem]:
    """Merge neighbouring text messages of one role; never end on an assistant message."""
    merged: list[TResponseInputItem] = []
    for item in items:
        role = _text_role(item)
        previous = _text_role(merged[-1]) if merged else None
        if role is not None and role == previous:
            merged[-1] = _message(role, _text(merged[-1]) + "\n\n" + _text(item))
        else:
            merged.append(item)
    if merged and _text_role(merged[-1]) == "assistant":
        context = f"{EARLIER_STEP_PREFIX}\n{_text(merged.pop())}"
        if merged and _text_role(merged[-1]) == "user":
            merged[-1] = _message("user", _text(merged[-1]) + "\n\n" + context)
        else:
            merged.append(_message("user", context))
    return merged


def _text_role(item: TResponseInputItem) -> str | None:
    """'user' or 'assistant' for a plain text message, None for anything else."""
    if not isinstance(item, dict) or item.get("type", "message") != "message":
        return None
    role = item.get("role")
    if role not in ("user", "assistant"):
        return None
    content = item.get("content")
    if isinstance(content, str):
        return str(role)
    if isinstance(content, list) and all(
        isinstance(part, dict) and part.get("type") in ("input_text", "output_text")
        for part in content
    ):
        return str(role)
    return None  # images, files, refusals: leave the message alone


def _text(item: TResponseInputItem) -> str:
    content = item.get("content") if isinstance(item, dict) else None
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return "".join(str(part.get("text", "")) for part in parts if isinstance(part, dict))


def _message(role: str, text: str) -> TResponseInputItem:
    if role == "assistant":
        return {"role": "assistant", "content": text}
    return {"role": "user", "content": text}
