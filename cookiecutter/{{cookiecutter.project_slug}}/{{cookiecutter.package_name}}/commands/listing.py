"""`agents` and `tools`: list what is registered."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    agents = commands.add_parser("agents", help="list the registered agents")
    agents.set_defaults(handler=agents_command, is_async=False)
    tools = commands.add_parser("tools", help="list the registered tools")
    tools.set_defaults(handler=tools_command, is_async=False)


def agents_command(args: argparse.Namespace) -> int:
    from agents_core import get_agent_registry, get_settings

    for definition in get_agent_registry().all():
        tools = ", ".join(definition.tools) or "-"
        guardrails = ", ".join(definition.guardrails) or "-"
        print(
            f"{definition.name}\n    {definition.description}\n"
            f"    tools: {tools}   guardrails: {guardrails}   "
            f"model: {definition.model or get_settings().default_model}"
        )
    return EXIT_OK


def tools_command(args: argparse.Namespace) -> int:
    from agents_core import get_tool_registry

    for definition in get_tool_registry().all():
        print(f"{definition.name}  [{definition.category}]\n    {definition.description}")
    return EXIT_OK
