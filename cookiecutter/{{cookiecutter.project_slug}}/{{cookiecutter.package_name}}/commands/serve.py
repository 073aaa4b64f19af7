"""`serve`: the HTTP API under uvicorn (projects with the api package only)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

from agents_core._defaults import PROJECT_NAME
from agents_core.settings_check import load

from ._common import EXIT_OK, EXIT_USAGE, count, loaded


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    # PORT and WEB_CONCURRENCY: the variables that container platforms and uvicorn use
    # (argparse checks a string default with `type`, so a bad value fails here, clearly).
    serve.add_argument(
        "--port",
        type=count,
        default=os.environ.get("PORT") or "8000",
        help="port (default: $PORT, else 8000)",
    )
    serve.add_argument(
        "--workers",
        type=count,
        default=os.environ.get("WEB_CONCURRENCY") or "1",
        help="uvicorn worker processes (default: $WEB_CONCURRENCY, else 1)",
    )
    serve.add_argument("--reload", action="store_true", help="restart when the code changes")
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="serve on a non-loopback host without any credentials configured (unsafe)",
    )
    serve.set_defaults(handler=serve_command, is_async=False)


def serve_command(args: argparse.Namespace) -> int:
    # Checked here, before uvicorn starts: a bad value is one line and status 64.
    app_module: Any = importlib.import_module("api.app")  # only in projects with the api
    settings = load(app_module.ApiSettings)
    for feature_settings in app_module.FEATURE_SETTINGS:
        load(feature_settings)
    if not _may_serve_without_credentials(settings, args.host, args.insecure_no_auth):
        return EXIT_USAGE
    from agents_core.auth import Authenticator

    Authenticator(settings)  # an invalid API_KEYS_FILE stops here, in one line
    print(_serve_banner(args.host, args.port), file=sys.stderr, flush=True)
    # uvicorn.run, with the event loop off the main thread: a SIGTERM always stops the server
    # (an in-process Prefect flow run replaces the main thread's handler: api/server_thread.py).
    server_thread: Any = importlib.import_module("api.server_thread")
    loaded()  # the app's modules are imported: collect as usual from here (commands/_common.py)
    server_thread.serve(
        "api:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        # Open streams must not hold a shutdown for long.
        timeout_graceful_shutdown=5,
        # WebSocket messages obey the same limit as request bodies.
        ws_max_size=settings.max_body_bytes,
        # Slow clients are cut off (HEADER_/BODY_TIMEOUT_SECONDS), MAX_CONNECTIONS at most.
        **importlib.import_module("api.serving").server_options(settings.max_connections),
    )
    return EXIT_OK


_CREDENTIAL_SETTINGS = "API_KEY, API_KEYS, API_KEYS_FILE or JWT_ISSUER/JWT_JWKS_URL"


def _may_serve_without_credentials(settings: Any, host: str, insecure: bool) -> bool:
    """False (and one line saying what to set) for a non-loopback host without credentials."""
    from agents_core.auth import is_loopback_host

    if settings.credentials_configured or is_loopback_host(host):
        return True
    if insecure:
        print(
            f"WARNING: serving on {host} WITHOUT AUTHENTICATION (--insecure-no-auth): anyone "
            "who reaches it is 'local' and can read and run everything.",
            file=sys.stderr,
            flush=True,
        )
        return True
    print(
        f"error: refusing to serve on {host} without credentials (every caller would be "
        f"'local'): set {_CREDENTIAL_SETTINGS} (docs/authentication.md), serve on 127.0.0.1, "
        "or pass --insecure-no-auth",
        file=sys.stderr,
        flush=True,
    )
    return False


def _serve_banner(host: str, port: int) -> str:
    """Where the API listens, its playground, and how clients authenticate."""
    from api.settings import ApiSettings

    settings = ApiSettings()
    base = f"http://{_url_host(host)}:{port}"
    modes = [
        *(["API keys"] if settings.api_keys_enabled else []),
        *(
            [f"JWT ({settings.jwt_issuer or settings.jwt_jwks_url or 'JWT_SECRET'})"]
            if settings.jwt_enabled
            else []
        ),
    ]
    auth = (
        " and ".join(modes) + " (header Authorization: Bearer <key or token>, or X-API-Key)"
        if modes
        else f"none, every caller is 'local' (set {_CREDENTIAL_SETTINGS} to require credentials)"
    )
    return (
        f"{PROJECT_NAME} API on {base}\n  playground: {base}/\n  API docs:   {base}/docs\n"
        f"  auth:       {auth}"
    )


def _url_host(host: str) -> str:
    """The host as a browser would type it (any-address binds are reached on localhost)."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
