"""Command-line interface: parses the command line and dispatches to `commands/`.

One module per command (or tight group) under `commands/`: chat, demo, agents and tools, mcp,
eval, serve and keys (with the api package), flows (with workflows_core).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import gc
import importlib.util
import signal
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

# Cheap: the package's names load on first use and these modules import no SDK (settings_check
# needs only pydantic-settings; the command modules import their SDKs inside the command).
# `--help` and usage errors answer at once
# (tests/test_cli.py::test_help_and_usage_errors_import_no_sdk).
from agents_core._defaults import PROJECT_NAME, PROJECT_SLUG
from agents_core.config import Settings
from agents_core.exceptions import AgentsCoreError
from agents_core.observability.redaction import install_log_redaction, redact
from agents_core.settings_check import SettingsError, load

from .children import stop_children
from .commands import chat, demo, evals, flows, keys, listing, mcp, serve
from .commands._common import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, loading
from .commands.chat_printer import RESULT_LINES, RESULT_WIDTH, ChatPrinter
from .commands.flows import parse_param

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "RESULT_LINES",
    "RESULT_WIDTH",
    "ChatPrinter",
    "build_parser",
    "has_api",
    "has_workflows",
    "main",
    "parse_param",
    "run",
]


class _Parser(argparse.ArgumentParser):
    """Usage errors exit with EXIT_USAGE, apart from a guardrail's refusal (2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROJECT_SLUG, description=f"{PROJECT_NAME} agents.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chat.add_parser(commands)
    demo.add_parser(commands)
    listing.add_parser(commands)
    mcp.add_parser(commands)
    evals.add_parser(commands)
    if has_api():
        serve.add_parser(commands)
        keys.add_parser(commands)
    if has_workflows():
        flows.add_parser(commands)
    return parser


def has_api() -> bool:
    """True when the project has the `api` package (the `include_api` answer)."""
    return importlib.util.find_spec("api") is not None


def has_workflows() -> bool:
    """True when the project has the `workflows_core` package (the `include_workflows` answer)."""
    return importlib.util.find_spec("workflows_core") is not None


async def _run_async(args: argparse.Namespace) -> int:
    from agents_core.llm.selection import close_model_clients
    from agents_core.mcp import close_mcp_servers

    try:
        return int(await args.handler(args))
    finally:
        await close_model_clients()  # the model server's connections, before the loop ends
        await close_mcp_servers()  # and the MCP servers the agents used (stdio children)


class _Terminated(SystemExit):
    """SIGTERM (systemd, Docker, Kubernetes): unwinds like Ctrl-C, exit status 128 + 15."""


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # Unwinding runs the libraries' cleanup (Prefect stops its local server); `main` then stops
    # any child one of them had started but not yet registered, instead of orphaning it.
    raise _Terminated(128 + signum)


def run(argv: Sequence[str] | None = None) -> int:
    """The console script and `python -m`: `main`, and an exit without a last sweep.

    At exit the interpreter's garbage collector walks every object the command loaded (the SDK,
    FastAPI, Prefect: a few hundred thousand) before freeing them: 0.5-0.8 s of CPU after the
    work is done (measured on 2 cores: `chat` 1.3 s instead of 1.9-2.3 s, `serve` 0.8 s less).
    Freezing them first (`gc.freeze`, as pre-fork servers do), as the last exit handler, skips
    that walk; everything else of a normal exit stays (the other exit handlers, threads, flushed
    output, the exit status). And while the command loads, full collections are put off
    (`commands._common.loading`).
    """
    atexit.unregister(gc.freeze)  # once, however often it is called
    atexit.register(gc.freeze)
    loading()  # no full collection while the command imports: see commands/_common.py
    return main(argv)


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
    except _Terminated:
        stop_children()
        raise
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_handler)
