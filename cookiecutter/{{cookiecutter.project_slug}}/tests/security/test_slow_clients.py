"""Slow clients (slowloris) are cut off after a bounded time, and others are served meanwhile.

`serve` runs as a process with short deadlines (HEADER_TIMEOUT_SECONDS, BODY_TIMEOUT_SECONDS):
the same command the Dockerfile and compose.yaml run.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from api import ApiSettings, create_app
from api.serving import BoundedH11Protocol, http_protocol, server_options
from tests.api_server import serve
from tests.security._processes import free_port, start_in_own_group, stop_group, wait_until_healthy

HEADER_SECONDS = 1.0
BODY_SECONDS = 1.0
DRIP_SECONDS = 0.4
"""A slow client's pause between bytes: shorter than the deadlines, so that only a deadline on
the whole request (not an idle timeout between reads) can cut it off."""
SLOW_CLIENTS = 200
SLACK = 2.0
"""Seconds allowed past a deadline: the event loop's scheduling on a busy 2-core machine."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    port = free_port()
    log = tmp_path_factory.mktemp("slow") / "serve.log"
    env = {
        "HEADER_TIMEOUT_SECONDS": str(HEADER_SECONDS),
        "BODY_TIMEOUT_SECONDS": str(BODY_SECONDS),
        "MAX_CONNECTIONS": "1000",
        "OPENAI_API_KEY": "",
    }
    process = start_in_own_group(["serve", "--port", str(port)], env, log)
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}")
        yield "127.0.0.1", port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        stop_group(process.pid)


async def drip_headers(
    address: tuple[str, int], started: float, dripping: asyncio.Queue[None] | None = None
) -> float:
    """Send a request's headers a byte every DRIP_SECONDS; seconds until the server closed."""
    reader, writer = await asyncio.open_connection(*address)
    request = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 60
    try:
        for index, byte in enumerate(request):
            writer.write(bytes([byte]))
            await writer.drain()
            if index == 0 and dripping is not None:
                dripping.put_nowait(None)
            try:  # a pause between bytes, unless the server closes first
                if await asyncio.wait_for(reader.read(4096), DRIP_SECONDS) == b"":
                    break
            except TimeoutError:
                continue
            break  # it answered (408) and closes
        else:
            raise AssertionError("the server read the slow headers to their end")
    except ConnectionError:
        pass  # closed while we wrote: that is the point
    finally:
        writer.close()
    return time.monotonic() - started


@pytest.mark.slow
async def test_slow_headers_are_cut_off_and_others_are_served(served: tuple[str, int]) -> None:
    started = time.monotonic()
    dripping: asyncio.Queue[None] = asyncio.Queue()
    slow = [
        asyncio.create_task(drip_headers(served, started, dripping)) for _ in range(SLOW_CLIENTS)
    ]
    for _ in range(SLOW_CLIENTS):  # every one has connected and sent its first byte
        await dripping.get()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served[1]}") as client:
        before = time.monotonic()
        response = await client.get("/health")
        normal = time.monotonic() - before
    assert response.status_code == 200
    assert not all(task.done() for task in slow)  # they were still hanging meanwhile
    closed_after = await asyncio.gather(*slow)
    assert normal < HEADER_SECONDS, f"a normal request took {normal:.2f} s among slow ones"
    longest = max(closed_after)
    assert longest < HEADER_SECONDS + SLACK, f"the last slow client was closed after {longest} s"
    assert min(closed_after) >= HEADER_SECONDS * 0.9  # not before its deadline


async def read_all(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything until the server closes, which it must do within `seconds`."""
    data = b""
    async with asyncio.timeout(seconds):
        while chunk := await reader.read(4096):
            data += chunk
    return data


@pytest.mark.slow
async def test_a_body_that_never_ends_gets_408(served: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*served)
    started = time.monotonic()
    writer.write(
        b"POST /runs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"input": "'
    )
    await writer.drain()
    answer = await read_all(reader, BODY_SECONDS + SLACK)
    elapsed = time.monotonic() - started
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b'"request_timeout"' in answer
    assert BODY_SECONDS * 0.9 <= elapsed < BODY_SECONDS + SLACK


@pytest.mark.slow
async def test_a_connection_that_sends_nothing_is_closed(served: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*served)
    started = time.monotonic()
    answer = await read_all(reader, HEADER_SECONDS + SLACK)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < HEADER_SECONDS + SLACK


@pytest.mark.slow
async def test_kept_alive_connections_and_streams_are_not_cut(served: tuple[str, int]) -> None:
    # Deadlines bound reading a request, not the time between requests nor a response.
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served[1]}") as client:
        for _ in range(3):
            assert (await client.get("/health")).status_code == 200
        body = {"input": "What is 2 + 2?", "agent": "assistant"}
        async with client.stream("POST", "/runs/stream", json=body) as stream:
            events = [line async for line in stream.aiter_lines() if line.startswith("event:")]
    assert events[-1] == "event: done"


def test_serve_passes_the_same_options_as_documented() -> None:
    options = server_options(ApiSettings().max_connections)
    assert options["http"] == http_protocol()
    assert options["limit_concurrency"] == 1000
    assert options["timeout_keep_alive"] == 5


class _Quick(BoundedH11Protocol):
    header_timeout = 1.0
    body_timeout = 1.0


@pytest.mark.slow
async def test_the_h11_protocol_has_the_deadlines_too() -> None:
    # `serve` picks httptools when it is installed; the h11 protocol is cut off the same way.
    with serve(create_app(ApiSettings()), http=_Quick) as url:
        host, port = url.removeprefix("http://").split(":")
        closed_after = await drip_headers((host, int(port)), time.monotonic())
    assert 0.9 <= closed_after < 1.0 + SLACK
