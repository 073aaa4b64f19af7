"""The tests' own HTTP servers: nothing they start outlives a test, no error is only printed."""

from __future__ import annotations

import threading
import time
import urllib.request
from http.client import RemoteDisconnected
from http.server import BaseHTTPRequestHandler

import pytest

from tests.local_http import LocalHTTPServer, serving


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_leaving_joins_every_request_thread() -> None:
    release = threading.Event()
    threads: list[threading.Thread] = []

    class Slow(_Quiet):
        """Answers once the test lets it, after the client gave up (a remote that times out)."""

        def do_GET(self) -> None:
            threads.append(threading.current_thread())
            release.wait(10)
            time.sleep(0.3)  # then works a while before answering into the closed connection
            self.send_response(204)
            self.end_headers()

    with serving(LocalHTTPServer(Slow)) as server:
        with pytest.raises(OSError, match="timed out"):
            urllib.request.urlopen(server.url, timeout=0.2)
        release.set()
    [thread] = threads
    assert not thread.is_alive()  # ThreadingHTTPServer's daemon threads were never joined


def _raising(error: Exception) -> type[BaseHTTPRequestHandler]:
    class Raises(_Quiet):
        def do_GET(self) -> None:
            raise error

    return Raises


def _get(url: str) -> None:
    with pytest.raises(RemoteDisconnected):  # the handler raised: no answer at all
        urllib.request.urlopen(url, timeout=5)


def test_a_handler_that_raises_fails_the_test_a_client_that_left_does_not() -> None:
    server = LocalHTTPServer(_raising(ValueError("a bug in the handler")))
    with pytest.raises(AssertionError, match="a bug in the handler"), serving(server):
        _get(server.url)
    with serving(LocalHTTPServer(_raising(BrokenPipeError("the client hung up")))) as server:
        _get(server.url)
    assert server.errors == []
