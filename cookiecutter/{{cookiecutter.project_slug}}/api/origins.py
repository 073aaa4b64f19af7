"""Which web pages may open the API's WebSockets (and call /mcp).

Browsers do not apply CORS to WebSockets: any page a developer visits could open
`ws://127.0.0.1:8000/runs/ws` and drive the agents with the developer's credentials and credit
(cross-site WebSocket hijacking). Browsers always send `Origin` on a WebSocket handshake, so the
API accepts one only from a page served under an allowed host name (loopback names and
ALLOWED_HOSTS: `api.hosts`) or from an origin of CORS_ORIGINS. Never from the request's own
`Host` header: a DNS-rebinding page sends a `Host` and an `Origin` that agree. Clients that are
not browsers (scripts, tests) send no `Origin` and are left to the API key.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers

from api.hosts import HostAllowlist


def origin_allowed(headers: Headers, allowed: Sequence[str], hosts: HostAllowlist) -> bool:
    """True when the handshake's `Origin` is absent, under an allowed host, or in `allowed`
    (CORS_ORIGINS; `*` there allows any but `null`)."""
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin.strip().lower() == "null":  # sandboxed frames, files: any site can make one
        return False
    if "*" in allowed:
        return True
    normalized = origin.rstrip("/").lower()
    if normalized in {entry.rstrip("/").lower() for entry in allowed}:
        return True
    return hosts.allows_origin(normalized)
