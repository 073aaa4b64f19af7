"""The remote A2A agents of `A2A_AGENTS_FILE` (`a2a_agents.toml`), registered as tools."""

from agents_core.a2a.agents_file import register_a2a_agents_file

register_a2a_agents_file()
