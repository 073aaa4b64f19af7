"""`redact`: credentials in URLs and the secret settings, in any text and in every log record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from agents_core.config import Settings
from agents_core.exceptions import AgentRunError, ModelCallError
from agents_core.observability import redaction
from agents_core.observability.log_format import JsonFormatter
from agents_core.observability.redaction import (
    install_log_redaction,
    redact,
    redact_value,
    register_secrets,
    secrets_of,
)


@pytest.fixture(autouse=True)
def _fresh_secrets() -> Iterator[None]:
    saved = set(redaction._secrets)
    yield
    redaction._secrets.clear()
    redaction._secrets.update(saved)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://user:pass@host/v1", "http://***@host/v1"),
        ("https://user:pa:ss@host:8443/v1?x=1", "https://***@host:8443/v1?x=1"),
        ("redis://:pw@127.0.0.1:6379/0", "redis://***@127.0.0.1:6379/0"),
        ("postgresql+asyncpg://u:p%40ss@db/x", "postgresql+asyncpg://***@db/x"),
        ("postgresql://u:p@ss@db/x", "postgresql://***@db/x"),  # a raw @ in the password
        ("http://token@host", "http://***@host"),
        ("cannot reach http://a:b@h:9/v1: refused", "cannot reach http://***@h:9/v1: refused"),
        ("'http://a:b@h' and \"ws://c:d@k\"", "'http://***@h' and \"ws://***@k\""),
        ("http://host/path?next=mailto:x@y", "http://host/path?next=mailto:x@y"),
        ("http://127.0.0.1:8000/runs", "http://127.0.0.1:8000/runs"),
        ("write to bob@example.com", "write to bob@example.com"),
        ("GET /runs/ws?api_key=abc12345 HTTP/1.1", "GET /runs/ws?api_key=*** HTTP/1.1"),
        ("subprotocols: api-key.abc12345", "subprotocols: api-key.***"),
        ("{'authorization': 'Bearer abcdefgh'}", "{'authorization': 'Bearer ***'}"),
        ("e.g. OPENAI_API_KEY=local", "e.g. OPENAI_API_KEY=local"),  # too short for a key
    ],
)
def test_credentials_in_urls_and_key_shapes(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_secret_settings_are_found_and_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abcdefgh12345678")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://me:base-pass@127.0.0.1:9/v1")
    monkeypatch.setenv("SESSION_URL", "redis://:redis-pass@127.0.0.1:6390/0")
    found = secrets_of(Settings())
    assert {"sk-abcdefgh12345678", "base-pass", "redis-pass"} <= set(found)
    register_secrets(found)
    text = "key sk-abcdefgh12345678, quoted 'base-pass' and redis-pass"
    assert redact(text) == "key ***, quoted '***' and ***"


def test_principal_key_lists_and_short_values() -> None:
    class Keys(Settings):
        api_keys: str = "alice:alice-key-1,bob:bob-key-22"
        jwt_secret: SecretStr = SecretStr("jwt-signing-secret")
        name: str = "ab"

    register_secrets(secrets_of(Keys()))
    assert redact("alice-key-1 bob-key-22 jwt-signing-secret") == "*** *** ***"
    register_secrets(["local", "agents", None, ""])  # too short to be secrets: not registered
    assert redact("localhost, my-agents") == "localhost, my-agents"
    assert redact("postgresql://agents:agents@db/x") == "postgresql://***@db/x"


def test_nested_values_are_redacted() -> None:
    value = {"a": ["http://u:p@h", ("x", 1)], "n": None}
    assert redact_value(value) == {"a": ["http://***@h", ("x", 1)], "n": None}


def test_model_errors_are_redacted_when_made() -> None:
    cause = ConnectionError("refused by http://u:pw1234@h:9")
    error = ModelCallError("a", cause, "unreachable", "cannot reach http://u:pw1234@h:9/v1")
    assert "pw1234" not in str(error)
    assert "pw1234" not in error.explanation
    assert "http://***@h:9/v1" in str(error)
    assert "pw1234" not in str(AgentRunError("a", cause))


def test_every_log_record_is_redacted_with_its_traceback() -> None:
    register_secrets(["s3cr3t-value"])
    install_log_redaction()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("url %s key %s", "http://u:p@h/v1", "s3cr3t-value")
        try:
            raise RuntimeError("failed at http://u:s3cr3t-value@h")
        except RuntimeError:
            logger.exception("it failed")
        handler.setFormatter(JsonFormatter())
        logger.warning("run", extra={"fields": {"error": "at http://u:p@h"}})
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "s3cr3t-value" not in text
    assert "u:p@" not in text
    assert "url http://***@h/v1 key ***" in text
    assert "RuntimeError: failed at http://***@h" in text  # the traceback is kept, redacted
    assert json.loads(text.splitlines()[-1])["error"] == "at http://***@h"
