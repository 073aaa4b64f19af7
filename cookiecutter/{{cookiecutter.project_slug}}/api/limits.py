"""Size limits of requests: the body, counted while it is read, and identifiers.

`BodyLimitMiddleware` refuses a body larger than MAX_BODY_BYTES with 413 before reading it when
its Content-Length says so, and else as soon as the bytes received pass the limit: a client that
sends a huge (or chunked, length-less) body never makes the server hold more than the limit.
"""

from __future__ import annotations

import json
from typing import Final

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_json, error_shape_for

MAX_NAME_CHARS: Final = 128
"""Longest agent name, flow name, session id or user id a request may carry."""


def _too_large(limit: int) -> str:
    return f"The request body is larger than {limit} bytes (MAX_BODY_BYTES)."


class BodyTooLargeError(HTTPException):
    """Raised from `receive` once the body passes the limit (FastAPI re-raises HTTP errors)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit))


class BodyLimitMiddleware:
    """Pure ASGI middleware: no HTTP request body may exceed `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(scope, send, self.max_bytes)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    status, text = 413, error_json("input_too_large", _too_large(limit), {"limit": limit})
    shape = error_shape_for(scope)  # a door with its own error shape (the OpenAI routes)
    if shape is not None:
        status, shaped = shape(ApiError(413, "input_too_large", _too_large(limit)))
        text = json.dumps(shaped, ensure_ascii=True)
    body = text.encode("ascii")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
