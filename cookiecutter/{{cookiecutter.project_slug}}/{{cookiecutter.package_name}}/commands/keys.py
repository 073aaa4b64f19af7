"""`keys add|list|remove`: the API keys of API_KEYS_FILE (hashes only; a key is shown once)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from agents_core.principals import ADMIN_ROLE

from ._common import EXIT_FAILED as _EXIT_FAILED
from ._common import EXIT_OK as _EXIT_OK


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    keys = commands.add_parser(
        "keys", help="API keys: add (printed once, stored hashed in API_KEYS_FILE), list, remove"
    )
    keys_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    add = keys_commands.add_parser("add", help="create a key for a principal and print it once")
    add.add_argument("name", type=_principal, help="the principal the key authenticates")
    add.add_argument(
        "--role",
        action="append",
        default=[],
        type=_role,
        help=f"a role of the principal (repeat for more; {ADMIN_ROLE!r} sees everything)",
    )
    add.set_defaults(handler=_add, is_async=False)
    listing = keys_commands.add_parser("list", help="the principals with a key (no secrets)")
    listing.set_defaults(handler=_list, is_async=False)
    remove = keys_commands.add_parser("remove", help="remove a principal's key")
    remove.add_argument("name", help="the principal whose key to remove")
    remove.set_defaults(handler=_remove, is_async=False)


def keys_file() -> tuple[Path, bool]:
    """API_KEYS_FILE, else `<DATA_DIR>/api_keys.toml`; and whether API_KEYS_FILE names it."""
    from agents_core.auth.settings import AuthSettings
    from agents_core.config import get_settings
    from agents_core.settings_check import load

    configured = load(AuthSettings).api_keys_file
    if configured is not None:
        return configured, True
    return get_settings().data_dir / "api_keys.toml", False


def _add(args: argparse.Namespace) -> int:
    from agents_core.auth.keys_file import add_key

    path, configured = keys_file()
    key = add_key(path, args.name, tuple(args.role))
    roles = ", ".join(sorted(set(args.role))) or "none"
    print(key)  # stdout: the key alone, for `key=$(... keys add NAME)`
    print(
        f"Key of {args.name!r} (roles: {roles}) printed above, once: only its SHA-256 hash is "
        f"stored, in {path} (mode 0600).",
        file=sys.stderr,
    )
    if not configured:
        print(f"The API reads it when API_KEYS_FILE={path} is set.", file=sys.stderr)
    return _EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from agents_core.auth.keys_file import read_keys_file

    path, _ = keys_file()
    keys = read_keys_file(path) if os.path.exists(path) else []
    if not keys:
        print(f"No keys in {path}.", file=sys.stderr)
        return _EXIT_OK
    for key in keys:
        print(f"{key.principal}\troles: {', '.join(key.roles) or '-'}\tcreated: {key.created}")
    return _EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    from agents_core.auth.keys_file import remove_key

    path, _ = keys_file()
    if not remove_key(path, args.name):
        print(f"error: {args.name!r} has no key in {path}.", file=sys.stderr)
        return _EXIT_FAILED
    print(f"Removed the key of {args.name!r} from {path}.", file=sys.stderr)
    return _EXIT_OK


def _principal(text: str) -> str:
    from agents_core.principals import validate_principal_id

    try:
        return validate_principal_id(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _role(text: str) -> str:
    from agents_core.auth.api_keys import check_role

    try:
        return check_role(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
