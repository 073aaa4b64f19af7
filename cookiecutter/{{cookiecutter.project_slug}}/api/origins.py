"""Which web pages may open the API's WebSockets.

Browsers do not apply CORS to WebSockets: any page a developer visits could open
`ws://127.0.0.1:8000/runs/ws` and drive the agents with the developer's credentials and credit
(cross-site WebSocket hijacking). Browsers always send `Origin` on a WebSocket handshake, so the
API accepts one only from its own origin or an origin of CORS_ORIGINS; clients that are not
browsers (scripts, tests) send no `Origin` and are left to the API key.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers


def origin_allowed(headers: Headers, allowed: Sequence[str]) -> bool:
    """True when the handshake's `Origin` is absent, the server's own, or in `allowed`."""
    origin = headers.get("origin")
    if origin is None:
        return True
    if "*" in allowed:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (sandboxed pages, files) and anything odd
    host = headers.get("host", "")
    if parts.netloc.lower() == host.lower():
        return True
    normalized = f"{parts.scheme}://{parts.netloc}".lower()
    return normalized in {entry.rstrip("/").lower() for entry in allowed}
