"""`eval`: run the eval cases in evals/ and score the answers (optionally several models)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from ._common import EXIT_FAILED, EXIT_OK, count


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    evaluate = commands.add_parser(
        "eval", help="run the eval cases in evals/ and score the answers"
    )
    evaluate.add_argument("--agent", help="only the suite of this agent")
    evaluate.add_argument(
        "--model", action="append", help="model to evaluate (repeat to compare models side by side)"
    )
    evaluate.add_argument("--repeat", type=count, default=1, help="run each case N times")
    evaluate.add_argument(
        "--concurrency", type=count, default=4, help="cases run at once (default 4)"
    )
    evaluate.add_argument("--dir", help="directory of the eval files (default: evals/)")
    evaluate.add_argument("--json", metavar="FILE", help="write the results as JSON")
    evaluate.add_argument("--junit", metavar="FILE", help="write the results as JUnit XML")
    evaluate.add_argument("--html", metavar="FILE", help="write an HTML report")
    evaluate.set_defaults(handler=eval_command, is_async=True)


async def eval_command(args: argparse.Namespace) -> int:
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
