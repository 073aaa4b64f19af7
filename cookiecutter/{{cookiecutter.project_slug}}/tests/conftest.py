"""Test guards: no network but loopback, no real model call, no global state leaking."""

from __future__ import annotations

import asyncio
import atexit
import gc
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from agents.models.openai_chatcompletions import OpenAIChatCompletionsModel
from agents.models.openai_responses import OpenAIResponsesModel

from agents_core import AgentDefinition, register_agent, register_tool
from agents_core.config import get_settings
from agents_core.registry import (
    get_agent_registry,
    get_guardrail_registry,
    get_mcp_server_registry,
    get_tool_registry,
)

# Prefect (workflows_core) reads its settings and creates its home folder when first imported:
# give it a private home and quiet, fast settings now, before any test module imports it.
# Harmless in projects without Prefect.
_PREFECT_TEST_HOME = tempfile.mkdtemp(prefix="prefect-test-home-")
atexit.register(shutil.rmtree, _PREFECT_TEST_HOME, True)
os.environ.pop("PREFECT_API_URL", None)  # never reach a Prefect server of yours
os.environ.update(
    PREFECT_HOME=_PREFECT_TEST_HOME,
    DO_NOT_TRACK="1",
    PREFECT_SERVER_ANALYTICS_ENABLED="false",
    PREFECT_LOGGING_TO_API_ENABLED="false",
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120",
)
# The test server's background services are not needed and add random ~2 s pauses.
_SERVICES_OFF = ("EVENT_PERSISTER", "TRIGGERS", "TASK_RUN_RECORDER", "SCHEDULER", "LATE_RUNS")
for _service in (*_SERVICES_OFF, "FOREMAN"):
    os.environ[f"PREFECT_SERVER_SERVICES_{_service}_ENABLED"] = "false"

# The garbage collector (issue 26). The in-process tests build many short-lived objects (an app,
# its route models, agents, clients per test). With Python's default thresholds (700, 10, 10) the
# fast tier ran 16 full collections of a heap of ~600,000 objects, ~0.37 s each: 6.9 s of its
# ~45 s. Collecting the youngest generation every 10,000 allocations leaves one, 2.1 s in all.
# And what imports and collection made lives to the end: `pytest_collection_finish` freezes it,
# so the collections during the tests and pytest's own at the end (it reports what a finalizer
# raised) scan only what the tests made. Cycles are still collected, later.
gc.set_threshold(10_000, 20, 20)

# Each test gets a fresh tmp_path and DATA_DIR: SQLite files (sessions, approvals, limits, the
# sales sample), each created, synced and deleted. On a disk every new WAL database costs ~20 ms
# of fsyncs, 1 ms per file deleted; in memory (tmpfs) well under 1 ms. Measured on the default
# project: most of the in-process tests' time (issue 26). So pytest's temporary directories go to
# /dev/shm when it exists with room to spare (pytest keeps the last 3 runs' directories there,
# ~100 MB each). Choose another place with PYTEST_DEBUG_TEMPROOT or --basetemp.
_TMPFS = Path("/dev/shm")
if (
    "PYTEST_DEBUG_TEMPROOT" not in os.environ
    and _TMPFS.is_dir()
    and os.access(_TMPFS, os.W_OK)
    and shutil.disk_usage(_TMPFS).free > 2 * 1024**3
):
    os.environ["PYTEST_DEBUG_TEMPROOT"] = str(_TMPFS)

_ENV_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_API",
    "MODEL_TIMEOUT_SECONDS",
    "MODEL_MAX_RETRIES",
    "MODEL_RETRY_DELAY_SECONDS",
    "READY_CHECKS_MODEL",
    "LLM_PROVIDER",
    "DEFAULT_MODEL",
    "SESSION_URL",
    "SESSION_MAX_ITEMS",
    "SESSION_LOCK_TIMEOUT_SECONDS",
    "APPROVAL_TIMEOUT_SECONDS",
    "REQUIRE_SQL_APPROVAL",
    "MAX_TURNS",
    "MCP_SERVERS_FILE",
    "A2A_AGENTS_FILE",
    "MAX_INPUT_CHARS",
    "TRACING",
    "TRACING_EXPORTER",
    "TRACING_CAPTURE_CONTENT",
    "OTEL_SERVICE_NAME",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "WEATHER_GEOCODING_URL",
    "WEATHER_FORECAST_URL",
    "WEATHER_TIMEOUT_SECONDS",
    "API_KEY",
    "API_KEYS",
    "API_KEYS_FILE",
    "JWT_ISSUER",
    "JWT_JWKS_URL",
    "JWT_AUDIENCE",
    "JWT_ALGORITHMS",
    "JWT_SECRET",
    "JWT_PRINCIPAL_CLAIM",
    "JWT_ROLES_CLAIM",
    "JWT_LEEWAY_SECONDS",
    "JWT_JWKS_CACHE_SECONDS",
    "JWT_JWKS_REFETCH_SECONDS",
    "CORS_ORIGINS",
    "MAX_CONTEXT_CHARS",
    "ALLOWED_HOSTS",
    "HEADER_TIMEOUT_SECONDS",
    "BODY_TIMEOUT_SECONDS",
    "MAX_CONNECTIONS",
)


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    """Any connection to a non-loopback address fails the test that made it."""
    original = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise ConnectionRefusedError(f"tests may not reach the network ({address!r})")
        return original(sock, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guarded)
        yield


# -- the two tiers: `pytest -m "not slow"` (in-process) and `pytest -m slow` ---------------------
# A test that starts a process (a CLI, Node, Chromium, a Prefect server) or serves the app on a
# real socket (uvicorn) is marked `slow`; everything else runs in the fast tier. This guard keeps
# the fast tier honest: an unmarked test that crosses that boundary fails and says what to mark.
# Servers that stand in for third parties inside the test process (llmock, a JWKS or weather
# stub on 127.0.0.1) start in milliseconds and stay in the fast tier, as do the app's own tests
# through httpx's ASGI transport or Starlette's TestClient (no socket, no server).

_SLOW_FIXTURES = frozenset({"prefect_server"})
"""Fixtures that start a real server (or share one across processes): their tests are slow."""


_running_fast_test: list[pytest.Item] = []
"""The test being set up or run, when it is not marked `slow` (empty otherwise)."""


def require_slow_tier(what: str) -> None:
    """Fail the running test unless it is marked `slow`: it `what` (e.g. "starts a process").

    Called where a test leaves the test process: `subprocess.Popen` (patched below, which covers
    `subprocess.run`, asyncio's subprocesses, Playwright's Chromium, Node) and the helpers that
    serve the app on a real socket (`tests/api_server.py`).
    """
    if _running_fast_test:
        raise AssertionError(
            f"{_running_fast_test[-1].nodeid} {what} but is not marked @pytest.mark.slow: mark "
            "it, or keep it in the test process (the fast tier, `pytest -m 'not slow'`, crosses "
            "no process boundary)"
        )


_popen_init = subprocess.Popen.__init__


def _guarded_popen_init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
    require_slow_tier(f"starts a process ({str(args[0] if args else kwargs.get('args'))[:80]})")
    _popen_init(self, *args, **kwargs)


subprocess.Popen.__init__ = _guarded_popen_init  # type: ignore[method-assign]


@contextmanager
def _in_process_only(item: pytest.Item) -> Iterator[None]:
    """Outside the `slow` tier, starting a process or serving the app on a socket fails."""
    if item.get_closest_marker("slow"):
        yield
        return
    needs = sorted(_SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())))
    if needs:
        pytest.fail(f"uses {', '.join(needs)} (a real server): mark it @pytest.mark.slow")
    _running_fast_test.append(item)
    try:
        yield
    finally:
        _running_fast_test.remove(item)


# Around setup (module- and session-scoped fixtures included) and the test itself.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _in_process_only(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _in_process_only(item):
        return (yield)


@pytest.fixture(autouse=True)
def _no_real_model(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A call to a hosted model fails, unless the test is marked `allow_model_calls`."""
    if request.node.get_closest_marker("allow_model_calls"):
        return

    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a test called a real model; use the offline model")

    for model in (OpenAIResponsesModel, OpenAIChatCompletionsModel):
        monkeypatch.setattr(model, "get_response", refuse)
        monkeypatch.setattr(model, "stream_response", refuse)


@pytest.fixture(autouse=True)
def _hermetic_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings from a clean environment; state under a fresh data dir; no `.env` read."""
    for var in _ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _isolated_registries() -> Iterator[None]:
    """Registrations made by a test disappear after it."""
    registries: list[Any] = [
        get_agent_registry(),
        get_tool_registry(),
        get_guardrail_registry(),
        get_mcp_server_registry(),
    ]
    snapshots = [registry.snapshot() for registry in registries]
    yield
    for registry, snapshot in zip(registries, snapshots, strict=True):
        registry.restore(snapshot)


@pytest.fixture
def data_dir(_hermetic_settings: Path) -> Path:
    """The data dir of this test (DATA_DIR)."""
    return _hermetic_settings


# -- specialists shared by the routing tests (registered for one test: _isolated_registries) ----


@pytest.fixture
def billing_agent() -> None:
    """`billing_agent` (intent billing) with its tool `lookup_invoice`: amount 120, status paid."""

    @register_tool(name="lookup_invoice", description="Find an invoice and its amount")
    def lookup_invoice(invoice: str) -> dict[str, Any]:
        """Find an invoice.

        Args:
            invoice: Invoice number.
        """
        return {"invoice": invoice, "amount": 120.0, "status": "paid"}

    register_agent(
        AgentDefinition(
            name="billing_agent",
            description="Billing: invoices, payments and refunds",
            instructions="Answer billing questions with lookup_invoice.",
            tools=["lookup_invoice"],
            metadata={"intent": "billing"},
        )
    )


@pytest.fixture
def math_agent() -> None:
    """`math_expert` (intent math) with the calculator tool."""
    register_agent(
        AgentDefinition(
            name="math_expert",
            description="Answers arithmetic questions",
            instructions="Answer arithmetic questions.",
            tools=["calculator"],
            metadata={"intent": "math"},
        )
    )


# -- session backends on real servers ------------------------------------------------------------

SERVER_URL_VARS = {"redis": "AGENTS_TEST_REDIS_URL", "postgres": "AGENTS_TEST_POSTGRES_URL"}


def server_url(backend: str) -> str:
    """The test server's URL for `backend`; fails under CI=true when it is missing, else skips."""
    var = SERVER_URL_VARS[backend]
    url = os.environ.get(var, "")
    if url:
        return url
    how = "see docs/framework/sessions.md, 'Running the servers locally'"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(
            f"CI=true but {var} is not set: the {backend} server for the session tests is "
            f"missing ({how}).",
            pytrace=False,
        )
    pytest.skip(f"{backend} session tests need a server: set {var} ({how})")


def project_backends() -> list[str]:
    """The session backends this project was made for: SQLite always, plus its server's."""
    from agents_core._defaults import SESSION_BACKEND

    return ["sqlite"] if SESSION_BACKEND == "sqlite" else ["sqlite", SESSION_BACKEND]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move the ~590,000 objects of the imported modules out of the collector's sight."""
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs against a Redis/PostgreSQL server `server_backend`.

    `pytest -m server_backend` then runs just the tests that the server-backed session answer adds
    (the template's CI runs the rest once, in the SQLite project of the same answers). A test
    that talks to the server is either parametrized by `backend_url` or sits in a module marked
    `pytestmark = pytest.mark.server_backend`. The server is another process: they are `slow` too.
    """
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend_url", "sqlite") != "sqlite":
            item.add_marker(pytest.mark.server_backend)
        if item.get_closest_marker("server_backend"):  # a server in another process: slow tier
            item.add_marker(pytest.mark.slow)


@pytest.fixture(params=project_backends())
def backend_url(
    request: pytest.FixtureRequest, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """SESSION_URL set to each backend of the project in turn (a real server for Redis/PG)."""
    backend = str(request.param)
    url = f"sqlite:///{data_dir / 'sessions.db'}" if backend == "sqlite" else server_url(backend)
    monkeypatch.setenv("SESSION_URL", url)
    get_settings.cache_clear()
    return url


# -- errors nobody sees: asyncio's unhandled errors fail the test (issue 28) ----------------------
# A task whose exception is never retrieved, a callback that raised: asyncio only logs them, so a
# cleanup that fails in the background passes a green run. Every test's event loop (and the API
# tests' uvicorn loop, see tests/api_server.py) records them, and the test then fails. Exceptions
# raised where nobody can catch them (`__del__`, ...) are pytest's unraisable exceptions: a
# PytestUnraisableExceptionWarning, an error under `filterwarnings = ["error"]` (pyproject.toml).

_loop_errors: list[str] = []


def _record_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exception = context.get("exception")
    detail = f": {type(exception).__name__}: {exception}" if exception is not None else ""
    where = context.get("task") or context.get("future") or context.get("handle") or ""
    _loop_errors.append(f"{context.get('message', 'asyncio error')}{detail} {where!r}".strip())
    loop.default_exception_handler(context)  # still logged, with its traceback


def checked_loop() -> asyncio.AbstractEventLoop:
    """A new event loop whose unhandled errors fail the running test (`_no_unhandled_errors`)."""
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_record_loop_error)
    return loop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Every asyncio test runs on a `checked_loop` (pytest-asyncio's loop factory hook)."""
    return {"checked": checked_loop}


@pytest.fixture(autouse=True)
def _no_unhandled_errors() -> Iterator[None]:
    """Fail the test when asyncio reported an error nobody handled while it ran."""
    seen = len(_loop_errors)
    yield
    unhandled = _loop_errors[seen:]
    if unhandled:
        del _loop_errors[seen:]
        pytest.fail(
            "asyncio reported errors that nothing handled (a task's exception never retrieved, "
            "a failing callback) during this test:\n" + "\n".join(unhandled),
            pytrace=False,
        )
