"""Open the storage backend that a session URL names (the SDK's sessions do the storing).

- `sqlite:///path.db` or `sqlite:///:memory:`: the SDK's `SQLiteSession` (built in).
- `redis://host:6379/0` or `rediss://...`: `RedisSession` (install `openai-agents[redis]`).
- `postgresql://user:password@host/db`: `SQLAlchemySession` on asyncpg (install
  `openai-agents[sqlalchemy]` and `asyncpg`).

The optional backends are imported only when a URL names them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

from agents_core.exceptions import ConfigurationError
from agents_core.observability.redaction import redact
from agents_core.session._store import SessionStore

SUPPORTED_SCHEMES = ("sqlite", "redis", "rediss", "postgresql", "postgres")

# Scheme -> (modules that must be importable, what to install).
_REQUIREMENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "redis": (("redis",), "openai-agents[redis]"),
    "rediss": (("redis",), "openai-agents[redis]"),
    "postgresql": (("sqlalchemy", "asyncpg"), "openai-agents[sqlalchemy] asyncpg"),
    "postgres": (("sqlalchemy", "asyncpg"), "openai-agents[sqlalchemy] asyncpg"),
}


def sqlite_path(url: str) -> str:
    """The file path of a `sqlite:///path` URL (`sqlite:///:memory:` for a private database)."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.netloc:
        raise ConfigurationError(
            f"Invalid SQLite session URL {url!r}: expected sqlite:///relative/path.db, "
            "sqlite:////absolute/path.db or sqlite:///:memory:."
        )
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if not path:
        raise ConfigurationError(f"The SQLite session URL {url!r} names no file.")
    return path


def asyncpg_url(url: str) -> str:
    """`postgresql://...` (or `postgres://`) as SQLAlchemy's asyncpg URL."""
    scheme, _, rest = url.partition("://")
    base = scheme.split("+", 1)[0]
    if base not in ("postgresql", "postgres") or not rest:
        raise ConfigurationError(f"Invalid PostgreSQL session URL: {redact(url)!r}")
    return f"postgresql+asyncpg://{rest}"


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def require_backend(url: str) -> str:
    """The URL's scheme (without a `+driver`), once its backend's packages are importable."""
    scheme = urlsplit(url).scheme.split("+", 1)[0]
    if scheme not in SUPPORTED_SCHEMES:
        raise ConfigurationError(
            f"Unsupported session URL scheme {scheme!r} in {redact(url)!r}. "
            f"Supported: {', '.join(s + '://' for s in SUPPORTED_SCHEMES)}."
        )
    modules, install = _REQUIREMENTS.get(scheme, ((), ""))
    missing = [module for module in modules if not _installed(module)]
    if missing:
        packages = " ".join(f"'{p}'" for p in install.split())
        raise ConfigurationError(
            f"SESSION_URL {redact(url)!r} needs {' and '.join(missing)} (not installed). "
            f"Install it with: uv add {packages}"
        )
    return scheme


def open_store(session_id: str, url: str) -> SessionStore:
    """The store of `session_id` at `url`: an SDK session with trimming and metadata added."""
    scheme = require_backend(url)
    if scheme == "sqlite":
        from agents_core.session._sqlite_store import SQLiteStore

        path = sqlite_path(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteStore(session_id, db_path=path)
    if scheme in ("redis", "rediss"):
        import redis.asyncio as redis_asyncio

        from agents_core.session._redis_store import RedisStore

        return RedisStore.owning(session_id, redis_asyncio.from_url(url))
    from agents_core.session._sql_store import SQLStore

    return SQLStore.open(session_id, asyncpg_url(url))
