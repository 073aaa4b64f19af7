"""The registered agents, with their tools and guardrails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from agents_core.registry.agent_registry import AgentDefinition, get_agent_registry
from api.deps import require_principal
from api.limits import MAX_NAME_CHARS
from api.schemas import AgentInfo, ErrorResponse

router = APIRouter(
    prefix="/agents",
    tags=["agents"],
    dependencies=[Depends(require_principal)],
    responses={401: {"model": ErrorResponse}},
)


def _info(definition: AgentDefinition) -> AgentInfo:
    output = definition.output_dataclass
    return AgentInfo(
        name=definition.name,
        description=definition.description,
        tools=list(definition.tools),
        guardrails=list(definition.guardrails),
        structured_output=output.__name__ if output is not None else None,
    )


@router.get("")
def list_agents() -> list[AgentInfo]:
    """Every registered agent."""
    return [_info(definition) for definition in get_agent_registry().all()]


@router.get("/{name}", responses={404: {"model": ErrorResponse}})
def get_agent(name: Annotated[str, Path(max_length=MAX_NAME_CHARS)]) -> AgentInfo:
    """One agent (404 lists the registered names)."""
    return _info(get_agent_registry().get(name))
