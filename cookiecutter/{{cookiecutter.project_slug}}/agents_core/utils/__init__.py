"""Small helpers shared by the framework."""

from agents_core.utils.messages import (
    assistant_message,
    item_role,
    item_text,
    item_type,
    last_user_text,
    system_message,
    to_text,
    user_message,
)

__all__ = [
    "assistant_message",
    "item_role",
    "item_text",
    "item_type",
    "last_user_text",
    "system_message",
    "to_text",
    "user_message",
]
