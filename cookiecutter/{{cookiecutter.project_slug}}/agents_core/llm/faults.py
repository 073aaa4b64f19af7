"""What went wrong with a model request, in words a user can act on."""

from __future__ import annotations

from collections.abc import Iterator

from agents import ModelBehaviorError
from agents.exceptions import ModelTimeoutError
from openai import APIConnectionError, APIStatusError, APITimeoutError

from agents_core.config import Settings, get_settings
from agents_core.exceptions import ModelCallError
from agents_core.llm.openai_models import TRUNCATED_STREAM_MESSAGE

CHAT_COMPLETIONS_HINT = (
    "this server may only speak Chat Completions: set OPENAI_API=chat_completions"
)


def model_call_error(
    agent: str, error: BaseException, settings: Settings | None = None
) -> ModelCallError | None:
    """The `ModelCallError` for a failed model request; None for any other failure."""
    settings = settings or get_settings()
    server = settings.openai_base_url or "the OpenAI API"
    if any(type(cause).__module__.startswith("litellm") for cause in _chain(error)):
        server = f"the LiteLLM provider ({server})" if settings.openai_base_url else "LiteLLM"
    for cause in _chain(error):
        if isinstance(cause, APITimeoutError | ModelTimeoutError | TimeoutError):
            return ModelCallError(
                agent,
                cause,
                "timeout",
                f"the model did not answer within {settings.model_timeout_seconds:g} s "
                f"(MODEL_TIMEOUT_SECONDS) at {server}.",
            )
        if isinstance(cause, APIConnectionError):
            return ModelCallError(
                agent, cause, "unreachable", f"cannot reach the model server at {server}: {cause}"
            )
        status = _status(cause)
        if status is not None:
            return _status_error(agent, cause, status, settings, server)
        if isinstance(cause, ModelBehaviorError):
            return _behavior_error(agent, cause)
    return None


def _status_error(
    agent: str, cause: BaseException, status: int, settings: Settings, server: str
) -> ModelCallError:
    retry_after = _retry_after(cause)
    said = f"{server} answered {status}: {_message(cause)}"
    if status == 429:
        return ModelCallError(agent, cause, "rate_limited", said, status, retry_after)
    if status in (401, 403):
        key = "the provider's key" if server.startswith(("LiteLLM", "the LiteLLM")) else ""
        hint = f"check {key or 'OPENAI_API_KEY'}"
        return ModelCallError(agent, cause, "auth_failed", f"{said} ({hint})", status)
    if status == 404:
        if settings.openai_api == "responses" and "/responses" in _request_path(cause):
            hint = f"; {CHAT_COMPLETIONS_HINT}"
        else:
            hint = "; check DEFAULT_MODEL and OPENAI_BASE_URL"
        return ModelCallError(agent, cause, "not_found", f"{said}{hint}", status)
    return ModelCallError(agent, cause, "upstream_error", said, status, retry_after)


def _behavior_error(agent: str, cause: ModelBehaviorError) -> ModelCallError:
    text = str(cause)
    if text == TRUNCATED_STREAM_MESSAGE or "did not produce a final response" in text:
        return ModelCallError(agent, cause, "truncated", f"the model's answer was cut: {text}")
    if text.startswith(("Invalid JSON", "Expected a dict", "Could not find key")):
        return ModelCallError(
            agent, cause, "unreadable_output", f"the model's output does not fit its schema: {text}"
        )
    return ModelCallError(agent, cause, "bad_output", f"unusable model output: {text}")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__


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
