"""Routing: from an intent category to the agent that handles it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from agents_core.exceptions import ModelCallError
from agents_core.registry.agent_registry import AgentRegistry, get_agent_registry
from agents_core.services.streaming import StreamingHelper

logger = logging.getLogger(__name__)

T = TypeVar("T")
GENERAL = "general"
"""The category of everything no route covers (the default agent's)."""


@dataclass
class IntentRouter:
    """Maps intent categories to agent names, with a default for everything else.

    Routes are checked against the agent registry when used, so a typo fails loudly with the
    list of registered agents instead of silently falling back.
    """

    routes: Mapping[str, str] = field(default_factory=dict)
    """Category -> agent name."""
    default: str | None = None
    """Agent for categories with no route; None makes unknown categories an error."""
    registry: AgentRegistry = field(default_factory=get_agent_registry)

    def route(self, category: str) -> str:
        key = category.strip().lower()
        agent = self.routes.get(key) or self.routes.get(category)
        if agent is None:
            if self.default is None:
                known = ", ".join(sorted(self.routes)) or "none"
                raise ValueError(f"No route for category {category!r}. Routes: {known}.")
            agent = self.default
        return self.registry.get(agent).name

    def intent_of(self, category: str) -> str | None:
        """The category `category` names as `route` reads it: a route's, or `general` (the
        default agent's, as `describe` offers it); None for anything else (a model's
        invention, which `route` sends to the default agent)."""
        key = category.strip().lower()
        if key in self.routes:
            return key
        if category in self.routes:
            return category
        return GENERAL if key == GENERAL and self.default is not None else None

    def categories(self) -> list[str]:
        return sorted(self.routes)

    def describe(self) -> str:
        """A bullet list of categories and what they cover, for a router's instructions."""
        lines = []
        for category in self.categories():
            definition = self.registry.get(self.routes[category])
            lines.append(f"- {category}: {definition.description}")
        if self.default is not None:
            lines.append(
                f"- general: anything else ({self.registry.get(self.default).description})"
            )
        return "\n".join(lines)


async def read_structured_output(
    call: Awaitable[T],
    *,
    agent: str,
    fallback: str,
    streaming: StreamingHelper | None = None,
) -> T | None:
    """Await a structured-output agent's run (router, planner); None when its output is unreadable.

    Code fences and prose around the JSON are already accepted
    (`agents_core.llm.structured_output`); what still does not fit the output type is no reason
    to fail the user's turn: the caller goes on with `fallback`. The fallback is logged and, on a
    streamed run, shows as a `status` event "<agent> output unreadable; using <fallback>".
    Every other failure (the server, the key, a timeout) is raised as before.
    """
    try:
        return await call
    except ModelCallError as error:
        if error.fault != "unreadable_output":
            raise
        message = f"{agent} output unreadable; using {fallback}"
        logger.warning("%s (%s)", message, error.explanation)
        if streaming is not None:
            streaming.emit_status(message, agent)
        return None
