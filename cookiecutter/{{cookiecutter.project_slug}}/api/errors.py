"""Every error leaves the service as `{"error": {"code", "message", "details"}}`.

The framework's errors map to statuses here, in one place; nothing answers with a stack trace.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from agents_core.exceptions import (
    AgentRunError,
    AgentsCoreError,
    ApprovalError,
    GuardrailTripped,
    InvalidSessionIdError,
    LimitExceeded,
    ModelCallError,
    SafetyLimitExceeded,
    SessionBusyError,
    SessionNotFound,
    UnknownNameError,
)
from agents_core.llm.faults import fault_of
from agents_core.observability.redaction import redact, redact_value
from api.run_id import run_id_headers

logger = logging.getLogger("api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "input_too_large",
    422: "invalid_request",
    503: "not_ready",
}


class ApiError(Exception):
    """An error with its status and stable code, raised by the routes."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON body of every error response (and of WebSocket error frames), redacted."""
    return {
        "error": {"code": code, "message": redact(message), "details": redact_value(details or {})}
    }


def error_json(code: str, message: str, details: Any = None) -> str:
    """`error_body` as ASCII JSON text.

    Errors echo what the client sent (an unknown agent's name, a field name), and JSON may carry a
    lone surrogate (`"\\ud800"`) that UTF-8 cannot encode: escaped, it cannot turn a 4xx into a 500.
    """
    return json.dumps(error_body(code, message, details), ensure_ascii=True, allow_nan=False)


class AsciiJSONResponse(JSONResponse):
    """A JSON response whose body is ASCII (see `error_json`)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False).encode("ascii")


def from_core_error(error: AgentsCoreError | ValueError) -> ApiError:
    """The `ApiError` for an error the framework raised."""
    if isinstance(error, ApprovalError):
        status, code = _APPROVAL_ERRORS[error.kind]
        details = {"run_id": error.run_id, "approval_id": error.approval_id}
        return ApiError(status, code, str(error), details)
    if isinstance(error, UnknownNameError):
        return ApiError(
            404,
            f"unknown_{error.kind.replace(' ', '_')}",
            str(error),
            {"name": error.name, "known": error.known},
        )
    if isinstance(error, SessionNotFound):  # unknown, or another principal's: not told apart
        return ApiError(404, "session_not_found", str(error), {"session_id": error.session_id})
    if isinstance(error, InvalidSessionIdError):
        return ApiError(422, "invalid_session_id", str(error))
    if isinstance(error, GuardrailTripped):
        return ApiError(
            400,
            "guardrail_tripped",
            str(error),
            {"guardrail": error.guardrail, "agent": error.agent, "reason": error.message},
        )
    if isinstance(error, SessionBusyError):
        return ApiError(
            409,
            "session_busy",
            str(error),
            {"session_id": error.session_id, "waited_seconds": error.waited},
        )
    if isinstance(error, LimitExceeded):
        return from_limit(error)
    if isinstance(error, ModelCallError):
        return from_model_error(error)
    if isinstance(error, AgentRunError):
        # The cause may hold provider details: log it, answer with its type only.
        logger.error("agent %r failed", error.agent, exc_info=error.cause)
        return ApiError(
            502,
            "agent_run_failed",
            f"Agent {error.agent!r} failed ({type(error.cause).__name__}).",
            {"agent": error.agent},
        )
    if isinstance(error, SafetyLimitExceeded):
        return ApiError(500, "safety_limit_exceeded", str(error))
    if isinstance(error, ValueError):
        return ApiError(422, "invalid_request", str(error))
    logger.error("framework error", exc_info=error)
    return ApiError(500, "agent_error", f"{type(error).__name__}: the run failed.")


_APPROVAL_ERRORS: dict[str, tuple[int, str]] = {
    "unknown": (404, "approval_not_found"),
    "decided": (409, "approval_already_decided"),
    "expired": (410, "approval_expired"),
    "invalid": (409, "approval_invalid"),
}
"""ApprovalError kinds: unknown id (or another run's), a replay, too late, a stored state that
does not verify."""

DEFAULT_RETRY_AFTER_SECONDS = 1


def from_model_error(error: ModelCallError) -> ApiError:
    """A model server's fault, with its stable code and status from the fault table
    (`agents_core.llm.faults`: 429 `model_rate_limited` with `Retry-After`, 504 `model_timeout`,
    502 for the others); its details go to the log, not the client."""
    fault = fault_of(error)
    logger.error("agent %r: model call failed (%s): %s", error.agent, fault.code, error.explanation)
    status = fault.api_status
    details: dict[str, Any] = {"agent": error.agent, "fault": fault.name}
    if error.status is not None:
        details["upstream_status"] = error.status
    headers = None
    if status == 429:
        wait = error.retry_after if error.retry_after is not None else DEFAULT_RETRY_AFTER_SECONDS
        seconds = max(1, math.ceil(wait))
        headers = {"Retry-After": str(seconds)}
        details["retry_after"] = seconds
    message = f"Agent {error.agent!r}: {fault.happened}; {fault.advice}."
    return ApiError(status, fault.code, message, details, headers)


_LIMIT_CODES = {"requests": "rate_limit_exceeded", "tokens": "token_budget_exceeded"}


def from_limit(error: LimitExceeded) -> ApiError:
    """429 with `Retry-After`: the caller is over RATE_LIMIT_PER_MINUTE (`rate_limit_exceeded`)
    or TOKEN_BUDGET_PER_DAY (`token_budget_exceeded`); no model was called."""
    details = {
        "kind": error.kind,
        "limit": error.limit,
        "used": error.used,
        "retry_after": error.retry_after,
    }
    headers = {"Retry-After": str(error.retry_after)}
    return ApiError(429, _LIMIT_CODES[error.kind], str(error), details, headers)


def validation_details(errors: Sequence[Any]) -> dict[str, Any]:
    """Pydantic's errors without the rejected input (it may be large or secret)."""
    return {"errors": jsonable_encoder(errors, exclude={"input", "ctx", "url"})}


ErrorShape = Callable[["ApiError"], tuple[int, dict[str, Any]]]
"""A door's own error body: the status and JSON body it answers an `ApiError` with (the
OpenAI-compatible routes answer `{"error": {"message", "type", "code", "param"}}`)."""


def add_error_shape(app: FastAPI, path_prefix: str, shape: ErrorShape) -> None:
    """Answer every error under `path_prefix` (e.g. `/v1`) in `shape` instead of ours: the
    routes' own errors, malformed bodies, unknown paths, oversized bodies and failed
    authentication alike."""
    shapes: dict[str, ErrorShape] = getattr(app.state, "error_shapes", {})
    app.state.error_shapes = {**shapes, path_prefix.rstrip("/"): shape}


def error_shape_for(scope: Scope) -> ErrorShape | None:
    """The error shape of the request's path, None for ours."""
    state = getattr(scope.get("app"), "state", None)
    shapes: dict[str, ErrorShape] = getattr(state, "error_shapes", None) or {}
    path: str = scope.get("path", "")
    for prefix, shape in shapes.items():
        if path == prefix or path.startswith(prefix + "/"):
            return shape
    return None


def _respond(request: Request, error: ApiError) -> JSONResponse:
    shape = error_shape_for(request.scope)
    if shape is None:
        status, body = error.status, error_body(error.code, error.message, error.details)
    else:
        status, body = shape(error)
    return AsciiJSONResponse(body, status, headers=_headers(request, error.headers))


async def _api_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return _respond(request, error)


async def _core_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AgentsCoreError)
    return _respond(request, from_core_error(error))


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = validation_details(error.errors())
    return _respond(request, ApiError(422, "invalid_request", "The request is malformed.", details))


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    headers = dict(error.headers) if error.headers else None
    api_error = ApiError(error.status_code, code, str(error.detail), headers=headers)
    return _respond(request, api_error)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return _respond(request, ApiError(500, "internal_error", "Internal server error."))


def _headers(request: Request, headers: Mapping[str, str] | None) -> dict[str, str]:
    # A run's error responses name the run too (X-Run-Id): its log line and trace carry it.
    return {**(headers or {}), **run_id_headers(request)}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(AgentsCoreError, _core_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
