"""How uvicorn serves the API: read deadlines for slow clients, and a connection cap.

uvicorn has no deadline for reading a request: a client that sends its headers one byte at a
time, or a body that never ends, holds its connection (and a file descriptor) for as long as it
likes, and a few hundred such clients exhaust the server (slowloris). uvicorn's HTTP protocols
are extended here with two deadlines:

- HEADER_TIMEOUT_SECONDS: from a connection's first byte (or the first byte of the next request
  on a kept-alive connection, or the connection itself when it sends nothing) to the end of the
  request's headers;
- BODY_TIMEOUT_SECONDS: from the end of the headers to the end of the body.

A request that misses one gets `408` (when no response has started) and its connection is
closed. WebSocket connections leave these deadlines at the handshake. MAX_CONNECTIONS is
uvicorn's `limit_concurrency`: past it, new requests get 503 at once. `serve` (and so the
Dockerfile and compose.yaml, which run it) passes `server_options`; with uvicorn's own command,
pass the same: `uvicorn api:create_app --factory --http api.serving:BoundedH11Protocol
--limit-concurrency 1000 --timeout-keep-alive 5`.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import logging
from typing import Any, ClassVar, Final

from uvicorn.protocols.http.h11_impl import H11Protocol

from api.errors import error_json

logger = logging.getLogger("api.serving")

KEEP_ALIVE_SECONDS: Final = 5
"""How long an idle kept-alive connection stays open (uvicorn's `timeout_keep_alive`)."""
MAX_INCOMPLETE_EVENT_BYTES: Final = 16 * 1024
"""Largest request line plus headers (h11's `max_incomplete_event_size`); larger: 400."""


@functools.cache
def configured_deadlines() -> tuple[float, float]:
    """(HEADER_TIMEOUT_SECONDS, BODY_TIMEOUT_SECONDS) of this process's settings, read once."""
    from api.settings import ApiSettings

    settings = ApiSettings()
    return settings.header_timeout_seconds, settings.body_timeout_seconds


def _timeout_response(what: str, seconds: float) -> bytes:
    body = error_json(
        "request_timeout",
        f"The request's {what} did not arrive within {seconds:g} s.",
    ).encode("ascii")
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class ReadDeadlines:
    """Mixin for uvicorn's HTTP protocols (h11, httptools): the header and body deadlines.

    It watches the protocol's `cycle` (uvicorn's current request) around `data_received`: a new
    cycle means the headers arrived; `cycle.more_body` False means the body did.
    """

    header_timeout: ClassVar[float | None] = None
    """Seconds; None reads HEADER_TIMEOUT_SECONDS (subclasses may fix it)."""
    body_timeout: ClassVar[float | None] = None
    """Seconds; None reads BODY_TIMEOUT_SECONDS."""

    transport: asyncio.Transport
    cycle: Any
    loop: asyncio.AbstractEventLoop

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        headers, body = configured_deadlines()
        self._header_seconds = self.header_timeout if self.header_timeout is not None else headers
        self._body_seconds = self.body_timeout if self.body_timeout is not None else body
        self._deadline: asyncio.TimerHandle | None = None
        self._awaited: Any = None  # the cycle whose body is awaited
        self._arm(self._header_seconds, "headers")  # a connection that sends nothing, too

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        if self._deadline is None and (before is None or before.response_complete):
            self._arm(self._header_seconds, "headers")  # the next request on this connection
        super().data_received(data)  # type: ignore[misc]
        protocol: object = self.transport.get_protocol()
        if protocol is not self:  # upgraded: a WebSocket from now on
            self._disarm()
            return
        cycle = self.cycle
        if cycle is not before and cycle is not None:  # its headers are complete
            self._disarm()
            if cycle.more_body:
                self._arm(self._body_seconds, "body", cycle)
        elif self._awaited is not None and not self._awaited.more_body:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm(self, seconds: float, what: str, cycle: Any = None) -> None:
        self._disarm()
        self._awaited = cycle
        self._deadline = self.loop.call_later(seconds, self._expire, what, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._awaited = None

    def _expire(self, what: str, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        logger.info("closed a connection: the request's %s took over %g s", what, seconds)
        if what == "headers" or not getattr(cycle, "response_started", True):
            self.transport.write(_timeout_response(what, seconds))
        self.transport.close()


class BoundedH11Protocol(ReadDeadlines, H11Protocol):
    """uvicorn's h11 protocol with the read deadlines."""


@functools.cache
def _bounded_httptools_protocol() -> type[asyncio.Protocol]:
    # Made on first use: uvicorn's httptools protocol imports httptools, which only
    # `uvicorn[standard]` installs.
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class BoundedHttpToolsProtocol(ReadDeadlines, HttpToolsProtocol):
        """uvicorn's httptools protocol with the read deadlines."""

    BoundedHttpToolsProtocol.__qualname__ = BoundedHttpToolsProtocol.__name__
    return BoundedHttpToolsProtocol


def __getattr__(name: str) -> Any:
    # `api.serving:BoundedHttpToolsProtocol`, the name uvicorn imports (`--http`).
    if name == "BoundedHttpToolsProtocol":
        return _bounded_httptools_protocol()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def http_protocol() -> str:
    """The protocol for `uvicorn --http`: httptools (faster) when installed, else h11."""
    if importlib.util.find_spec("httptools") is not None:
        return "api.serving:BoundedHttpToolsProtocol"
    return "api.serving:BoundedH11Protocol"


def server_options(max_connections: int) -> dict[str, Any]:
    """uvicorn's options for slow clients and the connection cap (`uvicorn.run(**...)`)."""
    return {
        "http": http_protocol(),
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "limit_concurrency": max_connections,
        "h11_max_incomplete_event_size": MAX_INCOMPLETE_EVENT_BYTES,
    }
