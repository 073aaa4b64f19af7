"""How the offline model routes: the category a question clearly belongs to, else the last one.

A category whose words (`[routing.keywords]` of `offline_rules.toml`, or for a category the
rules do not list, its name and description) appear in the question takes it. A question that
clearly fits none ("and the lowest?", "add 10 to that", "what did I ask first?") stays with the
category of the latest earlier question that did fit one: the conversation stays with its last
agent. A first question that fits none goes to the fallback (`general`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from agents_core.llm._offline_rules import load_rules
from agents_core.llm._offline_turn import Turn, words

_ARITHMETIC = re.compile(r"\d\s*[-+*/^x%]\s*\(?\s*\d")


def _mentions(text: str, phrase: str) -> bool:
    if phrase[:1].isalnum() and phrase[-1:].isalnum():
        return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None
    return phrase in text


def clear_category(text: str, options: Mapping[str, str]) -> str | None:
    """The option the text clearly belongs to, or None."""
    keywords = load_rules().routing
    lowered = text.lower()
    scores: dict[str, int] = {}
    for option, description in options.items():
        listed = keywords.get(option.lower())
        if listed is not None:
            scores[option] = sum(len(word) for word in listed if _mentions(lowered, word))
        elif option.lower() not in ("general", "other", "default"):
            name = option.lower().replace("_", " ")
            exact = 10 if _mentions(lowered, name) else 0
            scores[option] = (
                exact + 3 * len(words(text) & words(name)) + len(words(text) & words(description))
            )
    if "general" in options and _ARITHMETIC.search(lowered):
        scores["general"] = scores.get("general", 0) + 5
    # A specialist that fits wins over the general category (arithmetic, its keywords).
    specialists = {option: score for option, score in scores.items() if option != "general"}
    best = max(specialists, key=lambda option: specialists[option], default=None)
    if best is not None and specialists[best] > 0:
        return best
    return "general" if scores.get("general", 0) > 0 else None


def choose_category(options: Mapping[str, str], turn: Turn, fallback: Callable[[str], str]) -> str:
    """The router's choice among `options` (name -> description) for the latest question."""
    earlier = turn.user_texts[:-1] if turn.user_texts else []
    for text in [turn.question, *reversed(earlier)]:
        found = clear_category(text, options)
        if found is not None:
            return found
    return fallback("")  # no words: the fallback option (general, other...)
