"""The application factory."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from pydantic_settings import BaseSettings

from agents_core._defaults import PROJECT_NAME
from agents_core.auth import Authenticator
from agents_core.exceptions import ConfigurationError
from agents_core.llm.selection import close_model_clients
from agents_core.mcp import close_mcp_servers
from agents_core.observability.redaction import install_log_redaction, register_secrets
from agents_core.settings_check import EXIT_BAD_SETTING, exit_on_bad_settings
from api.a2a_endpoint import a2a_lifespan, install_a2a
from api.deps import API_KEY_HEADER
from api.errors import add_error_shape, install_error_handlers
from api.hosts import HostCheckMiddleware
from api.limits import BodyLimitMiddleware
from api.mcp_endpoint import install_mcp, mcp_lifespan
from api.openai_errors import OPENAI_PREFIX, openai_error
from api.request_tracing import instrument_app
from api.routes import (
    agents,
    agui,
    health,
    me,
    openai_chat,
    openai_models,
    openai_responses,
    playground,
    runs,
    sessions,
    usage,
{%- if cookiecutter.include_workflows %}
    workflows,
{%- endif %}
)
from api.routes.openai_chat import SESSION_HEADER
from api.run_id import RUN_ID_HEADER
from api.settings import ApiSettings
{%- if cookiecutter.include_workflows %}
from api.workflow_runs import WorkflowSettings
{%- endif %}

# Routers of the features chosen when the project was generated.
FEATURE_ROUTERS: tuple[APIRouter, ...] = ({% if cookiecutter.include_workflows %}workflows.router,{% endif %})
# Their settings, checked when the app is made, and what they stop when it shuts down.
FEATURE_SETTINGS: tuple[type[BaseSettings], ...] = ({% if cookiecutter.include_workflows %}WorkflowSettings,{% endif %})
FEATURE_SHUTDOWN: tuple[Callable[[FastAPI], Awaitable[None]], ...] = ({% if cookiecutter.include_workflows %}workflows.shutdown,{% endif %})


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with mcp_lifespan(app), a2a_lifespan(app):  # /mcp's sessions, /a2a's tasks
        yield
    # On SIGTERM/SIGINT too: uvicorn runs this before it exits, so nothing it started outlives it.
    for shutdown in FEATURE_SHUTDOWN:
        await shutdown(app)
    await close_model_clients()  # connections to the model server, before the loop ends
    await close_mcp_servers()  # the MCP servers the agents used (stdio children)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """A new app on `settings`.

    With None (as `uvicorn api:create_app --factory` calls it) the settings are read from the
    environment and `.env`; a bad value prints one line naming the variable and exits with 64.
    """
    factory = settings is None
    if settings is None:
        exit_on_bad_settings(ApiSettings, *FEATURE_SETTINGS)
        settings = ApiSettings()
    register_secrets(settings.secret_values())  # each key of API_KEYS, API_KEY, JWT_SECRET
    install_log_redaction(settings)  # every secret setting, in every log line and error body
    try:
        authenticator = Authenticator(settings)  # reads API_KEYS_FILE
    except ConfigurationError as error:
        if not factory:
            raise
        print(f"error: {error}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_BAD_SETTING) from None
    # /docs and /redoc with Swagger UI and ReDoc served by the app itself: they work offline.
    app = FastAPIOffline(
        title=f"{PROJECT_NAME} API",
        description="Run, stream and manage the project's agents.",
        version="0.1.0",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.authenticator = authenticator
    install_error_handlers(app)
    add_error_shape(app, OPENAI_PREFIX, openai_error)  # /v1: OpenAI's error body
    origins = settings.cors_origin_list
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "Authorization", API_KEY_HEADER, SESSION_HEADER],
            # So browser clients can read the run's and the conversation's ids.
            expose_headers=[RUN_ID_HEADER, SESSION_HEADER],
        )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.include_router(playground.router)
    app.include_router(health.router)
    app.include_router(me.router)
    app.include_router(agents.router)
    app.include_router(runs.router)
    app.include_router(runs.ws_router)
    app.include_router(sessions.router)
    app.include_router(usage.router)
    # The OpenAI-compatible door: /v1/models, /v1/chat/completions, /v1/responses.
    app.include_router(openai_models.router)
    app.include_router(openai_chat.router)
    app.include_router(openai_responses.router)
    app.include_router(agui.router)  # AG-UI clients (CopilotKit): POST /agui
    for router in FEATURE_ROUTERS:
        app.include_router(router)
    install_mcp(app, settings)  # the agents as MCP tools at /mcp
    install_a2a(app, settings)  # the agents over A2A: /.well-known/agent-card.json, /a2a
    instrument_app(app, settings)  # request spans, with TRACING_EXPORTER=otlp|console
    # Outermost (added last): a Host not allowed gets 400 before anything else runs.
    app.add_middleware(HostCheckMiddleware, allowlist=settings.host_allowlist)
    return app
