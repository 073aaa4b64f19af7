"""The API keys file (`API_KEYS_FILE`): TOML holding each key's SHA-256 hash, never the key.

```toml
[[keys]]
principal = "alice"
roles = ["admin"]
hash = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
created = "2026-12-07T05:50:00+00:00"
```

`add_key` makes a random key, stores its hash and returns the key (shown once); the file is
created readable by its owner only (0600) and replaced atomically.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agents_core.auth.api_keys import KeyEntry, check_hash, check_role, entry, hash_key
from agents_core.exceptions import ConfigurationError
from agents_core.principals import Principal, validate_principal_id

_HEADER = (
    "# API keys: SHA-256 hashes only, written by the `keys add` command.\n"
    "# Each [[keys]] table: principal, roles, hash (sha256:<hex>), created.\n"
)


@dataclass(frozen=True)
class StoredKey:
    """One key of the file, as stored (no secret)."""

    principal: str
    roles: tuple[str, ...]
    key_hash: str
    created: str

    def entry(self) -> KeyEntry:
        return entry(Principal(self.principal, frozenset(self.roles)), self.key_hash)


def read_keys_file(path: Path) -> list[StoredKey]:
    """The keys of `path`; ConfigurationError naming the file and the fault when it is invalid."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"API_KEYS_FILE={path} does not exist; create keys with the `keys add NAME` command"
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"API_KEYS_FILE={path} cannot be read: {error}") from None
    tables = data.get("keys", [])
    if not isinstance(tables, list) or set(data) - {"keys"}:
        raise ConfigurationError(f"API_KEYS_FILE={path}: only [[keys]] tables are allowed")
    keys: list[StoredKey] = []
    for number, table in enumerate(tables, start=1):
        try:
            keys.append(_stored_key(table))
        except (ValueError, TypeError) as error:
            raise ConfigurationError(f"API_KEYS_FILE={path}: key {number}: {error}") from None
    names = [key.principal for key in keys]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigurationError(
            f"API_KEYS_FILE={path}: principal(s) {', '.join(duplicates)} appear more than once"
        )
    return keys


def _stored_key(table: object) -> StoredKey:
    if not isinstance(table, dict):
        raise TypeError("must be a table")
    unknown = set(table) - {"principal", "roles", "hash", "created"}
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}")
    principal, roles, key_hash = table.get("principal"), table.get("roles", []), table.get("hash")
    if not isinstance(principal, str) or not isinstance(key_hash, str):
        raise ValueError("needs 'principal' and 'hash' strings")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise ValueError("'roles' must be a list of strings")
    validate_principal_id(principal)
    return StoredKey(
        principal=principal,
        roles=tuple(check_role(role) for role in roles),
        key_hash=check_hash(key_hash),
        created=str(table.get("created", "")),
    )


def write_keys_file(path: Path, keys: list[StoredKey]) -> None:
    """Replace `path` with `keys`, atomically, readable by its owner only."""
    lines = [_HEADER]
    for key in keys:
        lines.append(
            "\n[[keys]]\n"
            f"principal = {json.dumps(key.principal)}\n"
            f"roles = {json.dumps(list(key.roles))}\n"
            f"hash = {json.dumps(key.key_hash)}\n"
            f"created = {json.dumps(key.created)}\n"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600; os.replace keeps its mode.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write("".join(lines))
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add_key(path: Path, principal: str, roles: tuple[str, ...] = ()) -> str:
    """Create a key for `principal`, store its hash in `path`, and return the key itself."""
    validate_principal_id(principal)
    for role in roles:
        check_role(role)
    keys = read_keys_file(path) if path.exists() else []
    if any(key.principal == principal for key in keys):
        raise ConfigurationError(
            f"{principal!r} already has a key in {path}; remove it first "
            f"(`keys remove {principal}`)"
        )
    key = secrets.token_urlsafe(32)
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    keys.append(StoredKey(principal, tuple(sorted(set(roles))), hash_key(key), created))
    write_keys_file(path, keys)
    return key


def remove_key(path: Path, principal: str) -> bool:
    """Remove `principal`'s key from `path`; False when it had none."""
    keys = read_keys_file(path) if path.exists() else []
    kept = [key for key in keys if key.principal != principal]
    if len(kept) == len(keys):
        return False
    write_keys_file(path, kept)
    return True
