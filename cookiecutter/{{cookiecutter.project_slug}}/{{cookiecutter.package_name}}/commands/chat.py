"""`chat`: ask once (with a message) or chat interactively; approve waiting tool calls inline.

A door over the run service: each message is a streamed `RunRequest`, each y/N answer an
approve or reject of the paused run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from agents_core._defaults import PROJECT_NAME
from agents_core.exceptions import AgentsCoreError

from ._common import EXIT_FAILED, EXIT_OK, VERBOSE_HELP, loaded, print_error
from .chat_printer import ChatPrinter

if TYPE_CHECKING:
    from agents_core.runs import RunService

REJECTED_IN_CHAT = "rejected in the CLI chat"


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    chat = commands.add_parser("chat", help="ask once (with a message) or chat interactively")
    chat.add_argument("message", nargs="*", help="the question; omit it for an interactive chat")
    chat.add_argument("--agent", help="talk to this agent directly instead of the router")
    chat.add_argument("--session", help="session id, to continue a conversation")
    chat.add_argument("--json", action="store_true", help="print events as JSON lines")
    chat.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    chat.set_defaults(handler=chat_command, is_async=False)


async def ask(
    service: RunService,
    agent: str | None,
    message: str,
    session_id: str | None,
    printer: ChatPrinter,
) -> str | None:
    """Stream one run, printing its events; the session it used."""
    from agents_core.runs import RunRequest

    printer.final_agents.clear()
    printer.streamed = False
    printer.approvals.clear()
    done_session: str | None = session_id
    async for event in service.stream(RunRequest(message, agent, session_id=session_id)):
        printer(event)
        if event.type == "done":
            done_session = event.data.get("session_id") or done_session
    return done_session


def approve_inline(loop: asyncio.Runner, service: RunService, printer: ChatPrinter) -> None:
    """Ask y/N for each tool call the run waits on, then resume it and print what follows."""
    waiting = list(printer.approvals)
    printer.approvals.clear()
    while waiting:
        approval = waiting.pop(0)
        try:
            answer = input(f"Approve {approval['tool']}({approval['arguments']})? [y/N] ")
        except EOFError:
            answer = ""
        run_id, approval_id = approval["run_id"], approval["approval_id"]
        try:
            if answer.strip().lower() in {"y", "yes"}:
                outcome = loop.run(service.approve(run_id, approval_id))
            else:
                outcome = loop.run(service.reject(run_id, approval_id, REJECTED_IN_CHAT))
        except AgentsCoreError as error:
            print_error(error)
            printer.exit_code = EXIT_FAILED
            return
        if outcome.status == "paused":
            asked = {str(item["approval_id"]) for item in waiting}
            waiting += [a.to_dict() for a in outcome.approvals if a.approval_id not in asked]
            continue
        if printer.as_json:
            print(json.dumps({"type": "answer", "text": outcome.text}), file=printer.out)
        else:
            print(outcome.text, file=printer.out, flush=True)


def chat_command(args: argparse.Namespace) -> int:
    from agents_core import get_agent_registry
    from agents_core.llm.selection import close_model_clients
    from agents_core.mcp import close_mcp_servers
    from agents_core.runs import RunService

    printer = ChatPrinter(sys.stdout, sys.stderr, as_json=args.json, verbose=args.verbose)
    if args.agent:
        get_agent_registry().get(args.agent)  # unknown names fail here, listing the known ones
    agent: str | None = args.agent or None
    service = RunService()
    session_id: str | None = args.session
    # One event loop for the whole chat; the prompt reads stdin outside it, so Ctrl-C there
    # stops the chat at once (no input thread left behind to wait for).
    with asyncio.Runner() as loop:
        try:
            if args.message:
                message = " ".join(args.message)
                used = loop.run(ask(service, agent, message, session_id, printer))
                approve_inline(loop, service, printer)
                if used and not args.json:
                    print(f"session: {used} (continue it with --session {used})", file=sys.stderr)
                return printer.exit_code
            print(
                f"{PROJECT_NAME}: chat with your agents. Empty line, Ctrl-D or Ctrl-C to quit.",
                file=sys.stderr,
            )
            loaded()  # a conversation may last: collect as usual from here (commands/_common.py)
            while True:
                try:
                    message = input("you › ")
                except EOFError:
                    break
                if not message.strip() or message.strip().lower() in {"exit", "quit"}:
                    break
                session_id = loop.run(ask(service, agent, message, session_id, printer))
                approve_inline(loop, service, printer)
        finally:
            loop.run(close_model_clients())  # before the loop ends
            loop.run(close_mcp_servers())
    return EXIT_OK
