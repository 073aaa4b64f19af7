"""Loopback hosts: where running without credentials, and plain-http key URLs, are allowed."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1), brackets allowed."""
    name = host.strip().lower().removeprefix("[").removesuffix("]")
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_key_url(url: str, variable: str) -> str:
    """Return `url` if it is https://, or http:// to a loopback host; else raise ValueError.

    Signing keys fetched over plain http from another host could be swapped on the way, and
    every token signed with the swapped keys would be accepted.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or any(c.isspace() for c in url):
        raise ValueError(f"{variable} must be an https:// URL without spaces, got {url!r}")
    if parts.username or parts.password:
        raise ValueError(f"{variable} must not carry credentials (user:password@)")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(
            f"{variable} must use https:// (http:// is accepted only for localhost, 127.0.0.1 "
            f"and ::1), got {url!r}"
        )
    return url
