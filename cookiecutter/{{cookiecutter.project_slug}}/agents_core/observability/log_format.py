"""Log output: readable text or one JSON object per line (`LOG_FORMAT=json`)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from agents_core.config import Settings
from agents_core.observability.redaction import install_log_redaction, redact

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line |= fields
        if record.exc_info:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)
        # The record's message is redacted when made; its `fields` (extra) only here.
        text = redact(json.dumps(line, ensure_ascii=False, default=str))
        # JSON leaves these raw, and some log viewers start a new line at them.
        return text.translate(_LINE_BREAKS)


_LINE_BREAKS = {ord(c): f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"}


def configure_logging(settings: Settings) -> None:
    """Send the root logger's records to stderr at `LOG_LEVEL`, as text or JSON (`LOG_FORMAT`).

    Secrets are redacted from every record in any case (`install_log_redaction`); the handler is
    not added when the root logger already has one (the host application's own).
    """
    install_log_redaction(settings)
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    handler.setLevel(settings.log_level)  # no library's own logger level prints past LOG_LEVEL
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    quiet_reported_library_errors()


REPORTED_BY_THE_PROJECT = (
    "Error streaming response",
    "Error getting response",
    "Failed to connect MCP server",
    "Failed to cleanup MCP server",
    "Error cleaning up MCP server",
    "Error invoking MCP tool",
    "Tool ",  # "Tool <name> failed: ..."
    "MCP tool ",
)
"""Messages of the Agents SDK's logger (`openai.agents`) for failures the project reports
itself, in a sentence: a model fault (`ModelCallError`, and one WARNING per retried attempt),
an MCP server that cannot start (`MCPServerUnavailable`), a tool error (returned to the model
and logged as the tool call's outcome)."""


class _ReportedElsewhere(logging.Filter):
    """Turns the SDK's ERROR records (with tracebacks) of failures the project reports in its
    own words into DEBUG records: visible with LOG_LEVEL=DEBUG, not printed twice otherwise."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and _reported(record.getMessage()):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


def _reported(message: str) -> bool:
    if message.startswith(("Tool ", "MCP tool ")):
        return " failed" in message.split(":", 1)[0]
    return message.startswith(REPORTED_BY_THE_PROJECT)


_FILTER = _ReportedElsewhere()


def quiet_reported_library_errors() -> None:
    """Install the filter on the SDK's logger (once; `AgentRunner` and `configure_logging` do)."""
    sdk_logger = logging.getLogger("openai.agents")
    if _FILTER not in sdk_logger.filters:
        sdk_logger.addFilter(_FILTER)
