"""Remote A2A agents as tools of our agents (the client side of the Agent2Agent protocol).

`register_a2a_agent(name, url, ...)` or an `[a2a.<name>]` table in `a2a_agents.toml` makes
the remote agent a tool named `name`. The API serves our own agents over A2A
(`api.a2a_endpoint`). Names load on first use; `import agents_core` does not import a2a-sdk.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "A2AAgentDefinition": "agents_core.a2a.remote_agent",
    "A2AFault": "agents_core.a2a.faults",
    "A2A_FAULTS": "agents_core.a2a.faults",
    "RemoteAgentError": "agents_core.a2a.faults",
    "call_a2a_agent": "agents_core.a2a.remote_agent",
    "load_a2a_agents_file": "agents_core.a2a.agents_file",
    "register_a2a_agent": "agents_core.a2a.remote_agent",
    "register_a2a_agents_file": "agents_core.a2a.agents_file",
}

__all__ = [
    "A2A_FAULTS",
    "A2AAgentDefinition",
    "A2AFault",
    "RemoteAgentError",
    "call_a2a_agent",
    "load_a2a_agents_file",
    "register_a2a_agent",
    "register_a2a_agents_file",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agents_core.a2a' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from agents_core.a2a.agents_file import load_a2a_agents_file, register_a2a_agents_file
    from agents_core.a2a.faults import A2A_FAULTS, A2AFault, RemoteAgentError
    from agents_core.a2a.remote_agent import (
        A2AAgentDefinition,
        call_a2a_agent,
        register_a2a_agent,
    )
