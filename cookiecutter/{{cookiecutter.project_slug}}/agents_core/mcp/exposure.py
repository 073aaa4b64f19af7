"""The project's agents as an MCP server (official `mcp` SDK): one MCP tool per agent.

`<cli> mcp serve` runs it over stdio; the API mounts its streamable-HTTP app at /mcp. A call
runs through an `AgentOrchestrator` like `POST /runs`: the query's size limit, the agent's input
guardrails, the session (optional `session_id`), a run id in the logs. A failure comes back as
an MCP tool error naming what went wrong, never as a crash of the server.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from agents_core._defaults import PROJECT_SLUG
from agents_core.exceptions import AgentsCoreError
from agents_core.observability.run_log import new_run_id
from agents_core.orchestrator import AgentOrchestrator
from agents_core.registry.agent_registry import AgentDefinition, AgentRegistry, get_agent_registry
from agents_core.utils.messages import to_text

logger = logging.getLogger(__name__)

OrchestratorFactory = Callable[[str], AgentOrchestrator]
AgentTool = Callable[..., Awaitable[str]]

Query = Annotated[str, Field(min_length=1, description="The question or task for the agent.")]
SessionId = Annotated[
    str | None,
    Field(description="Conversation to continue (letters, digits, '-', '_'); none: a new one."),
]


def exposed_agents(registry: AgentRegistry | None = None) -> list[AgentDefinition]:
    """The agents offered as MCP tools: all registered ones but the orchestration helpers."""
    registry = registry or get_agent_registry()
    return [d for d in registry.all() if d.metadata.get("role") != "orchestration"]


def agents_mcp_server(
    registry: AgentRegistry | None = None,
    orchestrator: OrchestratorFactory | None = None,
    *,
    name: str = PROJECT_SLUG,
) -> MCPServer[Any]:
    """An MCP server whose tools run the registered agents (input: query, session_id)."""
    make = orchestrator or (lambda agent: AgentOrchestrator(default_agent=agent))
    with _logging_left_alone():
        server: MCPServer[Any] = MCPServer(
            name, instructions="Each tool runs one of the project's agents and returns its answer."
        )
    for definition in exposed_agents(registry):
        server.add_tool(
            _agent_tool(definition.name, make),
            name=definition.name,
            description=definition.description,
            structured_output=False,
        )
    return server


def _agent_tool(agent: str, make: OrchestratorFactory) -> AgentTool:
    async def run_agent(query: Query, session_id: SessionId = None) -> str:
        run_id = new_run_id()
        try:
            outcome = await make(agent).run(query, {}, session_id=session_id, run_id=run_id)
        except (AgentsCoreError, ValueError) as error:
            raise ToolError(f"{type(error).__name__}: {error} (run {run_id})") from None
        except Exception:  # the log has the details; the caller gets no internals
            logger.exception("MCP call of agent %r failed (run %s)", agent, run_id)
            raise ToolError(f"The agent {agent!r} failed unexpectedly (run {run_id}).") from None
        result = outcome.get("result") if isinstance(outcome, dict) else outcome
        return to_text(result)

    run_agent.__name__ = agent
    return run_agent


@contextlib.contextmanager
def _logging_left_alone() -> Iterator[None]:
    """Undo what `MCPServer()` does to the process's logging.

    Its constructor calls `logging.basicConfig(level=INFO)` with a Rich handler: in an app served
    by `uvicorn api:create_app --factory` (no handler on the root logger yet) every run would then
    log at INFO through Rich, whatever LOG_LEVEL and LOG_FORMAT say. The root logger's handlers
    and level are put back as they were.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
