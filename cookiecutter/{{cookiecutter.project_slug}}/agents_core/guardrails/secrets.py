"""Refuse input that carries a secret, so keys never reach a model or the session store."""

from __future__ import annotations

import re
from typing import Any

from agents_core.registry.guardrail_registry import register_guardrail

_SECRET = re.compile(
    r"\b(sk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{30,}|xox[bap]-[A-Za-z0-9-]{10,})\b"
)


@register_guardrail("no_secrets", description="Refuses messages that contain API keys or tokens")
def no_secrets(context: Any, text: str) -> tuple[bool, str]:
    if _SECRET.search(text):
        return False, "The message contains what looks like an API key or token; remove it."
    return True, "ok"
