"""`flows` (list the workflows) and `flow run` (run one in this process): projects with
workflows_core only. Prefect loads inside the commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from agents_core.observability.redaction import redact

from ._common import EXIT_FAILED, EXIT_OK


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    flows = commands.add_parser("flows", help="list the workflows (Prefect flows)")
    flows.add_argument("--json", action="store_true", help="print the list as JSON")
    flows.set_defaults(handler=flows_command, is_async=False, prefect_logging=True)
    flow = commands.add_parser("flow", help="run a workflow")
    flow_commands = flow.add_subparsers(dest="flow_command", required=True, metavar="COMMAND")
    run = flow_commands.add_parser(
        "run",
        help="run a flow in this process and print its result (on the Prefect server at "
        "PREFECT_API_URL, else a temporary one)",
    )
    run.add_argument("name", help="the flow's name (see the flows command)")
    run.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter; VALUE is read as JSON, else as text (repeat for more)",
    )
    run.add_argument("--json", action="store_true", help="print the outcome as JSON")
    run.set_defaults(handler=run_command, is_async=True, prefect_logging=True)


def parse_param(text: str) -> tuple[str, Any]:
    """``key=value`` -> (key, value): the value parsed as JSON, else kept as a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"--param takes key=value (value as JSON or text), got {text!r}.")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def flows_command(args: argparse.Namespace) -> int:
    # Imported here: Prefect loads only for the workflow commands.
    from workflows_core import list_flows

    flows = list_flows()
    if args.json:
        print(json.dumps([info.to_json() for info in flows], ensure_ascii=False, default=str))
        return EXIT_OK
    for info in flows:
        print(f"{info.name}  ({info.title})\n    {info.description}")
        for p in info.parameters:
            default = "required" if p.required else f"default {json.dumps(p.default, default=str)}"
            about = f": {p.description}" if p.description else ""
            print(f"    --param {p.name}=<{p.type}>  ({default}){about}")
    print(f"\n`flow run` uses: {_prefect_server_note()}", file=sys.stderr)
    return EXIT_OK


async def run_command(args: argparse.Namespace) -> int:
    from workflows_core import get_flow, run_flow

    info = get_flow(args.name)  # an unknown name fails here, listing the flows
    # Unknown, missing or ill-typed parameters fail here, listing the flow's parameters.
    parameters = info.check_parameters(dict(parse_param(text) for text in args.param))
    print(f"running flow {info.name} ({info.title})…", file=sys.stderr, flush=True)
    print(_prefect_server_note(), file=sys.stderr, flush=True)
    # Progress: Prefect's console handler logs each flow and task run as it starts and ends.
    outcome = await run_flow(info, parameters)
    if args.json:
        print(json.dumps(outcome.to_json(), ensure_ascii=False, default=str))
    else:
        print(f"flow run {outcome.flow_run_id}: {outcome.state}", file=sys.stderr)
        if outcome.ok:
            print(json.dumps(outcome.result, ensure_ascii=False, indent=2, default=str))
        else:
            print(f"error: {redact(str(outcome.error))}", file=sys.stderr)
    return EXIT_OK if outcome.ok else EXIT_FAILED


EPHEMERAL_SERVER_SECONDS = "10-30 s"
"""How long Prefect's temporary server usually takes to start (and migrate its database)."""


def _prefect_server_note() -> str:
    """Which Prefect server flow runs use: the one at PREFECT_API_URL, else a temporary one."""
    url = os.environ.get("PREFECT_API_URL", "").strip()
    if url:
        return f"Prefect server: {url} (PREFECT_API_URL)"
    return (
        f"Prefect server: starting a temporary one for this run (usually {EPHEMERAL_SERVER_SECONDS}"
        "); start one with `prefect server start` and set PREFECT_API_URL to reuse it."
    )
