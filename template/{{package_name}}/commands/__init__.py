"""The CLI's commands, one module per command (or tight group); `cli.py` parses and dispatches.

Each module's `add_parser(commands)` adds its subcommand; its handler imports what it needs
inside (the Agents SDK, FastAPI, Prefect), so parsing, `--help` and the other commands never pay
for it.
"""
