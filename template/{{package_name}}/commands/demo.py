"""`demo`: ask the sample questions, through the router (offline without a key)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from agents_core._defaults import PROJECT_NAME

from ._common import EXIT_OK, VERBOSE_HELP
from .chat import ask
from .chat_printer import ChatPrinter

# What each demo question needs: a registered tool, or an agent (the MCP sample's tools are
# the notes server's, not registered ones).
_DEMO_NEEDS = ("sales_report", "get_weather", "agent:notes_keeper", "calculator")

DEMO_QUESTIONS = (
    "Which region had the highest revenue?",
    "What's the weather in Paris?",
    "List my notes.",
    "What is 12 * (3 + 4)?",
)


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    demo = commands.add_parser("demo", help="ask the sample questions (offline without a key)")
    demo.add_argument("--json", action="store_true", help="print events as JSON lines")
    demo.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    demo.set_defaults(handler=demo_command, is_async=True)


async def demo_command(args: argparse.Namespace) -> int:
    from agents_core import get_agent_registry, get_settings, get_tool_registry
    from agents_core.llm.selection import uses_offline_model
    from agents_core.runs import RunService

    printer = ChatPrinter(sys.stdout, sys.stderr, as_json=args.json, verbose=args.verbose)
    mode = "offline model" if uses_offline_model() else f"model {get_settings().default_model}"
    print(f"{PROJECT_NAME} demo on the {mode}.", file=sys.stderr)
    tools, agents = get_tool_registry(), get_agent_registry()
    questions = [
        question
        for question, need in zip(DEMO_QUESTIONS, _DEMO_NEEDS, strict=True)
        if (need.removeprefix("agent:") in agents if need.startswith("agent:") else need in tools)
    ]
    service = RunService()
    worst = EXIT_OK
    for question in questions:
        print(f"\nyou › {question}", file=sys.stderr, flush=True)
        await ask(service, None, question, None, printer)
        worst = max(worst, printer.exit_code)
    return worst
