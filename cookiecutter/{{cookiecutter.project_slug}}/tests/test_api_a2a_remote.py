"""A2A across real servers: our API in another process, called by an agent of this one through
`register_a2a_agent`; and the `a2a-sdk` client streaming from a real uvicorn (SSE over a
socket), through an approval to completion.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from a2a.client import ClientConfig, create_client
from a2a.helpers import get_artifact_text, new_data_part, new_text_message
from a2a.types.a2a_pb2 import GetTaskRequest, Role, SendMessageRequest, TaskState
from pydantic import SecretStr

from agents_core import AgentDefinition, register_agent, register_tool
from agents_core.a2a import A2AAgentDefinition, RemoteAgentError, call_a2a_agent, register_a2a_agent
from agents_core.runs import RunRequest, RunService
from api import ApiSettings, create_app
from tests.api_server import serve

pytestmark = pytest.mark.slow

KEY = "key-remote-0123456789"
PROJECT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def remote_api(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Our own API served by uvicorn in another process, with one API key."""
    port = _free_port()
    env = {
        **os.environ,
        "API_KEYS": f"caller:{KEY}",
        "DATA_DIR": str(tmp_path / "remote-data"),
        "OPENAI_API_KEY": "",
        "LLM_PROVIDER": "offline",
    }
    command = [sys.executable, "-m", "uvicorn", "api:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=PROJECT, env=env, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"the remote API did not start: {error[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the remote API did not answer /health within 60 s")
            time.sleep(0.2)
        yield url, process
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr:
            process.stderr.close()


async def test_an_agent_calls_the_other_process_agent_over_a2a(
    remote_api: tuple[str, subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, process = remote_api
    monkeypatch.setenv("REMOTE_A2A_KEY", KEY)
    register_a2a_agent(
        "remote_math",
        url,
        description="Ask the remote math agent a question about arithmetic.",
        api_key_env="REMOTE_A2A_KEY",
        skill="assistant",
        timeout_seconds=30,
    )
    register_agent(
        AgentDefinition(
            name="relay",
            description="Relays questions to the remote math agent",
            instructions="Ask the remote math agent.",
            tools=["remote_math"],
        )
    )
    outcome = await RunService().run(
        RunRequest(input="Ask the remote math agent: What is 2 + 2?", agent="relay")
    )
    assert outcome.status == "completed"
    assert "4" in outcome.text
    # The remote ran it: its usage counts the caller's run (its own principal there).
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}) as http:
        usage = (await http.get(f"{url}/usage")).json()
    assert usage["principal"] == "caller"
    assert usage["requests"]["used"] == 1

    # The remote goes down: the call fails with its fault code (the model reads it).
    process.terminate()
    process.wait(10)
    definition = A2AAgentDefinition("remote_math", url, api_key_env="REMOTE_A2A_KEY")
    with pytest.raises(RemoteAgentError) as raised:
        await call_a2a_agent(definition, "What is 2 + 2?")
    assert raised.value.code == "a2a_unavailable"


async def test_the_sdk_client_streams_an_approval_to_completion_over_uvicorn() -> None:
    deleted: list[str] = []

    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file's path
        """
        deleted.append(path)
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )
    app = create_app(ApiSettings(api_keys=SecretStr(f"caller:{KEY}")))
    path = "delete file /srv/notes.txt"
    with serve(app) as url:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}) as http:
            client = await create_client(url, client_config=ClientConfig(httpx_client=http))
            first = new_text_message(path)
            first.role = Role.ROLE_USER
            first.metadata.update({"agent": "janitor"})
            events = [e async for e in client.send_message(SendMessageRequest(message=first))]
            task_id = events[0].task.id
            states = [e.status_update.status.state for e in events if e.HasField("status_update")]
            assert states == [TaskState.TASK_STATE_WORKING, TaskState.TASK_STATE_INPUT_REQUIRED]
            assert deleted == []

            decision = new_text_message("", task_id=task_id)
            decision.role = Role.ROLE_USER
            del decision.parts[:]
            decision.parts.append(new_data_part({"decision": "approve"}))
            events = [e async for e in client.send_message(SendMessageRequest(message=decision))]
            states = [e.status_update.status.state for e in events if e.HasField("status_update")]
            assert states[-1] == TaskState.TASK_STATE_COMPLETED
            artifacts = [
                e.artifact_update.artifact for e in events if e.HasField("artifact_update")
            ]
            assert "deleted" in get_artifact_text(artifacts[-1])
            task = await client.get_task(GetTaskRequest(id=task_id))
            assert task.status.state == TaskState.TASK_STATE_COMPLETED
            await client.close()
    assert deleted == [path]
