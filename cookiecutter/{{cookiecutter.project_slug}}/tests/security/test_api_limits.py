"""No body without limit, no identifier without bound, no error that echoes a long input whole."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api import ApiSettings, create_app

LIMIT = 4_096


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(ApiSettings(max_body_bytes=LIMIT)))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


async def test_a_body_over_the_limit_is_refused_by_its_content_length(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"input": "hi", "padding": "' + b"x" * (LIMIT * 4) + b'"}'
    response = await client.post(
        "/runs", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "input_too_large"
    assert str(LIMIT) in error["message"]


async def test_a_body_without_length_is_cut_off_while_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        # A chunked body with no Content-Length: the limit must count what arrives.
        nonlocal sent
        yield b'{"input": "hi", "padding": "'
        for _ in range(1_000):
            sent += 1_024
            yield b"x" * 1_024
        yield b'"}'

    response = await client.post(
        "/runs", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "input_too_large"
    assert sent < 1_000 * 1_024  # reading stopped early, not after the whole body


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/runs", {"input": "hi", "session_id": "s" * 100_000}),
        ("POST", "/runs", {"input": "hi", "agent": "a" * 100_000}),
        ("GET", "/sessions/" + "s" * 10_000, None),
        ("GET", "/agents/" + "a" * 10_000, None),
        ("GET", "/sessions?user_id=" + "u" * 10_000, None),
    ],
)
async def test_a_long_identifier_is_refused_without_being_echoed(
    method: str, path: str, body: dict[str, str] | None
) -> None:
    app = create_app(ApiSettings())  # default limit: the 100,000 characters fit in the body
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.request(method, path, json=body)
    assert response.status_code == 422
    assert len(response.content) < 2_000  # the refused value is not quoted back
