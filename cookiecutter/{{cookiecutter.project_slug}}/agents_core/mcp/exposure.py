"""The project's agents as an MCP server (official `mcp` SDK): one MCP tool per agent.

`<cli> mcp serve` runs it over stdio; the API mounts its streamable-HTTP app at /mcp. A door over
the run service (`agents_core.runs.RunService`), like `POST /runs`: a tool call is a
`RunRequest` (the agent, the query, an optional `session_id`), its answer the outcome's text. A
failure comes back as an MCP tool error naming what went wrong, never as a crash of the server.

A call runs as the caller's principal: `principal_of` reads it from the transport's request
(the API passes its authentication's); over stdio (`mcp serve`) it is `local`. Another
principal's `session_id` fails as a session that is not stored.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from agents_core._defaults import PROJECT_SLUG
from agents_core.exceptions import AgentsCoreError
from agents_core.observability.redaction import redact
from agents_core.observability.run_log import new_run_id
from agents_core.principals import LOCAL, Principal
from agents_core.registry.agent_registry import AgentDefinition, AgentRegistry, get_agent_registry
from agents_core.runs import RunRequest, RunService
from agents_core.runs.observation import error_code

logger = logging.getLogger(__name__)

AgentTool = Callable[..., Awaitable[str]]
PrincipalOf = Callable[[Any], Principal]
"""The principal of a call, from the transport's request (an HTTP request; None over stdio)."""

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
    service: RunService | None = None,
    *,
    name: str = PROJECT_SLUG,
    principal_of: PrincipalOf | None = None,
) -> MCPServer[Any]:
    """An MCP server whose tools run the registered agents (input: query, session_id).

    Runs go through `service` (default: a `RunService` of the default orchestrators); each
    call runs as `principal_of(request)` (default: `local`, as over stdio).
    """
    runs = service or RunService()
    who = principal_of or _local
    with _logging_left_alone():
        server: MCPServer[Any] = MCPServer(
            name, instructions="Each tool runs one of the project's agents and returns its answer."
        )
    for definition in exposed_agents(registry):
        server.add_tool(
            _agent_tool(definition.name, runs, who),
            name=definition.name,
            description=definition.description,
            structured_output=False,
        )
    return server


def _local(_request: Any) -> Principal:
    return LOCAL


def _agent_tool(agent: str, service: RunService, principal_of: PrincipalOf) -> AgentTool:
    async def run_agent(query: Query, ctx: Context, session_id: SessionId = None) -> str:
        run_id = new_run_id()
        try:
            principal = principal_of(ctx.request_context.request)
            request = RunRequest(query, agent, principal, session_id, run_id)
            outcome = await service.run(request)
        except (AgentsCoreError, ValueError) as error:
            message = redact(f"{error_code(error)}: {error}")
            raise ToolError(f"{message} (run {run_id})") from None
        except Exception:  # the log has the details; the caller gets no internals
            logger.exception("MCP call of agent %r failed (run %s)", agent, run_id)
            raise ToolError(f"The agent {agent!r} failed unexpectedly (run {run_id}).") from None
        if outcome.status == "paused":
            waiting = ", ".join(approval.tool for approval in outcome.approvals)
            return (
                f"Run {run_id} waits for approval of {waiting}: approve or reject it with "
                f"POST /runs/{run_id}/approve or /reject."
            )
        return outcome.text

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
