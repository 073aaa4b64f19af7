"""Errors of the OpenAI-compatible routes (`/v1/...`), in the shape OpenAI's clients parse.

`{"error": {"message", "type", "code", "param"}}`: `code` is our stable fault code (the same as
the rest of the API: `rate_limit_exceeded`, `session_not_found`, `model_not_found`, ...), `type`
OpenAI's class of error, and a malformed body is a 400 `invalid_request_error` (OpenAI answers
400 where FastAPI answers 422). Headers stay: 401 `WWW-Authenticate`, 429 `Retry-After`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from agents_core.observability.redaction import redact
from api.deps import require_principal
from api.errors import ApiError

OPENAI_PREFIX = "/v1"
"""Where the OpenAI-compatible routes live; every error under it takes this shape."""

_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    429: "rate_limit_error",
}


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    code: str | None
    param: str | None


class OpenAIErrorResponse(BaseModel):
    """The body of every error of the `/v1` routes."""

    error: OpenAIErrorDetail


def error_type(status: int) -> str:
    """OpenAI's `type` for a status: `invalid_request_error` for the other 4xx, `server_error`."""
    if status >= 500:
        return "server_error"
    return _TYPES.get(status, "invalid_request_error")


def openai_error_body(
    status: int, code: str, message: str, param: str | None = None
) -> dict[str, Any]:
    """The `{"error": {...}}` body (also sent as a stream's last chunk when a run fails)."""
    detail = OpenAIErrorDetail(
        message=redact(message), type=error_type(status), code=code, param=param
    )
    body: dict[str, Any] = OpenAIErrorResponse(error=detail).model_dump()
    return body


def openai_error(error: ApiError) -> tuple[int, dict[str, Any]]:
    """The status and body of `error` (an `ErrorShape`, see `api.errors.add_error_shape`)."""
    status = 400 if error.status == 422 else error.status
    return status, openai_error_body(status, error.code, error.message, _param(error))


def invalid_request(
    message: str, param: str | None = None, code: str = "invalid_request"
) -> ApiError:
    """A 400 `invalid_request_error` naming the request field at fault (`param`)."""
    return ApiError(400, code, message, {"param": param})


def _param(error: ApiError) -> str | None:
    """The field at fault: given by the route, or the first one the body's validation names."""
    param = error.details.get("param")
    if isinstance(param, str):
        return param
    errors = error.details.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        location = [str(part) for part in errors[0].get("loc", ()) if part != "body"]
        return ".".join(location) or None
    return None


RUN_ERRORS = (400, 401, 404, 409, 413, 429, 502, 504)
"""What a route that runs an agent may answer besides 200."""


def openai_router(errors: tuple[int, ...] = RUN_ERRORS) -> APIRouter:
    """A router under `/v1` for authenticated callers, its `errors` in OpenAI's shape in OpenAPI."""
    return APIRouter(
        prefix=OPENAI_PREFIX,
        tags=["openai"],
        dependencies=[Depends(require_principal)],
        responses={code: {"model": OpenAIErrorResponse} for code in errors},
    )
