"""agents_core: declarative agents, registries, sessions and orchestration on the OpenAI Agents SDK.

Names are imported on first use (module ``__getattr__``), so ``import agents_core`` stays cheap
and never imports Prefect or FastAPI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "AgentContext": "agents_core.models.context",
    "AgentDefinition": "agents_core.registry.agent_registry",
    "AgentFactory": "agents_core.core.agent_factory",
    "AgentOrchestrator": "agents_core.orchestrator",
    "AgentRegistry": "agents_core.registry.agent_registry",
    "AgentRunError": "agents_core.exceptions",
    "AgentRunner": "agents_core.core.runner",
    "AgentSession": "agents_core.session.agent_session",
    "AgentsCoreError": "agents_core.exceptions",
    "ApprovalError": "agents_core.exceptions",
    "ConfigurationError": "agents_core.exceptions",
    "DuplicateNameError": "agents_core.exceptions",
    "GuardrailDefinition": "agents_core.registry.guardrail_registry",
    "GuardrailRegistry": "agents_core.registry.guardrail_registry",
    "GuardrailTripped": "agents_core.exceptions",
    "IntentOutput": "agents_core.models.outputs.intent",
    "IntentRouter": "agents_core.services.routing",
    "InvalidSessionIdError": "agents_core.exceptions",
    "LimitExceeded": "agents_core.exceptions",
    "MCPServerDefinition": "agents_core.registry.mcp_server_registry",
    "MCPServerRegistry": "agents_core.registry.mcp_server_registry",
    "MCPServerUnavailable": "agents_core.exceptions",
    "ModelCallError": "agents_core.exceptions",
    "OfflineModel": "agents_core.llm.offline_model",
    "PendingApproval": "agents_core.approvals.pending",
    "PlanOutput": "agents_core.models.outputs.plan",
    "PlanStep": "agents_core.models.outputs.plan",
    "Principal": "agents_core.principals",
    "RoutingOrchestrator": "agents_core.orchestrator",
    "RunOutcome": "agents_core.runs",
    "RunRequest": "agents_core.runs",
    "RunService": "agents_core.runs",
    "SafetyGuard": "agents_core.services.safety",
    "SafetyLimitExceeded": "agents_core.exceptions",
    "SessionBusyError": "agents_core.exceptions",
    "SessionNotFound": "agents_core.exceptions",
    "SessionTurn": "agents_core.session.turn",
    "Settings": "agents_core.config",
    "StreamEvent": "agents_core.services.streaming",
    "StreamingHelper": "agents_core.services.streaming",
    "SynthesisOutput": "agents_core.models.outputs.synthesis",
    "ToolDefinition": "agents_core.registry.tool_registry",
    "ToolRegistry": "agents_core.registry.tool_registry",
    "UnknownNameError": "agents_core.exceptions",
    "get_agent_registry": "agents_core.registry.agent_registry",
    "get_guardrail_registry": "agents_core.registry.guardrail_registry",
    "get_mcp_server_registry": "agents_core.registry.mcp_server_registry",
    "get_settings": "agents_core.config",
    "get_tool_registry": "agents_core.registry.tool_registry",
    "register_a2a_agent": "agents_core.a2a.remote_agent",
    "register_agent": "agents_core.registry.agent_registry",
    "register_guardrail": "agents_core.registry.guardrail_registry",
    "register_mcp_server": "agents_core.registry.mcp_server_registry",
    "register_tool": "agents_core.registry.tool_registry",
    "resolve_model": "agents_core.llm.selection",
}

__all__ = [
    "AgentContext",
    "AgentDefinition",
    "AgentFactory",
    "AgentOrchestrator",
    "AgentRegistry",
    "AgentRunError",
    "AgentRunner",
    "AgentSession",
    "AgentsCoreError",
    "ApprovalError",
    "ConfigurationError",
    "DuplicateNameError",
    "GuardrailDefinition",
    "GuardrailRegistry",
    "GuardrailTripped",
    "IntentOutput",
    "IntentRouter",
    "InvalidSessionIdError",
    "LimitExceeded",
    "MCPServerDefinition",
    "MCPServerRegistry",
    "MCPServerUnavailable",
    "ModelCallError",
    "OfflineModel",
    "PendingApproval",
    "PlanOutput",
    "PlanStep",
    "Principal",
    "RoutingOrchestrator",
    "RunOutcome",
    "RunRequest",
    "RunService",
    "SafetyGuard",
    "SafetyLimitExceeded",
    "SessionBusyError",
    "SessionNotFound",
    "SessionTurn",
    "Settings",
    "StreamEvent",
    "StreamingHelper",
    "SynthesisOutput",
    "ToolDefinition",
    "ToolRegistry",
    "UnknownNameError",
    "get_agent_registry",
    "get_guardrail_registry",
    "get_mcp_server_registry",
    "get_settings",
    "get_tool_registry",
    "register_a2a_agent",
    "register_agent",
    "register_guardrail",
    "register_mcp_server",
    "register_tool",
    "resolve_model",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agents_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:
    from agents_core.a2a.remote_agent import register_a2a_agent
    from agents_core.approvals.pending import PendingApproval
    from agents_core.config import Settings, get_settings
    from agents_core.core.agent_factory import AgentFactory
    from agents_core.core.runner import AgentRunner
    from agents_core.exceptions import (
        AgentRunError,
        AgentsCoreError,
        ApprovalError,
        ConfigurationError,
        DuplicateNameError,
        GuardrailTripped,
        InvalidSessionIdError,
        LimitExceeded,
        MCPServerUnavailable,
        ModelCallError,
        SafetyLimitExceeded,
        SessionBusyError,
        SessionNotFound,
        UnknownNameError,
    )
    from agents_core.llm.offline_model import OfflineModel
    from agents_core.llm.selection import resolve_model
    from agents_core.models.context import AgentContext
    from agents_core.models.outputs.intent import IntentOutput
    from agents_core.models.outputs.plan import PlanOutput, PlanStep
    from agents_core.models.outputs.synthesis import SynthesisOutput
    from agents_core.orchestrator import AgentOrchestrator, RoutingOrchestrator
    from agents_core.principals import Principal
    from agents_core.registry.agent_registry import (
        AgentDefinition,
        AgentRegistry,
        get_agent_registry,
        register_agent,
    )
    from agents_core.registry.guardrail_registry import (
        GuardrailDefinition,
        GuardrailRegistry,
        get_guardrail_registry,
        register_guardrail,
    )
    from agents_core.registry.mcp_server_registry import (
        MCPServerDefinition,
        MCPServerRegistry,
        get_mcp_server_registry,
        register_mcp_server,
    )
    from agents_core.registry.tool_registry import (
        ToolDefinition,
        ToolRegistry,
        get_tool_registry,
        register_tool,
    )
    from agents_core.runs import RunOutcome, RunRequest, RunService
    from agents_core.services.routing import IntentRouter
    from agents_core.services.safety import SafetyGuard
    from agents_core.services.streaming import StreamEvent, StreamingHelper
    from agents_core.session.agent_session import AgentSession
    from agents_core.session.turn import SessionTurn
