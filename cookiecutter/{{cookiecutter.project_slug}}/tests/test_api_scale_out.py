"""Two `serve` processes (two "machines") on one {{ cookiecutter.session_backend }} session store.

The API keeps no state of its own: 10 sessions talk to two separate server processes on two ports,
each session's turns alternating between them (one turn at a time per session, sessions in
parallel), 50 turns in all. Every answer must match its question, and every session's history
must hold whole turns, in the order asked, each answered turn exactly once.

Then again with one process killed (SIGKILL) midway: the sessions go on on the other, every
answered turn is stored once, whole and in order, and a turn cut by the kill must be stored whole
or not at all (turns are stored in one write at their end).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agents_core.utils.messages import item_text
from tests.conftest import server_url

pytestmark = pytest.mark.server_backend

BACKEND = "{{ cookiecutter.session_backend }}"
SESSIONS, TURNS = 10, 5
KILL_AFTER = 20  # answered turns before one process is killed (in the kill test)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "{{ cookiecutter.package_name }}", "serve", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120  # two imports of the app on a busy CI machine
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{url} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} not ready after 120 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    """Two API processes on one session store, each with its own data dir (the kill test, last,
    kills the second)."""
    url = server_url(BACKEND)
    tmp_path = tmp_path_factory.mktemp("machines")
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for index in range(2):
            env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
            env.update(
                SESSION_URL=url,
                DATA_DIR=str(tmp_path / f"machine-{index}"),
                LLM_PROVIDER="offline",
                TRACING="off",
                WEB_CONCURRENCY="1",
            )
            env.pop("PORT", None)
            port = _free_port()
            log = tmp_path / f"machine-{index}.log"
            proc = _serve(port, env, log)
            started.append((f"http://127.0.0.1:{port}", proc))
        for index, (base, proc) in enumerate(started):
            _wait_healthy(base, proc, tmp_path / f"machine-{index}.log")
        yield started
    finally:
        for _, proc in started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _question(session: int, turn: int) -> tuple[str, str]:
    a = 1000 * (session + 1) + 10 * turn + 1
    return f"What is {a} + 7?", str(a + 7)


def _turns(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(user message, final assistant text) of each turn of a session's history, in order."""
    turns: list[tuple[str, str]] = []
    for item in items:
        if item.get("role") == "user":
            turns.append((item_text(item), ""))
        elif item.get("role") == "assistant" and turns:
            turns[-1] = (turns[-1][0], item_text(item))
    return turns


async def test_two_processes_share_sessions(
    servers: list[tuple[str, subprocess.Popen[bytes]]],
) -> None:
    await _conversations(servers, kill=False)


async def test_two_processes_survive_a_kill(
    servers: list[tuple[str, subprocess.Popen[bytes]]],
) -> None:
    await _conversations(servers, kill=True)


async def _conversations(servers: list[tuple[str, subprocess.Popen[bytes]]], kill: bool) -> None:
    """50 turns on 10 sessions across both servers (killing the second midway with `kill`)."""
    run_id = uuid.uuid4().hex[:12]
    session_ids = [f"scale-{run_id}-{s}" for s in range(SESSIONS)]
    answered: dict[str, list[tuple[str, str]]] = {sid: [] for sid in session_ids}
    cut: dict[str, list[str]] = {sid: [] for sid in session_ids}
    done = 0
    killed = asyncio.Event()
    victim_url, victim = servers[1]

    async def converse(client: httpx.AsyncClient, session: int) -> None:
        nonlocal done
        sid = session_ids[session]
        for turn in range(TURNS):
            question, expected = _question(session, turn)
            base = servers[(session + turn) % 2][0]
            if killed.is_set() and base == victim_url:
                base = servers[0][0]  # the load balancer stops sending to the dead machine
            body = {"input": question, "agent": "assistant", "session_id": sid}
            try:
                response = await client.post(f"{base}/runs", json=body)
            except httpx.TransportError:
                assert base == victim_url, f"the surviving server failed on {question!r}"
                cut[sid].append(question)  # in flight when its machine died
                continue
            assert response.status_code == 200, response.text
            text = response.json()["text"]
            assert expected in text, f"{question!r} was answered {text!r}"
            answered[sid].append((question, text))
            done += 1
            if kill and done == KILL_AFTER:
                victim.send_signal(signal.SIGKILL)  # mid-run: other sessions' turns in flight
                killed.set()

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(converse(client, s) for s in range(SESSIONS)))
        if kill:
            assert victim.wait(timeout=10) == -signal.SIGKILL
        else:
            assert not any(cut.values()), cut
        histories = {}
        for sid in session_ids:
            response = await client.get(f"{servers[0][0]}/sessions/{sid}")
            assert response.status_code == 200, response.text
            histories[sid] = _turns(response.json()["items"])

    assert sum(len(turns) for turns in answered.values()) + sum(map(len, cut.values())) == 50
    for sid in session_ids:
        stored = histories[sid]
        asked = [q for q, _ in stored]
        # Each answered turn once, in the order asked; a cut turn at most once, never doubled.
        assert len(asked) == len(set(asked)), f"{sid}: a turn stored twice: {asked}"
        answered_questions = [q for q, _ in answered[sid]]
        assert [q for q in asked if q in answered_questions] == answered_questions, sid
        assert set(asked) <= set(answered_questions) | set(cut[sid]), sid
        for question, text in stored:
            # Whole turns only: every stored question has its own answer after it.
            session, turn = next(
                (s, t)
                for s in range(SESSIONS)
                for t in range(TURNS)
                if _question(s, t)[0] == question
            )
            assert _question(session, turn)[1] in text, f"{sid}: {question!r} -> {text!r}"
