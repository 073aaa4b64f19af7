"""Routing: from an intent category to the agent that handles it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agents_core.registry.agent_registry import AgentRegistry, get_agent_registry


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
