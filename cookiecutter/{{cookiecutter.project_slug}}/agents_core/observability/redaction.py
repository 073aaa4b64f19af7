"""Secrets never leave the process: one function, `redact`, cleans every text that does.

Every error body (JSON, SSE, WebSocket, MCP, workflow status), every CLI message and every log
record goes through `redact`. It removes:

- credentials in URLs, anywhere in the text: `scheme://user:pass@host` -> `scheme://***@host`
  (the host, port and path stay: the message still says which server failed);
- the values of the secret settings, registered with `register_secrets` (`secrets_of` lists them:
  every `SecretStr`, the password of every URL setting, the keys of `API_KEYS`-like settings);
- anything shaped like a key parameter: `api_key=...`, the WebSocket subprotocol `api-key.<key>`,
  an `Authorization` or `X-API-Key` header.

`install_log_redaction` puts `redact` on every log record of the process with a record factory
(not a handler filter), so it covers every handler, including those uvicorn or Prefect install
after the app starts; the exception text of a record is redacted too.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, SecretStr

REDACTED: Final = "***"
MIN_SECRET_CHARS: Final = 8
"""Shorter values are not registered: `OPENAI_API_KEY=local` (for servers that need no key) or
the password `agents` of a local database would blank every `localhost` and `my-agents` in every
text, and a secret that short protects nothing. In a URL, a password of any length is redacted
by the URL rule."""

# The userinfo of a URL: after `scheme://`, up to the last `@` before the path. A password with a
# raw `@` (invalid, but written) is still covered, since the match is greedy within the authority.
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#\"'<>]*@")
# 8 characters at least: real keys are longer, and help texts such as "OPENAI_API_KEY=local"
# (a value for servers that need none) stay readable.
_KEY_SHAPES = re.compile(
    r"(?i)(api[_-]key[=.:]\s*|x-api-key['\"]?[:,]\s*['\"]?|authorization['\"]?[:,]\s*['\"]?"
    r"(?:bearer\s+)?)[^\s&,;'\"]{8,}"
)
_SECRET_NAMES = re.compile(r"(?i)(key|secret|token|password)")

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """`text` without URL credentials, registered secrets and key-shaped values."""
    text = _URL_CREDENTIALS.sub(lambda match: match.group(1) + REDACTED + "@", text)
    for secret in sorted(_secrets, key=len, reverse=True):  # longest first: no partial leftovers
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _KEY_SHAPES.sub(lambda match: match.group(1) + REDACTED, text)


def redact_value(value: Any) -> Any:
    """`value` with every string inside it (dicts, lists, tuples) redacted; others unchanged."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item) for item in value)
    return value


def register_secrets(values: Iterable[str | None]) -> None:
    """Redact `values` from now on, wherever `redact` runs (in this process)."""
    fresh = set()
    for value in values:
        if value and len(value) >= MIN_SECRET_CHARS:
            fresh.add(value)
            decoded = unquote(value)  # a URL's password as written and as meant
            if len(decoded) >= MIN_SECRET_CHARS:
                fresh.add(decoded)
    with _lock:
        _secrets.update(fresh)


def secrets_of(settings: BaseModel) -> list[str]:
    """The secret values of `settings`: every `SecretStr`, every URL's password, and the values
    of string settings named like a secret (`*_key`, `*_keys`, `*secret*`, `*token*`,
    `*password*`; for `principal:key` lists, each key)."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
            found.append(value)
        if not isinstance(value, str) or not value:
            continue
        if "://" in value:
            found.extend(_url_passwords(value))
        if _SECRET_NAMES.search(name):
            found.append(value)
            for item in value.split(","):
                _, colon, key = item.strip().partition(":")
                if colon and "://" not in item:
                    found.append(key.strip())
    return found


def _url_passwords(value: str) -> list[str]:
    passwords = []
    for candidate in value.split(","):
        try:
            password = urlsplit(candidate.strip()).password
        except ValueError:  # not a URL after all (a bad port, brackets)
            continue
        if password:
            passwords.append(password)
    return passwords


def _redacted_arg(value: Any) -> Any:
    if value is None or isinstance(value, int | float):
        return value  # keeps %d and %f working
    text = value if isinstance(value, str) else str(value)
    cleaned = redact(text)
    # An object whose text holds a secret (headers, a request) is logged as its redacted text.
    return cleaned if cleaned != text or isinstance(value, str) else value


def install_log_redaction(settings: BaseModel | None = None) -> None:
    """Redact every log record of this process (message, arguments, exception text), and
    register the secrets of `settings` first."""
    global _installed
    if settings is not None:
        register_secrets(secrets_of(settings))
    with _lock:
        if _installed:
            return
        _installed = True
    make_record = logging.getLogRecordFactory()
    exception_formatter = logging.Formatter()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.msg = _redacted_arg(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted_arg(value) for key, value in record.args.items()}
        if record.exc_info and record.exc_info[0] is not None:
            # Formatters print `exc_text` when it is set: the traceback, already redacted.
            record.exc_text = redact(exception_formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(redacting_factory)
