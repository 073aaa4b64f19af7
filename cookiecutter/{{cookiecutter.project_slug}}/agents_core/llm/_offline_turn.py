"""What the offline model reads from its input: the turn in progress, and the words of a text."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents_core.utils.messages import item_role, item_text, item_type

_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about which tool or option is meant.
_STOPWORD_TEXT = """
a an and are as at be by can could did do does for from get give had has have how i in is it
its me my of on or please show tell that the their them then there these this to was we were
what when where which who why will with would you your use using run
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# A message that opens like this continues the previous question ("and the lowest?").
_ATTACHED = re.compile(r"\n\s*Data:\s*\n")
_FOLLOW_UP = re.compile(r"^\s*(and|also|then|what about|how about|same for)\b", re.IGNORECASE)


def words(text: str) -> set[str]:
    """Content words of a text: lowercase, singular-ish, stopwords removed."""
    found = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS or len(word) < 2:
            continue
        found.add(word)
        if len(word) > 3 and word.endswith("s"):
            found.add(word[:-1])
    return found


@dataclass
class Turn:
    """The conversation as the offline model sees it."""

    user_text: str
    instructions: str
    tool_results: list[tuple[str, Any]] = field(default_factory=list)
    """(tool name, parsed output) of this agent's tool calls since the latest user message."""
    earlier_answers: list[str] = field(default_factory=list)
    """Assistant messages since the latest user message (other agents' work)."""
    handed_off: bool = False
    previous_user_text: str = ""
    """The user message before the latest one (earlier turns of the conversation)."""
    tools: list[str] = field(default_factory=list)
    """Names of the agent's own tools."""
    user_texts: list[str] = field(default_factory=list)
    """Every user message of the conversation, oldest first (the latest last)."""
    previous_answer: str = ""
    """The last assistant message before the latest user message."""

    @property
    def question(self) -> str:
        """The latest message without data attached after a `Data:` line (workflows attach it)."""
        return _ATTACHED.split(self.user_text, maxsplit=1)[0].strip()

    @property
    def attached_data(self) -> Any:
        """The JSON after a `Data:` line of the latest message, or None."""
        parts = _ATTACHED.split(self.user_text, maxsplit=1)
        if len(parts) < 2:
            return None
        try:
            return json.loads(parts[1])
        except ValueError:
            return None

    @property
    def is_follow_up(self) -> bool:
        """The latest message continues the previous question ("and the lowest?")."""
        return bool(self.previous_user_text and _FOLLOW_UP.match(self.user_text))

    @property
    def topic_text(self) -> str:
        """What the question is about: the message, plus the previous one for a follow-up."""
        if self.is_follow_up:
            return f"{self.user_text} {self.previous_user_text}"
        return self.user_text


def read_turn(instructions: str | None, items: Sequence[Any], own_tools: set[str]) -> Turn:
    user_indexes = [index for index, item in enumerate(items) if item_role(item) == "user"]
    last_user = user_indexes[-1] if user_indexes else -1
    turn = Turn(
        user_text=item_text(items[last_user]) if last_user >= 0 else "",
        instructions=instructions or "",
        previous_user_text=item_text(items[user_indexes[-2]]) if len(user_indexes) > 1 else "",
        tools=sorted(own_tools),
        user_texts=[item_text(items[index]) for index in user_indexes],
    )
    for item in items[:last_user][::-1]:
        if item_role(item) == "assistant" and item_text(item):
            turn.previous_answer = item_text(item)
            break
    call_names: dict[str, str] = {}
    for item in items[last_user + 1 :]:
        kind = item_type(item)
        if kind == "function_call":
            call_names[_field(item, "call_id")] = _field(item, "name")
        elif kind == "function_call_output":
            name = call_names.get(_field(item, "call_id"), "")
            if name in own_tools:
                turn.tool_results.append((name, _parse(_field(item, "output"))))
            elif name.startswith("transfer_to_"):
                turn.handed_off = True
        elif item_role(item) == "assistant":
            text = item_text(item)
            if text:
                turn.earlier_answers.append(text)
    return turn


def _field(item: Any, key: str) -> str:
    value = item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # structured tool output parts
        # One text part per item of a list result (MCP tools): keep the items apart.
        return ", ".join(str(part.get("text", "")) for part in value if isinstance(part, Mapping))
    return "" if value is None else str(value)


def _parse(output: str) -> Any:
    """Tool outputs reach the model as text: JSON, or the repr of a Python dict or list."""
    try:
        return json.loads(output)
    except (TypeError, ValueError):
        pass
    if output[:1] in "{[":
        try:
            return ast.literal_eval(output)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            pass
    return output
