"""What the commands share: exit codes, argparse types, option help."""

from __future__ import annotations

import argparse
import gc
import sys

from agents_core.observability.redaction import redact

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2, 64

VERBOSE_HELP = "also show each agent step, the routing, tool calls and results, and timings"


def count(text: str) -> int:
    """A whole number of at least 1 (ports, processes, repeats), for argparse."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def print_error(message: object) -> None:
    """`error: <message>` on stderr, secrets redacted."""
    print(f"error: {redact(str(message))}", file=sys.stderr, flush=True)


# The garbage collector while a command loads (issue 26). A full collection walks the whole heap,
# and Python runs one each time the heap has grown by about a quarter: while a command imports the
# SDK, FastAPI and Prefect (~600,000 objects) that is a walk every few hundred milliseconds, 0.5 s
# of the 2.6 s that loading `serve` with workflows takes (measured on 2 cores; `chat "What is
# 2 + 2?"` starts in 1.28 s instead of 1.48). So `cli.run` puts full collections off
# (the young generations are collected as usual); a long-running command (`serve`, an interactive
# `chat`, `mcp serve`) calls `loaded()` once it is ready: what loading made is frozen, out of the
# collector's sight (as pre-fork servers do), and collections run as usual again. A short command
# ends with full collections put off, and `cli.run` freezes everything at exit anyway.
DEFAULT_GC_THRESHOLDS = gc.get_threshold()
LOADING_GC_THRESHOLDS = (DEFAULT_GC_THRESHOLDS[0], DEFAULT_GC_THRESHOLDS[1], 1_000)


def loading() -> None:
    """Put full garbage collections off while the command loads (the console script's start)."""
    gc.set_threshold(*LOADING_GC_THRESHOLDS)


def loaded() -> None:
    """A long-running command is ready: freeze what loading made, collect as usual again.

    Only after `loading()`: a command called in-process (`cli.main` from a test, say) leaves the
    calling process's collector alone.
    """
    if gc.get_threshold() == LOADING_GC_THRESHOLDS:
        gc.freeze()
        gc.set_threshold(*DEFAULT_GC_THRESHOLDS)
