"""A real uvicorn server on 127.0.0.1 (port 0) in a thread, for streaming tests.

httpx's ASGI transport buffers whole responses, so SSE and WebSockets are tested over a socket.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI

from tests.conftest import checked_loop, require_slow_tier


@contextmanager
def serve(app: FastAPI, *, lifespan: Literal["on", "off"] = "off", **options: Any) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL (http://127.0.0.1:<port>).

    `lifespan="on"` runs the app's startup and shutdown, e.g. to close its model clients in the
    server's own event loop (those of a real model server cannot outlive it); `options` are more
    of uvicorn's (`http=...`). Only tests marked `slow` may serve (tests/conftest.py).
    """
    require_slow_tier("serves the app with uvicorn")
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan=lifespan,
        ws="websockets-sansio",
        timeout_graceful_shutdown=2,
        **options,
    )
    server = uvicorn.Server(config)

    def run() -> None:
        # The server's loop reports what its tasks leave unhandled, as the tests' loops do.
        with asyncio.Runner(loop_factory=checked_loop) as runner:
            runner.run(server.serve())

    thread = threading.Thread(target=run, name="uvicorn", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            thread.join(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
