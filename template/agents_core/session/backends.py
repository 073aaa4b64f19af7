"""Open the SDK session backend that a session URL names."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from agents.memory import SessionABC, SQLiteSession

from agents_core.exceptions import ConfigurationError

SUPPORTED_SCHEMES = ("sqlite",)


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


def open_backend(session_id: str, url: str) -> SessionABC:
    """The SDK session storing `session_id` at `url`. The SDK backends do the storing."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = sqlite_path(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SQLiteSession(session_id, db_path=path)
    raise ConfigurationError(
        f"Unsupported session URL scheme {scheme!r} in {url!r}. "
        f"Supported: {', '.join(s + '://' for s in SUPPORTED_SCHEMES)}."
    )
