"""`SessionTurn`: one turn of a conversation, buffered and stored whole or not at all."""

from __future__ import annotations

from typing import Any

from agents.items import TResponseInputItem
from agents.memory import SessionABC, SessionSettings

from agents_core.utils.messages import assistant_message, item_role, item_type, user_message

_WORK_TYPES = frozenset(
    {
        "function_call",
        "function_call_output",
        "computer_call",
        "computer_call_output",
        "file_search_call",
        "web_search_call",
        "code_interpreter_call",
        "local_shell_call",
        "local_shell_call_output",
        "shell_call",
        "shell_call_output",
        "apply_patch_call",
        "apply_patch_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "mcp_call",
        "mcp_list_tools",
        "image_generation_call",
    }
)


class SessionTurn(SessionABC):
    """The turn in progress on a session: the stored history plus this turn's items.

    Open it with `async with session.turn(query) as turn:`. It holds the session's turn lock
    from the start to the end of the block, reads the history once, and is itself an SDK
    session: agents run with `session=turn` see the history and the turn so far, and their
    items are buffered here. When the block ends normally the turn is written in one store
    write; when it raises, nothing of it is stored.

    With `set_answer(text)`, what is stored is the user's message, the tool calls and
    results of the turn, and that one answer (the agents' intermediate messages are left out).
    """

    def __init__(
        self,
        session_id: str,
        history: list[TResponseInputItem],
        query: str | None = None,
        *,
        readable: Any = None,
    ) -> None:
        self.session_id = session_id
        self.session_settings: SessionSettings | None = None
        self.history = history
        """The items stored before this turn (read once, under the lock)."""
        self.items: list[TResponseInputItem] = [user_message(query)] if query else []
        """This turn's items so far."""
        self.answer: str | None = None
        self._readable = readable

    def conversation(self) -> list[TResponseInputItem]:
        """History plus this turn so far: the explicit input of an agent that writes nothing."""
        return [*self.history, *self.items]

    def set_answer(self, text: str) -> None:
        """The turn's one final answer (stored in place of the agents' own messages)."""
        self.answer = text

    def to_store(self) -> list[TResponseInputItem]:
        """What the turn stores: all of its items, or its work plus the final answer."""
        if self.answer is None:
            return list(self.items)
        kept = [
            item
            for item in self.items
            if item_role(item) == "user" or item_type(item) in _WORK_TYPES
        ]
        return [*kept, assistant_message(self.answer)]

    # -- the SDK's session interface, on the buffer --------------------------------------------

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        items = self.conversation()
        return items if limit is None else items[-limit:] if limit > 0 else []

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        if self._readable is not None:
            items = [self._readable(item) for item in items]
        self.items.extend(items)

    async def pop_item(self) -> TResponseInputItem | None:
        # Only this turn's items can be taken back; the stored history stays as it is.
        return self.items.pop() if self.items else None

    async def clear_session(self) -> None:
        self.items.clear()
