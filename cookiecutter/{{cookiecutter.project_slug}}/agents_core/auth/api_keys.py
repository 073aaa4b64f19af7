"""API keys: what a key may look like, how it is hashed, and which principal a key is.

Keys are compared by their SHA-256 digests, every stored digest each time, with
`hmac.compare_digest`: the time taken does not depend on how much of a key was right nor on which
key matched. A fast hash is enough because the keys `keys add` makes are 256 random bits (as
GitHub's and Stripe's tokens); a slow password hash would cost every request milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

from agents_core.principals import Principal, validate_principal_id

KEY_PATTERN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,512}")
"""RFC 9110 token characters, as a key travels in headers and in a WebSocket subprotocol."""
KEY_RULE = (
    "1-512 letters, digits and !#$%&'*+-.^_`|~ (no spaces, no ':' or ','), e.g. the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
)
HASH_PREFIX = "sha256:"
_HASH = re.compile(r"sha256:[0-9a-f]{64}")
ROLE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
DEFAULT_KEY_PRINCIPAL = "default"
"""The principal of the single `API_KEY`."""


def check_key(key: str, variable: str) -> str:
    """Return `key` if it is made of allowed characters, else raise ValueError naming `variable`."""
    if not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"{variable}: a key must be {KEY_RULE}")
    return key


def check_role(role: str) -> str:
    if not ROLE_PATTERN.fullmatch(role):
        raise ValueError(
            f"invalid role {role!r}: use 1-64 letters, digits or ._:- starting with a letter "
            "or digit"
        )
    return role


def hash_key(key: str) -> str:
    """`sha256:<hex>` of the key: what the keys file stores."""
    return HASH_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def check_hash(value: str) -> str:
    if not _HASH.fullmatch(value):
        raise ValueError(f"a key hash must be 'sha256:' and 64 hex digits, got {value[:20]!r}...")
    return value


def parse_api_keys(text: str) -> list[tuple[str, str]]:
    """`principal:key,principal:key` -> [(principal, key)]; ValueError says what is wrong.

    A principal id may itself hold ':', a key may not: each pair splits at its last ':'.
    """
    pairs: list[tuple[str, str]] = []
    for number, item in enumerate(text.split(","), start=1):
        item = item.strip()
        principal, sep, key = item.rpartition(":")
        if not sep or not principal or not key:
            raise ValueError(f"pair {number} is not 'principal:key' (pairs are comma-separated)")
        try:
            validate_principal_id(principal)
        except ValueError as error:
            raise ValueError(f"pair {number}: {error}") from None
        check_key(key, f"pair {number}")
        pairs.append((principal, key))
    principals = [principal for principal, _ in pairs]
    for principal in principals:
        if principals.count(principal) > 1:
            raise ValueError(f"principal {principal!r} appears twice (one key each)")
    if len({key for _, key in pairs}) != len(pairs):
        raise ValueError("two principals have the same key")
    return pairs


@dataclass(frozen=True)
class KeyEntry:
    """One accepted key: its digest and the principal it authenticates."""

    principal: Principal
    digest: bytes
    """SHA-256 of the key."""


def entry(principal: Principal, key_hash: str) -> KeyEntry:
    return KeyEntry(principal, bytes.fromhex(check_hash(key_hash).removeprefix(HASH_PREFIX)))


def match_key(key: str, entries: Iterable[KeyEntry]) -> Principal | None:
    """The principal of `key`, comparing its digest with every entry's in constant time."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
    found: Principal | None = None
    for candidate in entries:
        # No early exit: every entry is compared whichever matches.
        if hmac.compare_digest(digest, candidate.digest):
            found = candidate.principal
    return found
