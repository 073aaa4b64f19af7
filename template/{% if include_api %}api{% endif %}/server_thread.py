"""uvicorn with its event loop in a worker thread, so that signals stay with the main thread.

Code running on the event loop may replace the process's SIGTERM handler while it works.
Prefect's flow engine does it for every flow run (an in-process workflow run of the API): its
handler raises `TerminationSignal` in whatever code the main thread is running, and under
uvloop that is the loop's own signal callback, which logs the exception and goes on. A SIGTERM
during such a run never reached uvicorn: the server and Prefect's temporary server kept running
(issue 28). Python runs signal handlers only in the main thread and `signal.signal` works only
there: with the event loop in another thread, nothing on it can take the signals, and the main
thread does with them what uvicorn does (a graceful shutdown on SIGTERM/SIGINT, the lifespan's
shutdown included; a second SIGINT skips the wait), then raises the signal again for the
handler that was there before (the CLI's: exit status 143 after SIGTERM).

With `--reload` or more than one worker uvicorn's supervisor runs its own servers (each in the
main thread of its process): `serve` passes those options to `uvicorn.run` unchanged.
"""

from __future__ import annotations

import threading
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE


class MainThreadSignalsServer(uvicorn.Server):
    """A `uvicorn.Server` whose `run()` serves from a worker thread when called in the main one."""

    def run(self, sockets: Any = None) -> None:
        if threading.current_thread() is not threading.main_thread():
            super().run(sockets)
            return
        failure: list[BaseException] = []

        def serve() -> None:
            try:
                super(MainThreadSignalsServer, self).run(sockets)
            except BaseException as error:  # re-raised in the main thread (SystemExit too)
                failure.append(error)

        loop_thread = threading.Thread(target=serve, name="uvicorn-event-loop")
        # uvicorn's own handlers (they only set flags the loop reads every 0.1 s), installed in
        # the main thread; on the way out the previous ones come back and get the signal.
        with self.capture_signals():
            loop_thread.start()
            loop_thread.join()  # a signal interrupts the wait, runs its handler, waits again
        if failure:
            raise failure[0]


def serve(app: str, **options: Any) -> None:
    """`uvicorn.run(app, **options)`, with the signals in the main thread for a single worker."""
    if options.get("reload") or options.get("workers", 1) > 1:
        uvicorn.run(app, **options)
        return
    config = uvicorn.Config(app, **options)
    config.load_app()
    server = MainThreadSignalsServer(config)
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)
