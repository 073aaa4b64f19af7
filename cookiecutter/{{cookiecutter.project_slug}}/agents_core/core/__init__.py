"""Build SDK agents from definitions and run them."""

from agents_core.core.agent_factory import AgentFactory
from agents_core.core.runner import AgentRunner, as_core_error

__all__ = ["AgentFactory", "AgentRunner", "as_core_error"]
