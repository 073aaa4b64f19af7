"""Remote A2A agents as tools: declarations, the file, and every fault against real sockets.

The remotes here are small HTTP servers on 127.0.0.1 (threads of this process) that answer
what a broken agent would: nothing (a closed port), too late, garbage, 401. A real A2A server
(our own API in another process) is in `test_api_a2a_remote.py`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from agents_core.a2a import (
    A2AAgentDefinition,
    RemoteAgentError,
    call_a2a_agent,
    load_a2a_agents_file,
    register_a2a_agent,
)
from agents_core.exceptions import ConfigurationError
from agents_core.registry.tool_registry import get_tool_registry
from tests.local_http import LocalHTTPServer, serving

Handler = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def remote(handle: Handler) -> Iterator[str]:
    """A server on 127.0.0.1 whose every request `handle` answers; yields its base URL."""

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            handle(self)

        def do_POST(self) -> None:
            handle(self)

        def log_message(self, *args: object) -> None:
            pass

    with serving(LocalHTTPServer(_Handler)) as server:
        yield server.url


def answer(request: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    length = int(request.headers.get("Content-Length") or 0)
    if length:
        request.rfile.read(length)
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def card_then(rpc: Handler) -> Handler:
    """A valid agent card whose JSON-RPC endpoint answers with `rpc`."""

    def handle(request: BaseHTTPRequestHandler) -> None:
        if request.command == "GET":
            host = request.headers["Host"]
            card = {
                "name": "remote",
                "description": "A remote agent",
                "version": "1",
                "supportedInterfaces": [
                    {
                        "url": f"http://{host}/a2a",
                        "protocolBinding": "JSONRPC",
                        "protocolVersion": "1.0",
                    }
                ],
                "capabilities": {},
                "defaultInputModes": ["text/plain"],
                "defaultOutputModes": ["text/plain"],
                "skills": [{"id": "s", "name": "s", "description": "s", "tags": ["s"]}],
            }
            answer(request, 200, json.dumps(card).encode())
        else:
            rpc(request)

    return handle


async def fault_of(url: str, **options: object) -> RemoteAgentError:
    definition = A2AAgentDefinition("remote", url, **options)  # type: ignore[arg-type]
    with pytest.raises(RemoteAgentError) as raised:
        await call_a2a_agent(definition, "hello")
    return raised.value


def test_plain_http_is_refused_except_on_loopback_or_when_allowed() -> None:
    with pytest.raises(ConfigurationError, match="https://"):
        A2AAgentDefinition("x", "http://agents.example.com")
    A2AAgentDefinition("x", "http://agents.example.com", allow_http=True)
    A2AAgentDefinition("x", "http://127.0.0.1:8000")
    A2AAgentDefinition("x", "https://agents.example.com")
    with pytest.raises(ConfigurationError, match="credentials"):
        A2AAgentDefinition("x", "https://me:secret@agents.example.com")
    with pytest.raises(ConfigurationError, match="http"):
        A2AAgentDefinition("x", "file:///etc/passwd")


def test_register_makes_a_tool_agents_can_list() -> None:
    definition = register_a2a_agent("billing_remote", "https://billing.example.com")
    assert definition.category == "a2a"
    assert get_tool_registry().get_tool_functions(["billing_remote"])[0].name == "billing_remote"


def test_the_file_declares_agents_with_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BILLING_HOST", "billing.example.com")
    path = tmp_path / "a2a_agents.toml"
    path.write_text(
        '[a2a.billing]\nurl = "https://${BILLING_HOST}"\napi_key_env = "BILLING_KEY"\n'
        "timeout_seconds = 5\n",
        encoding="utf-8",
    )
    [billing] = load_a2a_agents_file(path)
    assert billing.url == "https://billing.example.com"
    assert billing.timeout_seconds == 5
    assert load_a2a_agents_file(tmp_path / "missing.toml") == []
    path.write_text('[a2a.billing]\nurl = "https://x"\nretries = 3\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="unknown key"):
        load_a2a_agents_file(path)
    path.write_text('[servers.billing]\nurl = "https://x"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"\[a2a.<name>\]"):
        load_a2a_agents_file(path)


async def test_a_remote_that_is_down_is_a2a_unavailable() -> None:
    with remote(lambda request: None) as url:
        pass  # the port is closed again
    error = await fault_of(url)
    assert error.code == "a2a_unavailable"


async def test_a_slow_remote_is_a2a_timeout() -> None:
    release = threading.Event()

    def slow(request: BaseHTTPRequestHandler) -> None:
        release.wait(10)
        answer(request, 200, b"{}")

    with remote(card_then(slow)) as url:
        started = time.monotonic()
        error = await fault_of(url, timeout_seconds=0.5)
        release.set()
    assert error.code == "a2a_timeout"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("name", "handle"),
    [
        ("card not json", lambda r: answer(r, 200, b"<html>hello</html>")),
        ("card not a card", lambda r: answer(r, 200, b'{"skills": 7}')),
        ("rpc not json", card_then(lambda r: answer(r, 200, b"not json"))),
        ("rpc not json-rpc", card_then(lambda r: answer(r, 200, b'{"hello": 1}'))),
        (
            "rpc result not a task",
            card_then(lambda r: answer(r, 200, b'{"jsonrpc": "2.0", "id": 1, "result": {"x": 1}}')),
        ),
    ],
)
async def test_a_remote_answering_garbage_is_a2a_bad_response(name: str, handle: Handler) -> None:
    with remote(handle) as url:
        error = await fault_of(url)
    assert error.code == "a2a_bad_response", (name, error)


async def test_a_refused_credential_is_a2a_refused_and_never_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REMOTE_KEY", "sk-remote-0123456789abcdef")
    seen: list[str] = []

    def refuse(request: BaseHTTPRequestHandler) -> None:
        seen.append(request.headers.get("Authorization", ""))
        answer(request, 401, b'{"error": "who are you, sk-remote-0123456789abcdef?"}')

    with remote(refuse) as url:
        error = await fault_of(url, api_key_env="REMOTE_KEY")
    assert error.code == "a2a_refused"
    assert seen == ["Bearer sk-remote-0123456789abcdef"]
    assert "sk-remote-0123456789abcdef" not in str(error)


async def test_a_missing_key_variable_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REMOTE_KEY", raising=False)
    error = await fault_of("http://127.0.0.1:9", api_key_env="REMOTE_KEY")
    assert error.code == "a2a_refused"
    assert "REMOTE_KEY" in str(error)
