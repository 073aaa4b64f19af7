"""Which `Host` names the API answers: the guard against DNS rebinding, before every route.

A web page on any domain can make its name resolve to 127.0.0.1 (DNS rebinding): the browser
then sends the page's requests to the local API, with `Host: evil.example`, and lets the page
read the answers. So the API answers only requests whose `Host` is a loopback name
(`localhost`, `127.0.0.1` and the rest of 127.0.0.0/8, `[::1]`, any port) or a name of
ALLOWED_HOSTS; any other gets 400 before a handler runs: REST routes, /mcp, and the WebSocket
handshake.

ALLOWED_HOSTS entries: `api.example.com` (that name), `*.example.com` (its subdomains, at any
depth, not `example.com` itself), an IP address, or `*` alone (any host: only behind a proxy
that checks `Host` itself). A port is never part of an entry: any port is accepted.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_json

ANY_HOST: Final = "*"
LOOPBACK_NAMES: Final = frozenset({"localhost"})

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_PORT = re.compile(r"[0-9]{1,5}")


def host_name(value: str) -> str | None:
    """The name of a `Host` header value (`Name:8000` -> `name`, `[::1]:80` -> `::1`), or None
    when it is not a well-formed host (a user part, a path, a bad port, odd characters)."""
    value = value.lower()
    if value.startswith("["):
        inside, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not (rest[0] == ":" and _is_port(rest[1:]))):
            return None
        try:
            return str(ipaddress.IPv6Address(inside))
        except ValueError:
            return None
    name, colon, port = value.partition(":")
    if colon and not _is_port(port):
        return None
    name = name.removesuffix(".")  # `localhost.` is `localhost`, as DNS reads it
    if not _NAME.fullmatch(name):
        return None
    return name


def _is_port(text: str) -> bool:
    return _PORT.fullmatch(text) is not None and int(text) <= 65_535


def _is_loopback(name: str) -> bool:
    if name in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def parse_allowed_hosts(text: str) -> list[str]:
    """ALLOWED_HOSTS as a list of normalized entries; a bad entry raises ValueError."""
    entries: list[str] = []
    for raw in text.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == ANY_HOST:
            entries.append(entry)
            continue
        name = entry.removeprefix("*.")
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        normalized = _entry_name(name)
        if normalized is None or (entry.startswith("*.") and ":" in normalized):
            raise ValueError(
                f"{raw.strip()!r} is not a host name: use names such as api.example.com, "
                "*.example.com (its subdomains) or an IP address, without scheme, port or path; "
                "'*' alone allows any host"
            )
        entries.append(("*." if entry.startswith("*.") else "") + normalized)
    return entries


def _entry_name(name: str) -> str | None:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    name = name.removesuffix(".")
    return name if _NAME.fullmatch(name) else None


@dataclass(frozen=True)
class HostAllowlist:
    """The loopback names plus the entries of ALLOWED_HOSTS (see `parse_allowed_hosts`)."""

    entries: Sequence[str] = ()

    def allows(self, host: str | None) -> bool:
        """True when the `Host` header value `host` may be answered."""
        if ANY_HOST in self.entries:
            return True
        name = host_name(host) if host else None
        if name is None:
            return False
        if _is_loopback(name):
            return True
        for entry in self.entries:
            if entry.startswith("*."):
                if name.endswith(entry[1:]):  # ".example.com": subdomains only
                    return True
            elif name == entry:
                return True
        return False

    def allows_origin(self, origin: str) -> bool:
        """True when a page of `origin` (`http(s)://host[:port]`) is served under an allowed
        name; never for `null` (sandboxed frames, files) or other schemes."""
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or parts.path or parts.query:
            return False
        return "@" not in parts.netloc and self.allows(parts.netloc)


class HostCheckMiddleware:
    """Pure ASGI middleware: 400 for a request or WebSocket handshake to a host not allowed."""

    def __init__(self, app: ASGIApp, allowlist: HostAllowlist) -> None:
        self.app = app
        self.allowlist = allowlist

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        hosts = Headers(scope=scope).getlist("host")
        host = hosts[0] if len(hosts) == 1 else None  # two are refused (RFC 9112, 3.2)
        if self.allowlist.allows(host):
            await self.app(scope, receive, send)
            return
        shown = f"Host {host[:100]!r}" if host is not None else f"{len(hosts)} Host headers"
        body = error_json(
            "host_not_allowed",
            f"{shown} is not allowed: this service answers localhost, 127.0.0.1 and [::1], "
            "and the names of ALLOWED_HOSTS (comma-separated; '*.example.com' for subdomains).",
        ).encode("ascii")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
        ]
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif "websocket.http.response" in scope.get("extensions", {}):
            start = {"type": "websocket.http.response.start", "status": 400, "headers": headers}
            await send(start)
            await send({"type": "websocket.http.response.body", "body": body})
        else:  # a server without the extension answers 403 to a refused handshake
            await send({"type": "websocket.close", "code": 1008})
