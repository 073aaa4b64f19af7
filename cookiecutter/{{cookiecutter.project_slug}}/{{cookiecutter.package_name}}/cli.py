"""Command-line interface: chat, list agents and tools, run the demo, serve the API, run flows."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

# Cheap: the package's names load on first use and these modules import no SDK (settings_check
# needs only pydantic-settings). Everything else from agents_core (the Agents SDK behind it,
# Prefect, FastAPI) is imported inside the command that needs it, so `--help` and usage errors
# answer at once (tests/test_cli.py::test_help_and_usage_errors_import_no_sdk).
from agents_core._defaults import PROJECT_NAME, PROJECT_SLUG
from agents_core.config import Settings
from agents_core.exceptions import AgentsCoreError
from agents_core.observability.redaction import install_log_redaction, redact
from agents_core.settings_check import SettingsError, load

from .keys_commands import add_keys_parser

if TYPE_CHECKING:
    from agents_core import AgentOrchestrator, StreamEvent

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2, 64
# What each demo question needs: a registered tool, or an agent (the MCP sample's tools are
# the notes server's, not registered ones).
_DEMO_NEEDS = ("sales_report", "get_weather", "agent:notes_keeper", "calculator")

DEMO_QUESTIONS = (
    "Which region had the highest revenue?",
    "What's the weather in Paris?",
    "List my notes.",
    "What is 12 * (3 + 4)?",
)


class ChatPrinter:
    """Prints a run's events as they stream: the answer on stdout, the rest on stderr.

    By default only the answer (its tokens as they arrive, from the agent that writes it),
    errors and tool calls waiting for an approval are printed. With `verbose`, each agent's
    start, the routing decision (the output of an agent whose text is not the answer), each tool
    call with its arguments, its result pretty-printed and cut to a few lines, and timings.
    """

    def __init__(
        self, out: TextIO, err: TextIO, *, as_json: bool = False, verbose: bool = False
    ) -> None:
        self.out, self.err, self.as_json, self.verbose = out, err, as_json, verbose
        self.final_agents: set[str] = set()
        self.streamed = False
        self.exit_code = EXIT_OK
        self.approvals: list[dict[str, Any]] = []
        """`approval_required` events of the current run: the calls waiting for a decision."""
        self._started: float | None = None
        self._calls: dict[str, float] = {}
        """call_id -> when the tool call started (for its timing)."""

    def __call__(self, event: StreamEvent) -> None:
        if self.as_json:
            print(json.dumps(event.to_json(), ensure_ascii=False), file=self.out, flush=True)
        else:
            self._human(event)
        if event.type == "approval_required":
            self.approvals.append(dict(event.data))
        if event.type == "error":
            code = str(event.data.get("code", ""))
            self.exit_code = EXIT_REFUSED if code == "GuardrailTripped" else EXIT_FAILED

    def _human(self, event: StreamEvent) -> None:
        data, agent = event.data, event.agent or ""
        if event.type == "agent_start" and data.get("final"):
            self.final_agents.add(agent)
        if event.type == "token" and agent in self.final_agents and _is_terminal(self.out):
            # Live only for a person watching: a pipe gets whole answers, never half of one
            # from a turn that fails after its first tokens.
            self.out.write(str(data.get("delta", "")))
            self.out.flush()
            self.streamed = True
        elif event.type == "answer":
            if not self.streamed:
                self.out.write(str(data.get("text", "")))
            self.out.write("\n")
            self.out.flush()
        elif event.type == "error":
            if self.streamed:  # the tokens shown are not an answer: say so on their line
                self.out.write(" [cut off: not an answer]\n")
                self.out.flush()
            print(f"error: {redact(str(data.get('message')))}", file=self.err, flush=True)
        elif event.type == "approval_required":
            self._note(f"  ⏸ {data.get('tool')} waits for your approval")
        elif self.verbose:
            self._detail(event)

    def _detail(self, event: StreamEvent) -> None:
        """What only --verbose shows: steps, routing, tool calls and results, timings."""
        data, agent = event.data, event.agent or ""
        if event.type == "run_start":
            self._started = event.timestamp
        elif event.type == "agent_start":
            self._note(f"… {agent}")
        elif event.type == "tool_call":
            self._calls[str(data.get("call_id"))] = event.timestamp
            arguments = ", ".join(
                f"{k}={json.dumps(v, ensure_ascii=False)}"
                for k, v in data.get("arguments", {}).items()
            )
            self._note(f"  ⚙ {data.get('tool')}({arguments})")
        elif event.type == "tool_result":
            started = self._calls.pop(str(data.get("call_id")), None)
            took = f" ({event.timestamp - started:.2f} s)" if started is not None else ""
            lines = _pretty(data.get("result"))
            self._note(f"  ↳ {lines[0]}{took}" if len(lines) == 1 else f"  ↳{took}")
            if len(lines) > 1:
                for line in lines:
                    self._note(f"    {line}")
        elif event.type == "agent_end" and agent not in self.final_agents:
            self._note(f"  → {_short(data.get('output'))}")
        elif event.type == "done" and self._started is not None:
            self._note(f"  ⏱ {event.timestamp - self._started:.2f} s")

    def _note(self, text: str) -> None:
        print(text, file=self.err, flush=True)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


RESULT_LINES, RESULT_WIDTH = 8, 120
"""How much of a tool result --verbose shows: lines, and characters per line."""


def _pretty(value: Any) -> list[str]:
    """A tool result as indented JSON (or its text), cut to RESULT_LINES lines."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, str):
        lines = value.strip().splitlines() or [""]
    else:
        text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
        lines = text.splitlines()
    if len(lines) == 1 and len(lines[0]) <= RESULT_WIDTH:
        return lines
    shown = [
        line if len(line) <= RESULT_WIDTH else line[: RESULT_WIDTH - 1] + "…"
        for line in lines[:RESULT_LINES]
    ]
    if len(lines) > RESULT_LINES:
        shown.append(f"… ({len(lines) - RESULT_LINES} more lines)")
    return shown


def _short(value: Any, limit: int = 240) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _orchestrator(agent: str | None) -> AgentOrchestrator:
    from agents_core import AgentOrchestrator, RoutingOrchestrator, get_agent_registry

    if agent:
        get_agent_registry().get(agent)  # unknown names fail here, listing the known ones
        return AgentOrchestrator(default_agent=agent)
    return RoutingOrchestrator()


async def _ask(
    orchestrator: AgentOrchestrator, message: str, session_id: str | None, printer: ChatPrinter
) -> str | None:
    printer.final_agents.clear()
    printer.streamed = False
    printer.approvals.clear()
    done_session: str | None = session_id
    async for event in orchestrator.stream(message, session_id=session_id):
        printer(event)
        if event.type == "done":
            done_session = event.data.get("session_id") or done_session
    return done_session


def _approve_inline(
    loop: asyncio.Runner, orchestrator: AgentOrchestrator, printer: ChatPrinter
) -> None:
    """Ask y/N for each tool call the run waits on, then resume it and print what follows."""
    from agents_core.approvals import PendingApproval
    from agents_core.utils.messages import to_text

    waiting = list(printer.approvals)
    printer.approvals.clear()
    while waiting:
        approval = waiting.pop(0)
        try:
            answer = input(f"Approve {approval['tool']}({approval['arguments']})? [y/N] ")
        except EOFError:
            answer = ""
        approved = answer.strip().lower() in {"y", "yes"}
        try:
            if approved:
                decide = orchestrator.approve(approval["run_id"], approval["approval_id"])
            else:
                decide = orchestrator.reject(
                    approval["run_id"], approval["approval_id"], "rejected in the CLI chat"
                )
            outcome = loop.run(decide)
        except AgentsCoreError as error:
            print(f"error: {redact(str(error))}", file=sys.stderr, flush=True)
            printer.exit_code = EXIT_FAILED
            return
        if isinstance(outcome, PendingApproval):
            waiting.append(outcome.to_dict())
            continue
        result = outcome.get("result") if isinstance(outcome, dict) else outcome
        if printer.as_json:
            print(json.dumps({"type": "answer", "text": to_text(result)}), file=printer.out)
        else:
            print(to_text(result), file=printer.out, flush=True)


def _chat(args: argparse.Namespace) -> int:
    from agents_core.llm.selection import close_model_clients
    from agents_core.mcp import close_mcp_servers

    printer = ChatPrinter(sys.stdout, sys.stderr, as_json=args.json, verbose=args.verbose)
    orchestrator = _orchestrator(args.agent)
    session_id: str | None = args.session
    # One event loop for the whole chat; the prompt reads stdin outside it, so Ctrl-C there
    # stops the chat at once (no input thread left behind to wait for).
    with asyncio.Runner() as loop:
        try:
            if args.message:
                used = loop.run(_ask(orchestrator, " ".join(args.message), session_id, printer))
                _approve_inline(loop, orchestrator, printer)
                if used and not args.json:
                    print(f"session: {used} (continue it with --session {used})", file=sys.stderr)
                return printer.exit_code
            print(
                f"{PROJECT_NAME}: chat with your agents. Empty line, Ctrl-D or Ctrl-C to quit.",
                file=sys.stderr,
            )
            while True:
                try:
                    message = input("you › ")
                except EOFError:
                    break
                if not message.strip() or message.strip().lower() in {"exit", "quit"}:
                    break
                session_id = loop.run(_ask(orchestrator, message, session_id, printer))
                _approve_inline(loop, orchestrator, printer)
        finally:
            loop.run(close_model_clients())  # before the loop ends
            loop.run(close_mcp_servers())
    return EXIT_OK


async def _demo(args: argparse.Namespace) -> int:
    from agents_core import (
        RoutingOrchestrator,
        get_agent_registry,
        get_settings,
        get_tool_registry,
    )
    from agents_core.llm.selection import uses_offline_model

    printer = ChatPrinter(sys.stdout, sys.stderr, as_json=args.json, verbose=args.verbose)
    mode = "offline model" if uses_offline_model() else f"model {get_settings().default_model}"
    print(f"{PROJECT_NAME} demo on the {mode}.", file=sys.stderr)
    tools, agents = get_tool_registry(), get_agent_registry()
    questions = [
        question
        for question, need in zip(DEMO_QUESTIONS, _DEMO_NEEDS, strict=True)
        if (need.removeprefix("agent:") in agents if need.startswith("agent:") else need in tools)
    ]
    worst = EXIT_OK
    for question in questions:
        print(f"\nyou › {question}", file=sys.stderr, flush=True)
        await _ask(RoutingOrchestrator(), question, None, printer)
        worst = max(worst, printer.exit_code)
    return worst


def _list_agents(args: argparse.Namespace) -> int:
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


def _serve(args: argparse.Namespace) -> int:
    import uvicorn  # only installed with the api package

    # Checked here, before uvicorn starts: a bad value is one line and status 64.
    app_module: Any = importlib.import_module("api.app")  # only in projects with the api
    settings = load(app_module.ApiSettings)
    for feature_settings in app_module.FEATURE_SETTINGS:
        load(feature_settings)
    if not _may_serve_without_credentials(settings, args.host, args.insecure_no_auth):
        return EXIT_USAGE
    from agents_core.auth import Authenticator

    Authenticator(settings)  # a missing or invalid API_KEYS_FILE stops here, in one line
    print(_serve_banner(args.host, args.port), file=sys.stderr, flush=True)
    uvicorn.run(
        "api:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        # Open streams must not hold a shutdown for long.
        timeout_graceful_shutdown=5,
        # WebSocket messages obey the same limit as request bodies.
        ws_max_size=settings.max_body_bytes,
        # Slow clients are cut off (HEADER_/BODY_TIMEOUT_SECONDS), MAX_CONNECTIONS at most.
        **importlib.import_module("api.serving").server_options(settings.max_connections),
    )
    return EXIT_OK


_CREDENTIAL_SETTINGS = "API_KEY, API_KEYS, API_KEYS_FILE or JWT_ISSUER/JWT_JWKS_URL"


def _may_serve_without_credentials(settings: Any, host: str, insecure: bool) -> bool:
    """False (and one line saying what to set) for a non-loopback host without credentials."""
    from agents_core.auth import is_loopback_host

    if settings.credentials_configured or is_loopback_host(host):
        return True
    if insecure:
        print(
            f"WARNING: serving on {host} WITHOUT AUTHENTICATION (--insecure-no-auth): anyone "
            "who reaches it is 'local' and can read and run everything.",
            file=sys.stderr,
            flush=True,
        )
        return True
    print(
        f"error: refusing to serve on {host} without credentials (every caller would be "
        f"'local'): set {_CREDENTIAL_SETTINGS} (docs/authentication.md), serve on 127.0.0.1, "
        "or pass --insecure-no-auth",
        file=sys.stderr,
        flush=True,
    )
    return False


def _serve_banner(host: str, port: int) -> str:
    """Where the API listens, its playground, and how clients authenticate."""
    from api.settings import ApiSettings

    settings = ApiSettings()
    base = f"http://{_url_host(host)}:{port}"
    modes = [
        *(["API keys"] if settings.api_keys_enabled else []),
        *(
            [f"JWT ({settings.jwt_issuer or settings.jwt_jwks_url or 'JWT_SECRET'})"]
            if settings.jwt_enabled
            else []
        ),
    ]
    auth = (
        " and ".join(modes) + " (header Authorization: Bearer <key or token>, or X-API-Key)"
        if modes
        else f"none, every caller is 'local' (set {_CREDENTIAL_SETTINGS} to require credentials)"
    )
    return (
        f"{PROJECT_NAME} API on {base}\n  playground: {base}/\n  API docs:   {base}/docs\n"
        f"  auth:       {auth}"
    )


def _url_host(host: str) -> str:
    """The host as a browser would type it (any-address binds are reached on localhost)."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _count(text: str) -> int:
    """A whole number of at least 1 (ports, processes), for argparse."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def has_api() -> bool:
    """True when the project has the `api` package (the `include_api` answer)."""
    return importlib.util.find_spec("api") is not None


def has_workflows() -> bool:
    """True when the project has the `workflows_core` package (the `include_workflows` answer)."""
    return importlib.util.find_spec("workflows_core") is not None


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


def _list_flows(args: argparse.Namespace) -> int:
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


async def _run_flow(args: argparse.Namespace) -> int:
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


async def _eval(args: argparse.Namespace) -> int:
    # Imported here: the eval runner (and YAML) load only for this command.
    from pathlib import Path

    from agents_core import evals, get_settings
    from agents_core.llm.selection import uses_offline_model

    directory = Path(args.dir) if args.dir else evals.default_evals_dir()
    suites = evals.load_suites(directory, args.agent)
    default = "offline" if uses_offline_model() else get_settings().default_model
    models = list(dict.fromkeys(args.model or [default]))  # a model named twice runs once
    total = sum(len(suite.cases) for suite in suites) * len(models) * args.repeat
    done = 0

    def progress(result: evals.CaseResult) -> None:
        nonlocal done
        done += 1
        mark = "pass" if result.passed else "FAIL"
        line = f"[{done}/{total}] {result.suite}/{result.case} ({result.model}): {mark}"
        print(line, file=sys.stderr, flush=True)

    results = await evals.run_suites(
        suites, models, repeat=args.repeat, concurrency=args.concurrency, progress=progress
    )
    print(evals.table(results))
    reports = (
        (args.json, evals.json_report),
        (args.junit, evals.junit_report),
        (args.html, evals.html_report),
    )
    for path, render in reports:
        if path:
            await asyncio.to_thread(Path(path).write_text, render(results), encoding="utf-8")
    return EXIT_OK if all(result.passed for result in results) else EXIT_FAILED


def _list_tools(args: argparse.Namespace) -> int:
    from agents_core import get_tool_registry

    for definition in get_tool_registry().all():
        print(f"{definition.name}  [{definition.category}]\n    {definition.description}")
    return EXIT_OK


async def _mcp_list(args: argparse.Namespace) -> int:
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


async def _mcp_serve(args: argparse.Namespace) -> int:
    from agents_core.mcp.exposure import agents_mcp_server

    # stdout carries the protocol: everything else (logs, errors) goes to stderr.
    await agents_mcp_server().run_stdio_async()
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """Usage errors exit with EXIT_USAGE, apart from a guardrail's refusal (2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


VERBOSE_HELP = "also show each agent step, the routing, tool calls and results, and timings"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROJECT_SLUG, description=f"{PROJECT_NAME} agents.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = commands.add_parser("chat", help="ask once (with a message) or chat interactively")
    chat.add_argument("message", nargs="*", help="the question; omit it for an interactive chat")
    chat.add_argument("--agent", help="talk to this agent directly instead of the router")
    chat.add_argument("--session", help="session id, to continue a conversation")
    chat.add_argument("--json", action="store_true", help="print events as JSON lines")
    chat.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    chat.set_defaults(handler=_chat, is_async=False)

    demo = commands.add_parser("demo", help="ask the sample questions (offline without a key)")
    demo.add_argument("--json", action="store_true", help="print events as JSON lines")
    demo.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    demo.set_defaults(handler=_demo, is_async=True)

    agents = commands.add_parser("agents", help="list the registered agents")
    agents.set_defaults(handler=_list_agents, is_async=False)
    tools = commands.add_parser("tools", help="list the registered tools")
    tools.set_defaults(handler=_list_tools, is_async=False)

    mcp = commands.add_parser(
        "mcp", help="MCP: check the declared servers, or offer the agents to MCP clients"
    )
    mcp_commands = mcp.add_subparsers(dest="mcp_command", required=True, metavar="COMMAND")
    mcp_list = mcp_commands.add_parser(
        "list", help="connect to each declared MCP server; show its state and tools"
    )
    mcp_list.set_defaults(handler=_mcp_list, is_async=True)
    mcp_serve = mcp_commands.add_parser(
        "serve", help="serve the agents as MCP tools over stdio (for IDEs and assistants)"
    )
    mcp_serve.set_defaults(handler=_mcp_serve, is_async=True)

    evaluate = commands.add_parser(
        "eval", help="run the eval cases in evals/ and score the answers"
    )
    evaluate.add_argument("--agent", help="only the suite of this agent")
    evaluate.add_argument(
        "--model", action="append", help="model to evaluate (repeat to compare models side by side)"
    )
    evaluate.add_argument("--repeat", type=_count, default=1, help="run each case N times")
    evaluate.add_argument(
        "--concurrency", type=_count, default=4, help="cases run at once (default 4)"
    )
    evaluate.add_argument("--dir", help="directory of the eval files (default: evals/)")
    evaluate.add_argument("--json", metavar="FILE", help="write the results as JSON")
    evaluate.add_argument("--junit", metavar="FILE", help="write the results as JUnit XML")
    evaluate.add_argument("--html", metavar="FILE", help="write an HTML report")
    evaluate.set_defaults(handler=_eval, is_async=True)

    if has_api():
        serve = commands.add_parser("serve", help="serve the HTTP API with uvicorn")
        serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
        # PORT and WEB_CONCURRENCY: the variables that container platforms and uvicorn use
        # (argparse checks a string default with `type`, so a bad value fails here, clearly).
        serve.add_argument(
            "--port",
            type=_count,
            default=os.environ.get("PORT") or "8000",
            help="port (default: $PORT, else 8000)",
        )
        serve.add_argument(
            "--workers",
            type=_count,
            default=os.environ.get("WEB_CONCURRENCY") or "1",
            help="uvicorn worker processes (default: $WEB_CONCURRENCY, else 1)",
        )
        serve.add_argument("--reload", action="store_true", help="restart when the code changes")
        serve.add_argument(
            "--insecure-no-auth",
            action="store_true",
            help="serve on a non-loopback host without any credentials configured (unsafe)",
        )
        serve.set_defaults(handler=_serve, is_async=False)
        add_keys_parser(commands)

    if has_workflows():
        flows = commands.add_parser("flows", help="list the workflows (Prefect flows)")
        flows.add_argument("--json", action="store_true", help="print the list as JSON")
        flows.set_defaults(handler=_list_flows, is_async=False, prefect_logging=True)
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
        run.set_defaults(handler=_run_flow, is_async=True, prefect_logging=True)
    return parser


async def _run_async(args: argparse.Namespace) -> int:
    from agents_core.llm.selection import close_model_clients
    from agents_core.mcp import close_mcp_servers

    try:
        return int(await args.handler(args))
    finally:
        await close_model_clients()  # the model server's connections, before the loop ends
        await close_mcp_servers()  # and the MCP servers the agents used (stdio children)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # SIGTERM (systemd, Docker, Kubernetes) unwinds like Ctrl-C, so every child process that the
    # command started (Prefect's local server) is stopped on the way out instead of orphaned.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        load(Settings)  # every setting checked before anything runs
    except SettingsError as error:
        print(f"error: {redact(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous_handler = signal.signal(signal.SIGTERM, _exit_on_sigterm) if in_main_thread else None
    try:
        from agents_core import get_settings

        install_log_redaction(get_settings())  # no secret in any log line, Prefect's included
        # Prefect configures logging itself (its lines name the flow or task run) unless the
        # root logger already has a handler: leave it alone for the workflow commands.
        if not getattr(args, "prefect_logging", False):
            from agents_core.observability.log_format import configure_logging

            configure_logging(get_settings())  # LOG_LEVEL, LOG_FORMAT=text|json
        if args.is_async:
            return int(asyncio.run(_run_async(args)))
        return int(args.handler(args))
    except SettingsError as error:
        print(f"error: {redact(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except (AgentsCoreError, ValueError) as error:
        print(f"error: {redact(str(error))}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, ValueError) else EXIT_FAILED
    except KeyboardInterrupt:
        print(file=sys.stderr)  # end the line the prompt (or a streamed answer) left open
        return 130
    except BrokenPipeError:  # e.g. `... agents | head`
        sys.stderr.close()
        return EXIT_OK
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_handler)
