"""What went wrong with a model request, in words a user can act on: the one fault table.

Every door names a failed model request by the same `Fault`: the CLI's error line, the API's
JSON errors (`code`, status), SSE and WebSocket `error` events, MCP tool errors, Prefect task
failures, the spans' `error.type` and the log lines. docs/real-models.md shows this table; a
test of the template checks that the two agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from agents import ModelBehaviorError
from agents.exceptions import ModelTimeoutError
from openai import APIConnectionError, APIResponseValidationError, APIStatusError, APITimeoutError

from agents_core.config import Settings, get_settings
from agents_core.exceptions import ModelCallError
from agents_core.llm.openai_models import (
    TRUNCATED_STREAM_MESSAGE,
    MalformedResponse,
    StreamInterrupted,
)
from agents_core.observability.redaction import redact

CHAT_COMPLETIONS_HINT = (
    "this server may only speak Chat Completions: set OPENAI_API=chat_completions"
)

Retried = Literal["yes", "before the first token", "no"]


@dataclass(frozen=True)
class Fault:
    """One kind of failed model request."""

    name: str
    """`ModelCallError.fault`: stable, for programs."""
    happened: str
    """What happened, in a few words."""
    advice: str
    """What to do about it."""
    retried: Retried
    """Whether `MODEL_MAX_RETRIES` applies: always, only while no token was shown, or never."""
    api_status: int
    """The HTTP status of the API's error response."""

    @property
    def code(self) -> str:
        """The stable error code of every door (`model_<name>`)."""
        return f"model_{self.name}"


FAULT_LIST: tuple[Fault, ...] = (
    Fault(
        "unreachable",
        "no connection to the model server",
        "check OPENAI_BASE_URL and that the server is running",
        "yes",
        502,
    ),
    Fault(
        "timeout",
        "no whole answer within MODEL_TIMEOUT_SECONDS (or HTTP 408)",
        "raise MODEL_TIMEOUT_SECONDS, or check the server's load",
        "yes",
        504,
    ),
    Fault(
        "interrupted",
        "the server answered, then the connection dropped before the answer's end",
        "retry; if it keeps happening, check the proxies between you and the server",
        "before the first token",
        502,
    ),
    Fault(
        "bad_response",
        "the server's body or a stream chunk is not valid JSON",
        "check that OPENAI_BASE_URL is an OpenAI-compatible API, not a web page or a proxy",
        "before the first token",
        502,
    ),
    Fault(
        "truncated",
        "the stream ended before its finish marker",
        "retry; the partial answer was not kept",
        "no",
        502,
    ),
    Fault(
        "rate_limited",
        "HTTP 429: too many requests or tokens",
        "wait (Retry-After) or raise the provider's limits",
        "yes",
        429,
    ),
    Fault(
        "auth_failed",
        "HTTP 401 or 403: the key was refused",
        "check OPENAI_API_KEY (or the provider's key)",
        "no",
        502,
    ),
    Fault(
        "upstream_error",
        "HTTP 5xx: the model server failed",
        "retry later; the server's logs say why",
        "yes",
        502,
    ),
    Fault(
        "refused",
        "another HTTP 4xx (400, 409, 413, 422...): the server rejected the request",
        "read the server's message: a setting, the context length or a tool it does not accept",
        "no",
        502,
    ),
    Fault(
        "not_found",
        "HTTP 404: the model or the endpoint does not exist",
        "check DEFAULT_MODEL, OPENAI_BASE_URL and OPENAI_API",
        "no",
        502,
    ),
    Fault(
        "unreadable_output",
        "the model's output does not fit the agent's output type",
        "improve the instructions, or use a model that follows them",
        "no",
        502,
    ),
    Fault(
        "bad_output",
        "the model's output cannot be used (e.g. a reply the SDK cannot read)",
        "retry, or use a model that supports tool calls",
        "no",
        502,
    ),
)
FAULTS: dict[str, Fault] = {fault.name: fault for fault in FAULT_LIST}
"""The faults by name."""


def fault_of(error: ModelCallError) -> Fault:
    """The table's entry of a `ModelCallError` (an unknown name: `bad_output`)."""
    return FAULTS.get(error.fault, FAULTS["bad_output"])


def model_call_error(
    agent: str, error: BaseException, settings: Settings | None = None
) -> ModelCallError | None:
    """The `ModelCallError` for a failed model request; None for any other failure."""
    settings = settings or get_settings()
    # Without the URL's credentials (`http://***@host:port/v1`): the message reaches clients.
    server = redact(settings.openai_base_url) if settings.openai_base_url else "the OpenAI API"
    if any(type(cause).__module__.startswith("litellm") for cause in _chain(error)):
        server = f"the LiteLLM provider ({server})" if settings.openai_base_url else "LiteLLM"
    for cause in _chain(error):
        if isinstance(cause, APITimeoutError | ModelTimeoutError | TimeoutError):
            detail = (
                f"the model did not answer within {settings.model_timeout_seconds:g} s "
                f"(MODEL_TIMEOUT_SECONDS) at {server}"
            )
            return _error(agent, cause, "timeout", detail)
        if isinstance(cause, StreamInterrupted):
            detail = f"{server} answered, then its stream broke off ({cause})"
            return _error(agent, cause, "interrupted", detail)
        if isinstance(cause, MalformedResponse | APIResponseValidationError | json.JSONDecodeError):
            detail = f"{server} sent an unreadable answer: {_one_line(cause)}"
            return _error(agent, cause, "bad_response", detail)
        if isinstance(cause, APIConnectionError) and _body_cut(cause):
            detail = f"{server} answered, then the connection dropped ({_one_line(cause)})"
            return _error(agent, cause, "interrupted", detail)
        if isinstance(cause, APIConnectionError):
            return _error(agent, cause, "unreachable", f"cannot reach the model server at {server}")
        status = _status(cause)
        if status is not None:
            return _status_error(agent, cause, status, settings, server)
        if isinstance(cause, ModelBehaviorError):
            return _behavior_error(agent, cause)
    return None


def fault_name(error: BaseException) -> str | None:
    """The fault name of a raw model-request error (what the retry policy decides on)."""
    found = model_call_error("", error)
    return found.fault if found is not None else None


def _error(
    agent: str,
    cause: BaseException,
    name: str,
    detail: str,
    status: int | None = None,
    retry_after: float | None = None,
    advice: str | None = None,
) -> ModelCallError:
    fault = FAULTS[name]
    explanation = f"{detail}; {advice or fault.advice}"
    return ModelCallError(agent, cause, name, explanation, status, retry_after)


def _status_error(
    agent: str, cause: BaseException, status: int, settings: Settings, server: str
) -> ModelCallError:
    retry_after = _retry_after(cause)
    said = f"{server} answered {status}: {_message(cause)}"
    if status == 429:
        return _error(agent, cause, "rate_limited", said, status, retry_after)
    if status in (401, 403):
        key = "the provider's key" if server.startswith(("LiteLLM", "the LiteLLM")) else ""
        advice = f"check {key or 'OPENAI_API_KEY'}"
        return _error(agent, cause, "auth_failed", said, status, advice=advice)
    if status == 404:
        if settings.openai_api == "responses" and "/responses" in _request_path(cause):
            advice = CHAT_COMPLETIONS_HINT
        else:
            advice = "check DEFAULT_MODEL and OPENAI_BASE_URL"
        return _error(agent, cause, "not_found", said, status, advice=advice)
    if status == 408:
        return _error(agent, cause, "timeout", said, status, retry_after)
    if status >= 500:
        return _error(agent, cause, "upstream_error", said, status, retry_after)
    return _error(agent, cause, "refused", said, status)


def _behavior_error(agent: str, cause: ModelBehaviorError) -> ModelCallError:
    text = str(cause)
    if text == TRUNCATED_STREAM_MESSAGE or "did not produce a final response" in text:
        return _error(agent, cause, "truncated", f"the model's answer was cut: {text}")
    if text.startswith(("Invalid JSON", "Expected a dict", "Could not find key")):
        detail = f"the model's output does not fit its schema: {text}"
        return _error(agent, cause, "unreadable_output", detail)
    return _error(agent, cause, "bad_output", f"unusable model output: {text}")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__


_CUT_BODY = ("complete message body", "incomplete chunked read")
"""What httpx says when a response's body ends early (its headers had arrived)."""


def _body_cut(error: BaseException) -> bool:
    return any(marker in str(cause) for cause in _chain(error) for marker in _CUT_BODY)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200]


def _status(error: BaseException) -> int | None:
    if isinstance(error, APIStatusError):
        return error.status_code
    status = getattr(error, "status_code", None)  # LiteLLM's errors carry it too
    return status if isinstance(status, int) and 400 <= status <= 599 else None


def _message(error: BaseException) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        detail = body.get("error", body)
        message = detail.get("message") if isinstance(detail, dict) else detail
        if isinstance(message, str) and message:
            return message
    text = getattr(error, "message", None) or str(error)
    return str(text)[:300]


def _retry_after(error: BaseException) -> float | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        seconds = float(value) if value is not None else None
    except ValueError:  # an HTTP date: rare from model servers, not worth parsing
        return None
    return seconds if seconds is not None and seconds >= 0 else None


def _request_path(error: BaseException) -> str:
    request = getattr(error, "request", None)
    url = getattr(request, "url", None)
    return str(getattr(url, "path", "") or "")
