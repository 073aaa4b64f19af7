"""`mcp list` (check the declared MCP servers) and `mcp serve` (the agents as MCP tools over
stdio, a door over the run service)."""

from __future__ import annotations

import argparse
from typing import Any

from agents_core.observability.redaction import redact

from ._common import EXIT_FAILED, EXIT_OK, loaded


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    mcp = commands.add_parser(
        "mcp", help="MCP: check the declared servers, or offer the agents to MCP clients"
    )
    mcp_commands = mcp.add_subparsers(dest="mcp_command", required=True, metavar="COMMAND")
    mcp_list = mcp_commands.add_parser(
        "list", help="connect to each declared MCP server; show its state and tools"
    )
    mcp_list.set_defaults(handler=list_command, is_async=True)
    mcp_serve = mcp_commands.add_parser(
        "serve", help="serve the agents as MCP tools over stdio (for IDEs and assistants)"
    )
    mcp_serve.set_defaults(handler=serve_command, is_async=True)


async def list_command(args: argparse.Namespace) -> int:
    from agents_core.mcp.status import check_servers, undeclared_servers

    statuses = await check_servers()
    failed = 0
    for status in statuses:
        definition = status.definition
        where = definition.url or " ".join([definition.command or "", *definition.args])
        optional = ", optional" if definition.optional else ""
        print(f"{definition.name}  [{definition.transport}{optional}] {where}")
        if definition.description:
            print(f"    {definition.description}")
        if status.ok:
            print(f"    state: ok   tools: {', '.join(status.tools) or '-'}")
        else:
            failed += 0 if definition.optional else 1
            print(f"    state: error: {redact(str(status.error))}")
        print(f"    used by: {', '.join(status.agents) or '-'}")
    if not statuses:
        print("No MCP servers declared (mcp_servers.toml, or MCP_SERVERS_FILE).")
    for agent, names in undeclared_servers().items():
        failed += 1
        print(f"error: agent {agent!r} uses undeclared MCP server(s): {', '.join(names)}")
    return EXIT_FAILED if failed else EXIT_OK


async def serve_command(args: argparse.Namespace) -> int:
    from agents_core.mcp.exposure import agents_mcp_server

    server = agents_mcp_server()
    loaded()  # a server may run for long: collect as usual from here (commands/_common.py)
    # stdout carries the protocol: everything else (logs, errors) goes to stderr.
    await server.run_stdio_async()
    return EXIT_OK
