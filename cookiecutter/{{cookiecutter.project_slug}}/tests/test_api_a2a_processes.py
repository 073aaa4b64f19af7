"""A2A tasks across API processes: two uvicorn processes on one session store.

A task sent to one process is read, refused to another principal, approved and completed on
the other, and read back on the first: the tasks live beside the sessions (`api.a2a_tasks`),
not in one process's memory. On Redis sessions they stay in each process's memory (the
a2a-sdk has no Redis task store), as documented.
"""

from __future__ import annotations

import os
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

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
ALICE = {"Authorization": "Bearer key-alice-0123456789"}
BOB = {"Authorization": "Bearer key-bob-0123456789"}
PATH = "delete file /srv/notes.txt"
TASK_NOT_FOUND = -32001
SERVER = '''
import sys

import uvicorn

from agents_core import AgentDefinition, register_agent, register_tool
from api import create_app


@register_tool(needs_approval=True)
def delete_file(path: str) -> str:
    """Delete a file.

    Args:
        path: the file's path
    """
    with open(sys.argv[2], "a", encoding="utf-8") as log:
        log.write(f"{sys.argv[3]} {path}\\n")
    return f"deleted {path}"


register_agent(
    AgentDefinition(
        name="janitor",
        description="Deletes files",
        instructions="You delete files.",
        tools=["delete_file"],
    )
)
uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
'''


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def two_processes(backend_url: str, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """Two API processes (`a`, `b`) on the session store `backend_url`, and the file where
    the tool writes what it deleted (and in which process)."""
    deletions = tmp_path / "deleted.log"
    env = {
        **os.environ,
        "API_KEYS": "alice:key-alice-0123456789,bob:key-bob-0123456789",
        "SESSION_URL": backend_url,
        "DATA_DIR": str(tmp_path / "data"),
        "OPENAI_API_KEY": "",
        "LLM_PROVIDER": "offline",
    }
    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port), str(deletions), name],
            cwd=PROJECT,
            env=env,
            stderr=subprocess.PIPE,
        )
        for port, name in zip(ports, "ab", strict=True)
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            _wait_until_up(url, process)
        yield urls[0], urls[1], deletions
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
            if process.stderr:
                process.stderr.close()


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(f"the API process did not start: {error[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer /health within 60 s")
        time.sleep(0.1)


def _rpc(url: str, headers: dict[str, str], method: str, params: dict[str, Any]) -> Any:
    body = {"jsonrpc": "2.0", "id": uuid.uuid4().hex, "method": method, "params": params}
    response = httpx.post(f"{url}/a2a", json=body, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _message(text: str, **fields: Any) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"kind": "text", "text": text}] if text else []
    if "data" in fields:
        parts.append({"kind": "data", "data": fields.pop("data")})
    return {"message": {"messageId": uuid.uuid4().hex, "role": "user", "parts": parts, **fields}}


def test_a_task_sent_to_one_process_is_answered_by_the_other(
    two_processes: tuple[str, str, Path], backend_url: str
) -> None:
    a, b, deletions = two_processes
    sent = _rpc(a, ALICE, "message/send", _message(PATH, metadata={"agent": "janitor"}))
    task = sent["result"]
    assert task["status"]["state"] == "input-required", sent
    task_id, context_id = task["id"], task["contextId"]

    got = _rpc(b, ALICE, "tasks/get", {"id": task_id})
    if backend_url.startswith("redis"):  # documented: tasks stay in the process that ran them
        assert got["error"]["code"] == TASK_NOT_FOUND
        return
    assert got["result"]["status"]["state"] == "input-required", got
    assert got["result"]["contextId"] == context_id

    # Another principal: not found, on either process, for reading and for deciding.
    for url in (a, b):
        assert _rpc(url, BOB, "tasks/get", {"id": task_id})["error"]["code"] == TASK_NOT_FOUND
    approve = _message("", taskId=task_id, contextId=context_id, data={"decision": "approve"})
    assert _rpc(b, BOB, "message/send", approve)["error"]["code"] == TASK_NOT_FOUND
    assert not deletions.exists()

    done = _rpc(b, ALICE, "message/send", approve)
    assert done["result"]["status"]["state"] == "completed", done
    assert "deleted" in done["result"]["artifacts"][-1]["parts"][0]["text"]
    assert deletions.read_text(encoding="utf-8") == f"b {PATH}\n"  # once, by the other process

    back = _rpc(a, ALICE, "tasks/get", {"id": task_id})  # the first process reads the store
    assert back["result"]["status"]["state"] == "completed", back
