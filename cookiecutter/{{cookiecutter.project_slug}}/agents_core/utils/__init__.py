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
from agents_core.utils.tasks import cancel_and_wait, run_to_end, runs_to_end

__all__ = [
    "assistant_message",
    "cancel_and_wait",
    "item_role",
    "item_text",
    "item_type",
    "last_user_text",
    "run_to_end",
    "runs_to_end",
    "system_message",
    "to_text",
    "user_message",
]
