"""The `X-Run-Id` response header: a run's id, on its answer and on its error responses alike.

A route that starts a run records the id on the request (`remember_run_id`); the exception
handlers, which build new responses, add the header from there.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

RUN_ID_HEADER = "X-Run-Id"
"""Response header with the run's id: its log lines and its trace (`trace_<run id>`) carry it."""


def remember_run_id(connection: HTTPConnection, run_id: str) -> None:
    """Record the id of the run this request started (the request's state lives in its scope)."""
    connection.state.run_id = run_id


def run_id_headers(connection: HTTPConnection) -> dict[str, str]:
    """`{X-Run-Id: id}` when the request started a run, else empty."""
    run_id = getattr(connection.state, "run_id", None)
    return {RUN_ID_HEADER: run_id} if isinstance(run_id, str) else {}
