"""DNS rebinding: requests for other host names get 400 before any handler runs.

A page on evil.example that rebinds its name to 127.0.0.1 sends `Host: evil.example`: no route,
no WebSocket and no /mcp answers it. The attacks are sent as raw bytes to a real uvicorn, so that
no client library tidies the Host header up on the way.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError

from api import ApiSettings, create_app
from api.hosts import HostAllowlist, host_name, parse_allowed_hosts
from tests.api_server import serve

REFUSED_HOSTS = [
    "evil.example",
    "evil.example:8000",
    "127.0.0.1.evil.com",
    "localhost.evil.com",
    "evillocalhost",
    "localhost:8000@evil.example",
    "user@localhost",
    "localhost:8000:8000",
    "localhost:",
    "localhost:65536",
    "localhost:-1",
    "localhost:80/evil",
    "localhost,evil.example",
    "localhost evil.example",
    "localhost\\evil.example",
    "local%68ost",
    "0x7f000001",  # other spellings of 127.0.0.1 are names, and not allowed ones
    "2130706433",
    "127.1",
    "0.0.0.0",
    "[::1",
    "[::1]x",
    "[::1]:",
    "[fe80::1%25eth0]",
    "[::2]",
    "",
]
ALLOWED_HOSTS = [
    "localhost",
    "localhost:8000",
    "LOCALHOST:8000",
    "LocalHost",
    "localhost.",
    "localhost.:8000",
    "127.0.0.1",
    "127.0.0.1:8000",
    "127.0.0.2:8000",  # all of 127.0.0.0/8 is this machine
    "[::1]",
    "[::1]:8000",
    "[0:0:0:0:0:0:0:1]:8000",
    "[::ffff:127.0.0.1]:8000",
]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_hosts_that_are_not_loopback_are_refused(host: str) -> None:
    assert not HostAllowlist().allows(host)


@pytest.mark.parametrize("host", ALLOWED_HOSTS)
def test_loopback_hosts_are_allowed_in_any_case_and_with_any_port(host: str) -> None:
    assert HostAllowlist().allows(host)


def test_allowed_hosts_adds_names_and_subdomains() -> None:
    settings = ApiSettings(allowed_hosts=" API.example.com, *.corp.example ,10.0.0.5")
    allowlist = settings.host_allowlist
    for host in ("api.example.com", "api.example.com:443", "a.corp.example", "a.b.corp.example:80"):
        assert allowlist.allows(host), host
    assert allowlist.allows("10.0.0.5:8000")
    for host in ("corp.example", "evilcorp.example", "api.example.com.evil", "example.com"):
        assert not allowlist.allows(host), host
    assert allowlist.allows("localhost:8000")  # loopback stays allowed
    assert ApiSettings(allowed_hosts="*").host_allowlist.allows("anything.example")
    assert host_name("[::1]:80") == "::1"


@pytest.mark.parametrize(
    "entry", ["https://api.example.com", "api.example.com:8000", "api.example.com/x", "*", "a b"]
)
def test_a_bad_allowed_hosts_entry_is_refused_with_what_is_allowed(entry: str) -> None:
    if entry == "*":
        assert parse_allowed_hosts(entry) == ["*"]  # `*` alone: any host, on purpose
        return
    with pytest.raises(ValidationError) as refused:
        ApiSettings(allowed_hosts=f"localhost,{entry}")
    assert "without scheme, port or path" in str(refused.value)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    with serve(create_app(ApiSettings(allowed_hosts="api.example.com"))) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def exchange(server: tuple[str, int], request: bytes) -> tuple[int, bytes]:
    """Send raw `request` bytes; the response's status and body."""
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-")]
            sizes = [int(line.split(b":")[1]) for line in length if b"length" in line.lower()]
            if sizes and len(body) >= sizes[0]:
                break
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


def request(path: str, host: str | None, method: str = "GET", extra: str = "") -> bytes:
    line = f"{method} {path} HTTP/1.1\r\n"
    host_line = f"Host: {host}\r\n" if host is not None else ""
    return f"{line}{host_line}{extra}Connection: close\r\n\r\n".encode("latin-1")


def assert_host_refused(status: int, body: bytes) -> None:
    assert status == 400
    error = json.loads(body)["error"]
    assert error["code"] == "host_not_allowed"
    assert "ALLOWED_HOSTS" in error["message"]


RUN = '{"input": "What is 2 + 2?", "agent": "assistant"}'


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/sessions", ""),
        ("POST", "/runs", RUN),
        ("POST", "/runs/stream", RUN),
        ("GET", "/sessions/abc", ""),
        ("DELETE", "/sessions/abc", ""),
        ("GET", "/agents", ""),
        ("GET", "/health", ""),
        ("GET", "/", ""),
        ("GET", "/docs", ""),
        ("GET", "/openapi.json", ""),
        ("POST", "/mcp", '{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}'),
        ("GET", "/no-such-route", ""),
    ],
)
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.com"])
@pytest.mark.slow
def test_every_route_refuses_other_hosts(
    server: tuple[str, int], method: str, path: str, body: str, host: str
) -> None:
    extra = (
        "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
        f"Content-Length: {len(body)}\r\n"
        if body
        else ""
    )
    line = request(path, host, method, extra) + body.encode()
    assert_host_refused(*exchange(server, line))


@pytest.mark.parametrize("host", REFUSED_HOSTS[:16])
@pytest.mark.slow
def test_host_header_forms_are_refused_on_the_wire(server: tuple[str, int], host: str) -> None:
    status, body = exchange(server, request("/sessions", host))
    assert status == 400  # by the app (JSON), or by the HTTP parser for what is not a header
    if body.startswith(b"{"):
        assert json.loads(body)["error"]["code"] == "host_not_allowed"


@pytest.mark.slow
def test_no_host_and_two_hosts_are_refused(server: tuple[str, int]) -> None:
    assert_host_refused(*exchange(server, b"GET /sessions HTTP/1.0\r\n\r\n"))
    two = request("/sessions", "localhost", extra="Host: evil.example\r\n")
    assert exchange(server, two)[0] == 400
    two = request("/sessions", "evil.example", extra="Host: localhost\r\n")
    assert exchange(server, two)[0] == 400


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "[::1]", "api.example.com"])
@pytest.mark.slow
def test_allowed_hosts_are_answered_on_the_wire(server: tuple[str, int], host: str) -> None:
    status, body = exchange(server, request("/sessions", f"{host}:{server[1]}"))
    assert (status, json.loads(body)) == (200, [])


def handshake(host: str, origin: str | None) -> bytes:
    origin_line = f"Origin: {origin}\r\n" if origin is not None else ""
    return (
        f"GET /runs/ws HTTP/1.1\r\nHost: {host}\r\n{origin_line}Upgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode("latin-1")


def handshake_status(server: tuple[str, int], host: str, origin: str | None) -> int:
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(handshake(host, origin))
        data = b""
        while b"\r\n\r\n" not in data and (chunk := sock.recv(4096)):
            data += chunk
    return int(data.split(b" ", 2)[1])


@pytest.mark.slow
def test_the_websocket_refuses_a_rebound_host_even_when_origin_agrees(
    server: tuple[str, int],
) -> None:
    # The attack of the issue: Host and Origin both evil, agreeing with each other.
    assert handshake_status(server, "evil.example:8000", "http://evil.example:8000") == 400
    assert handshake_status(server, "evil.example:8000", None) == 400


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://evil.example:8000", 403),
        ("http://localhost.evil.example", 403),
        ("null", 403),
        ("file://", 403),
        ("http://user@localhost:8000", 403),
        ("http://localhost:8000", 101),
        ("http://127.0.0.1:9999", 101),
        ("https://api.example.com", 101),
        (None, 101),  # clients that are not browsers send none
    ],
)
@pytest.mark.slow
def test_websocket_origins_are_checked_against_the_allowlist(
    server: tuple[str, int], origin: str | None, status: int
) -> None:
    assert handshake_status(server, f"localhost:{server[1]}", origin) == status


async def test_asgi_clients_need_a_loopback_base_url_too() -> None:
    transport = httpx.ASGITransport(app=create_app(ApiSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/health")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "host_not_allowed"
