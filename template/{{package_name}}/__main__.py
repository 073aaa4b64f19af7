"""`python -m <package>` runs the CLI."""

from __future__ import annotations

import sys

from .cli import run

sys.exit(run())
