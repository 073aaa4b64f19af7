"""HTTP servers on 127.0.0.1 for tests that play a third party: an OpenID provider's JWKS, a
model gateway that answers garbage, a remote A2A agent, an OTLP receiver, Open-Meteo.

Each request runs in a thread of its own. Leaving `serving` stops the server and joins every
one of those threads, so nothing a test started still answers (or prints) during a later test:
`ThreadingHTTPServer` makes them daemons, which `server_close` never waits for. A handler that
raises fails the test when the server stops, where socketserver would only print it; a client
that hung up first (a `ConnectionError` on write) is not a failure, tests provoke that on purpose.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar


class LocalHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server on a free port of 127.0.0.1 that keeps its handlers' errors."""

    daemon_threads = False  # so that server_close() joins every request's thread

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.errors: list[BaseException] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, ConnectionError):
            self.errors.append(error)


Server = TypeVar("Server", bound=LocalHTTPServer)


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """Serve `server` in a thread for the block; stop it and join all its threads after."""
    # serve_forever polls for shutdown every 0.5 s by default: each stop would wait for it.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()  # joins the request threads
        thread.join()
    if server.errors:
        raise AssertionError(f"a request handler raised: {server.errors!r}") from server.errors[0]
