"""`AgentContext`: the state shared by the agents and tools of one run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents_core.principals import LOCAL, Principal


@dataclass
class AgentContext:
    """Shared state of a workflow. Tools read it as ``ctx.context``; subclass it for your domain."""

    database_connector: Any = None
    """Any database handle your tools need (not serialized, not sent to the model)."""
    schema: str = ""
    """Schema text injected into agents with `requires_schema_injection`."""
    filters: dict[str, Any] = field(default_factory=dict)
    """User or request filters (e.g. {"user_id": "123"})."""
    user_query: str = ""
    """The query of the current run."""
    session_id: str | None = None
    """Id of the conversation this run belongs to."""
    principal: Principal = LOCAL
    """Who the run is for: tools keep per-user data under this principal's id."""
    query_results: list[Any] = field(default_factory=list)
    """Results collected by tools during the run."""
    discovered_items: dict[str, list[Any]] = field(default_factory=dict)
    """Items found during the run, by kind."""
    agent_outputs: dict[str, Any] = field(default_factory=dict)
    """Final output of each agent that ran, by agent name (the latest run wins)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Anything else; also where services keep per-run objects (e.g. an HTTP client)."""

    def add_discovered_item(self, kind: str, item: Any) -> None:
        """Record something found during the run under `kind`."""
        self.discovered_items.setdefault(kind, []).append(item)

    def add_query_result(self, result: Any) -> None:
        self.query_results.append(result)

    def record_agent_output(self, agent_name: str, output: Any) -> None:
        self.agent_outputs[agent_name] = output

    def get_agent_output(self, agent_name: str, default: Any = None) -> Any:
        return self.agent_outputs.get(agent_name, default)

    @property
    def has_data(self) -> bool:
        """True once a tool stored query results or discovered items."""
        return bool(self.query_results) or any(self.discovered_items.values())
