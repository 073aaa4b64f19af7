"""Start the catalog's flows from the API and read their runs back from Prefect.

Two execution modes (`WORKFLOW_EXECUTION`):

- ``in-process`` (default, no infrastructure): the API process creates the flow run on the
  Prefect server (ephemeral, or the one of ``PREFECT_API_URL``) and runs it in the background on
  its own event loop. A run that is still going when the API process stops is lost: Prefect
  shows it as Running until it is marked Crashed or Late. Use it for development and demos.
- ``deployment``: the API asks Prefect to run the flow's deployment (`prefect.yaml`, named
  ``<Flow title>/<catalog name>``) and returns at once; a worker polling the work pool runs it.
  Runs survive API restarts, and scale with the workers.

Prefect is imported here on first use, never when `api` is imported, and off the event loop: the
import and the start of the local (ephemeral) server take seconds, which would stall every other
request (`WorkflowRunner.prepare`). The server this process started is stopped at shutdown
(`WorkflowRunner.close`), on SIGTERM and SIGINT too. A shutdown while Prefect is still being
imported does not wait for it (the import runs in a daemon thread, and no server starts after
the shutdown began); one while the local server starts waits for it a bounded time.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import httpx
from pydantic import Field
from pydantic_core import to_jsonable_python
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents_core.observability.redaction import redact
from agents_core.principals import LOCAL, Principal
from api.errors import ApiError

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

    from workflows_core.catalog import FlowInfo

logger = logging.getLogger("api.workflows")

ExecutionMode = Literal["in-process", "deployment"]

SERVER_START_WAIT_SECONDS = 3.0
"""At shutdown, how long to wait for a local Prefect server that is starting, to stop it.

Its process exists a few milliseconds into the wait; once it does, Prefect's exit handler (and,
after SIGTERM, the CLI's stop of its children) stop it if the wait gives up.
"""


class WorkflowSettings(BaseSettings):
    """How the API runs workflows (read from the environment and `.env`)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    workflow_execution: ExecutionMode = Field(
        default="in-process",
        description="in-process: run flows in the API process (lost on restart); deployment: "
        "submit them to their Prefect deployment, a worker runs them.",
    )
    workflow_max_parameters_chars: int = Field(
        default=100_000,
        ge=1,
        description="Largest JSON size of a run's parameters, in bytes of UTF-8.",
    )


@dataclass(frozen=True)
class RunState:
    """What the API says about one flow run."""

    flow_run_id: UUID
    flow: str | None
    """Catalog name of the flow (None if the flow is not in this project's catalog)."""
    name: str
    """Prefect's name of the run, e.g. "crimson-otter"."""
    deployment_id: UUID | None
    parameters: dict[str, Any]
    state_type: str
    """SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, CRASHED, CANCELLED, ..."""
    state_name: str
    final: bool
    message: str | None
    created: datetime | None
    started: datetime | None
    ended: datetime | None
    result: Any
    result_available: bool
    error: str | None


def deployment_name(info: FlowInfo) -> str:
    """``<Flow title>/<catalog name>``: how prefect.yaml names the flow's deployment."""
    return f"{info.title}/{info.name}"


class WorkflowRunner:
    """Starts flow runs in one mode and reads any flow run's state by id."""

    def __init__(self, settings: WorkflowSettings | None = None) -> None:
        self.settings = settings if settings is not None else WorkflowSettings()
        # In-process runs: the event loop keeps only weak references to tasks.
        self._running: set[asyncio.Task[Any]] = set()
        self._prepared: asyncio.Future[None] | None = None
        self._preparation = _Preparation()

    async def prepare(self) -> None:
        """Import Prefect and reach its server (starting the local one) in a worker thread, once.

        Every call waits for the same preparation; a failed one is retried by the next call.
        """
        if self._prepared is None or (self._prepared.done() and self._prepared.exception()):
            # Not asyncio.to_thread: the loop's end (and so a shutdown) would wait for the
            # thread, i.e. for Prefect's whole import and server start (15 to 36 s measured).
            self._prepared = _in_daemon_thread(lambda: _prepare_prefect(self._preparation))
        await asyncio.shield(self._prepared)

    async def close(self) -> None:
        """Cancel in-process runs still going and stop the local Prefect server, if started."""
        self._preparation.closing.set()
        for task in list(self._running):
            task.cancel()
        await self.wait_all()
        if self._prepared is not None:
            await asyncio.to_thread(_stop_local_server, self._preparation)

    @property
    def mode(self) -> ExecutionMode:
        return self.settings.workflow_execution

    async def start(
        self, info: FlowInfo, parameters: dict[str, Any], principal: Principal = LOCAL
    ) -> FlowRun:
        """Create a run of `info`'s flow with checked `parameters`; returns at once.

        The run is tagged as `principal`'s (`workflows_core.ownership`): only it (or role
        admin) reads it back, and its agents act for it.
        """
        try:
            await self.prepare()  # imports Prefect (workflows_core) off the event loop
            from workflows_core.ownership import principal_tag

            tags = [principal_tag(principal)]
            if self.mode == "deployment":
                return await self._submit_to_deployment(info, parameters, tags)
            return await self._start_in_process(info, parameters, tags)
        except (httpx.HTTPError, OSError) as error:
            raise _unavailable(error) from error

    async def _start_in_process(
        self, info: FlowInfo, parameters: dict[str, Any], tags: list[str]
    ) -> FlowRun:
        from prefect import get_client
        from prefect.flow_engine import run_flow_async
        from prefect.states import Pending

        # The result is written to Prefect's result storage so that the run's state can be read
        # back by id later (GET /workflows/runs/{id}), like a worker's runs.
        flow = info.flow.with_options(persist_result=True)
        async with get_client() as client:
            flow_run = await client.create_flow_run(
                flow, parameters=parameters, state=Pending(), tags=tags
            )
        # Every flow of the catalog is async: it runs on the API's event loop.
        runner = run_flow_async(flow, flow_run=flow_run, parameters=parameters, return_type="state")
        task = asyncio.ensure_future(runner)
        self._running.add(task)
        task.add_done_callback(self._done)
        return flow_run

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The flow's own failures end as a Failed state; this is Prefect itself failing.
            logger.error("in-process flow run crashed", exc_info=task.exception())

    async def _submit_to_deployment(
        self, info: FlowInfo, parameters: dict[str, Any], tags: list[str]
    ) -> FlowRun:
        from prefect.deployments import arun_deployment
        from prefect.exceptions import ObjectNotFound

        name = deployment_name(info)
        try:
            # timeout=0: create the run (Scheduled) and return; a worker picks it up.
            return await arun_deployment(
                name, parameters=to_jsonable_python(parameters), timeout=0, tags=tags
            )
        except ObjectNotFound:
            raise ApiError(
                503,
                "deployment_not_found",
                f"The Prefect server has no deployment {name!r} (WORKFLOW_EXECUTION=deployment): "
                "run `prefect --no-prompt deploy --all` in the project.",
                {"deployment": name},
            ) from None

    async def read(self, flow_run_id: UUID, principal: Principal = LOCAL) -> RunState:
        """The state of a flow run of `principal`'s (any for role admin); 404 for an unknown
        id and for another principal's run alike."""
        try:
            await self.prepare()
            from prefect import get_client
            from prefect.exceptions import ObjectNotFound

            from workflows_core.ownership import may_read

            unknown = ApiError(
                404,
                "unknown_flow_run",
                f"No flow run has the id {flow_run_id}.",
                {"flow_run_id": str(flow_run_id)},
            )
            async with get_client() as client:
                try:
                    flow_run = await client.read_flow_run(flow_run_id)
                except ObjectNotFound:
                    raise unknown from None
                if not may_read(principal, flow_run.tags):
                    raise unknown
                flow = await client.read_flow(flow_run.flow_id)
            return await _run_state(flow_run, flow.name)
        except (httpx.HTTPError, OSError) as error:
            raise _unavailable(error) from error

    async def wait_all(self) -> None:
        """Wait for every in-process run this runner started (tests, shutdown)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)


@dataclass
class _Preparation:
    """What the thread preparing Prefect and `WorkflowRunner.close` share."""

    closing: threading.Event = field(default_factory=threading.Event)
    """Set by `close`: no local server starts after it."""
    starting: threading.Lock = field(default_factory=threading.Lock)
    """Held while the preparation reaches the server (and starts the local one)."""
    local: bool = False
    """True once the preparation may have started the local server (no PREFECT_API_URL)."""


def _in_daemon_thread(function: Callable[[], None]) -> asyncio.Future[None]:
    """`function()` in a daemon thread (with this context's variables: Prefect's settings), as a
    future of the running loop."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    # Its awaiters get its error; one that nobody awaits any more (the request was cancelled,
    # the API is shutting down) is not an "exception never retrieved".
    future.add_done_callback(lambda done: done.cancelled() or done.exception())

    def settle(error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(None)

    def run() -> None:
        error: BaseException | None = None
        try:
            function()
        except BaseException as problem:  # handed to the future (SystemExit included)
            error = problem
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, error)

    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(run,), name="prefect-prepare", daemon=True).start()
    return future


def _prepare_prefect(preparation: _Preparation) -> None:
    """Blocking: import what runs need and reach the server (`preparation.local`: whether it
    may have started the local one)."""
    # Seconds of imports, done once in this thread; the engines import more on first use.
    import prefect.flow_engine
    import prefect.results
    import prefect.task_engine
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL

    local = not PREFECT_API_URL.value()
    if local:  # the server's code, seconds of imports: the start below then only spawns it
        import prefect.server.api.server  # noqa: F401
    with preparation.starting:
        if preparation.closing.is_set():
            raise ApiError(503, "workflows_unavailable", "The API is shutting down.")
        preparation.local = local
        with get_client(sync_client=True) as client:  # no API URL: starts the local server
            problem = client.api_healthcheck()
    if problem is not None:
        raise problem


def _stop_local_server(preparation: _Preparation) -> None:
    """Blocking: stop the local Prefect server this process started, if any.

    Only a local one (not the server of PREFECT_API_URL, nor a test harness's). A server still
    starting is waited for, at most SERVER_START_WAIT_SECONDS; past that it is left to Prefect's
    own exit handler (and, after SIGTERM, to the CLI's stop of its children).
    """
    if not preparation.starting.acquire(timeout=SERVER_START_WAIT_SECONDS):
        logger.warning(
            "Prefect's local server was still starting after %s s of shutdown: not waiting "
            "any longer",
            SERVER_START_WAIT_SECONDS,
        )
        return
    try:
        server_module = sys.modules.get("prefect.server.api.server")
        if not preparation.local or server_module is None:
            return  # none started (the start imports that module)
        for server in list(server_module.SubprocessASGIServer._instances.values()):
            server.stop()
    finally:
        preparation.starting.release()


async def _run_state(flow_run: FlowRun, flow_title: str) -> RunState:
    from prefect.client.schemas.objects import StateType

    from workflows_core.catalog import list_flows

    by_title = {info.title: info.name for info in list_flows()}
    state = flow_run.state
    result: Any = None
    available = False
    error: str | None = None
    if state is not None and state.type == StateType.COMPLETED:
        try:
            result = to_jsonable_python(await state.aresult(), fallback=str)
            available = True
        except Exception as problem:  # not persisted, or in storage this process cannot read
            logger.info("result of flow run %s not available: %s", flow_run.id, problem)
    elif state is not None and state.type in (StateType.FAILED, StateType.CRASHED):
        # The message names the exception ("Flow run encountered an exception: ValueError: ...").
        error = state.message or state.name
        error = redact(error) if error else error
    return RunState(
        flow_run_id=flow_run.id,
        flow=by_title.get(flow_title),
        name=flow_run.name,
        deployment_id=flow_run.deployment_id,
        parameters=to_jsonable_python(flow_run.parameters, fallback=str),
        state_type=state.type.value if state is not None else "UNKNOWN",
        state_name=(state.name or state.type.value.title()) if state is not None else "Unknown",
        final=state.is_final() if state is not None else False,
        message=redact(state.message) if state is not None and state.message else None,
        created=flow_run.created,
        started=flow_run.start_time,
        ended=flow_run.end_time,
        result=result,
        result_available=available,
        error=error,
    )


def _unavailable(error: Exception) -> ApiError:
    logger.error("Prefect call failed", exc_info=error)
    return ApiError(
        503,
        "workflows_unavailable",
        f"The Prefect server cannot be reached or refused the call ({type(error).__name__}); check "
        "PREFECT_API_URL and the server's logs.",
    )
