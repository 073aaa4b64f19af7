"""The application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agents_core._defaults import PROJECT_NAME
from api.deps import API_KEY_HEADER
from api.errors import install_error_handlers
from api.routes import agents, health, playground, runs, sessions
from api.settings import ApiSettings


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """A new app on `settings` (read from the environment and `.env` when None)."""
    settings = settings if settings is not None else ApiSettings()
    app = FastAPI(
        title=f"{PROJECT_NAME} API",
        description="Run, stream and manage the project's agents.",
        version="0.1.0",
    )
    app.state.settings = settings
    install_error_handlers(app)
    origins = settings.cors_origin_list
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", API_KEY_HEADER],
        )
    app.include_router(playground.router)
    app.include_router(health.router)
    app.include_router(agents.router)
    app.include_router(runs.router)
    app.include_router(runs.ws_router)
    app.include_router(sessions.router)
    return app
