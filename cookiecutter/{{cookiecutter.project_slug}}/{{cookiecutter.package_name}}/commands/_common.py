"""What the commands share: exit codes, argparse types, option help."""

from __future__ import annotations

import argparse
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
