"""Keys never reach a log: every log record is redacted when it is made.

A record factory (not a handler filter) so that it covers every handler, including those that
uvicorn or Prefect install after the app starts. It replaces the configured secrets (API_KEY,
OPENAI_API_KEY) and anything shaped like a key parameter (`api_key=...`, the WebSocket
subprotocol `api-key.<key>`, an `Authorization` or `X-API-Key` header) with `***`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any, Final

REDACTED: Final = "***"
_KEY_SHAPES = re.compile(
    r"(?i)(api[_-]key[=.:]\s*|x-api-key['\"]?[:,]\s*['\"]?|authorization['\"]?[:,]\s*['\"]?"
    r"(?:bearer\s+)?)[^\s&,;'\"]+"
)

_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    """`text` without the registered secrets and key-shaped values."""
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return _KEY_SHAPES.sub(lambda match: match.group(1) + REDACTED, text)


def _redacted(value: Any) -> Any:
    if value is None or isinstance(value, int | float):
        return value  # keeps %d and %f working
    text = value if isinstance(value, str) else str(value)
    cleaned = redact(text)
    # An object whose text holds a key (headers, a request) is logged as its redacted text.
    return cleaned if cleaned != text or isinstance(value, str) else value


def install_redaction(secrets: Iterable[str]) -> None:
    """Redact `secrets` (and key-shaped values) from every log record of this process."""
    global _installed
    _secrets.update(secret for secret in secrets if secret)
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.msg = _redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        return record

    logging.setLogRecordFactory(redacting_factory)
    _installed = True
