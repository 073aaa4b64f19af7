"""The A2A door with the official `a2a-sdk` client, in process (httpx's ASGI transport).

Card, send, stream, get, cancel, an approval through `input-required` to completion, two
principals (bob gets the A2A task-not-found error for alice's task and context), no
credentials (401) and hostile bodies (JSON-RPC errors or 4xx, never 500).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from a2a.client import Client, ClientConfig, create_client
from a2a.helpers import (
    get_artifact_text,
    get_data_parts,
    get_message_text,
    new_data_part,
    new_text_message,
)
from a2a.types.a2a_pb2 import (
    CancelTaskRequest,
    GetTaskRequest,
    Role,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskState,
)
from a2a.utils.errors import InvalidParamsError, TaskNotFoundError
from fastapi import FastAPI
from pydantic import SecretStr

from agents_core import AgentDefinition, get_settings, register_agent, register_tool
from api import ApiSettings, create_app

ALICE = {"Authorization": "Bearer key-alice-0123456789"}
BOB = {"Authorization": "Bearer key-bob-0123456789"}
PATH = "delete file /srv/notes.txt"
"""The offline model passes the whole message as the path."""
DELETED: list[str] = []


@pytest.fixture(autouse=True)
def agents() -> None:
    DELETED.clear()

    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file's path
        """
        DELETED.append(path)
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )


@pytest.fixture
def app() -> FastAPI:
    keys = "alice:key-alice-0123456789,bob:key-bob-0123456789"
    return create_app(ApiSettings(api_keys=SecretStr(keys)))


@asynccontextmanager
async def a2a_client(
    app: FastAPI, headers: dict[str, str], *, streaming: bool = False
) -> AsyncIterator[Client]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://localhost", headers=headers, timeout=30
    ) as http:
        config = ClientConfig(httpx_client=http, streaming=streaming)
        client = await create_client("http://localhost", client_config=config)
        yield client
        await client.close()


def message(
    text: str,
    *,
    agent: str | None = None,
    task_id: str = "",
    context_id: str = "",
    data: dict[str, Any] | None = None,
) -> SendMessageRequest:
    built = new_text_message(text, context_id=context_id or None, task_id=task_id or None)
    built.role = Role.ROLE_USER
    if data is not None:
        built.parts.append(new_data_part(data))
    if agent is not None:
        built.metadata.update({"agent": agent})
    return SendMessageRequest(message=built)


async def send(client: Client, request: SendMessageRequest) -> list[StreamResponse]:
    return [event async for event in client.send_message(request)]


def final_task(events: list[StreamResponse]) -> Task:
    tasks = [event.task for event in events if event.HasField("task")]
    assert tasks, events
    return tasks[-1]


async def test_the_card_lists_the_agents_the_endpoint_and_the_auth_scheme(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        response = await http.get("/.well-known/agent-card.json")  # public, as A2A cards are
    assert response.status_code == 200
    card = response.json()
    skills = {skill["id"] for skill in card["skills"]}
    assert {"router", "janitor", "assistant"} <= skills
    assert card["supportedInterfaces"][0]["url"] == "http://localhost/a2a"
    assert card["supportedInterfaces"][0]["protocolBinding"] == "JSONRPC"
    assert card["capabilities"]["streaming"] is True
    assert card["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"] == "Bearer"
    assert card["securityRequirements"] == [{"schemes": {"bearer": {}}}]


async def test_a_card_without_credentials_declares_no_scheme() -> None:
    transport = httpx.ASGITransport(app=create_app(ApiSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        card = (await http.get("/.well-known/agent-card.json")).json()
    assert "securitySchemes" not in card
    assert "securityRequirements" not in card


async def test_send_answers_with_a_completed_task_whose_id_is_the_run_id(app: FastAPI) -> None:
    async with a2a_client(app, ALICE) as client:
        task = final_task(await send(client, message("What is 2 + 2?", agent="assistant")))
        assert task.status.state == TaskState.TASK_STATE_COMPLETED
        assert len(task.id) == 32
        assert int(task.id, 16) >= 0
        assert "4" in get_artifact_text(task.artifacts[0])
        got = await client.get_task(GetTaskRequest(id=task.id))
        assert got.status.state == TaskState.TASK_STATE_COMPLETED
        assert got.context_id == task.context_id

        # The same context continues the same session (the run sees the history).
        again = final_task(
            await send(client, message("And 3 + 3?", agent="assistant", context_id=task.context_id))
        )
        assert again.context_id == task.context_id
        assert again.id != task.id
        assert "6" in get_artifact_text(again.artifacts[0])


async def test_stream_sends_the_task_its_states_and_the_answer(app: FastAPI) -> None:
    async with a2a_client(app, ALICE, streaming=True) as client:
        events = await send(client, message("What is 2 + 2?", agent="assistant"))
    kinds = [event.WhichOneof("payload") for event in events]
    assert kinds[0] == "task"
    states = [e.status_update.status.state for e in events if e.HasField("status_update")]
    assert states[0] == TaskState.TASK_STATE_WORKING
    assert states[-1] == TaskState.TASK_STATE_COMPLETED
    artifacts = [e.artifact_update.artifact for e in events if e.HasField("artifact_update")]
    assert "4" in get_artifact_text(artifacts[-1])


async def test_an_approval_goes_through_input_required_to_completion(app: FastAPI) -> None:
    async with a2a_client(app, ALICE) as client:
        task = final_task(await send(client, message(PATH, agent="janitor")))
        assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        assert DELETED == []
        said = get_message_text(task.status.message)
        assert "delete_file" in said
        assert "approve" in said
        [waiting] = get_data_parts(list(task.status.message.parts))[0]["approvals"]
        assert waiting["tool"] == "delete_file"
        assert waiting["arguments"] == {"path": PATH}

        # A message without a decision leaves the task waiting and says how to decide.
        unclear = final_task(await send(client, message("hmm?", task_id=task.id)))
        assert unclear.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        assert "decision" in get_message_text(unclear.status.message)

        done = final_task(
            await send(client, message("", task_id=task.id, data={"decision": "approve"}))
        )
        assert done.status.state == TaskState.TASK_STATE_COMPLETED
        assert DELETED == [PATH]
        assert "deleted" in get_artifact_text(done.artifacts[-1])


async def test_a_rejection_in_words_completes_the_task_without_the_call(app: FastAPI) -> None:
    async with a2a_client(app, ALICE) as client:
        task = final_task(await send(client, message(PATH, agent="janitor")))
        done = final_task(await send(client, message("reject: not today", task_id=task.id)))
    assert done.status.state == TaskState.TASK_STATE_COMPLETED
    assert DELETED == []


async def test_cancel_ends_a_paused_task(app: FastAPI) -> None:
    async with a2a_client(app, ALICE) as client:
        task = final_task(await send(client, message(PATH, agent="janitor")))
        cancelled = await client.cancel_task(CancelTaskRequest(id=task.id))
        assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
        got = await client.get_task(GetTaskRequest(id=task.id))
        assert got.status.state == TaskState.TASK_STATE_CANCELED
    assert DELETED == []


async def test_bob_gets_task_not_found_for_alices_task_and_context(app: FastAPI) -> None:
    async with a2a_client(app, ALICE) as alice:
        task = final_task(await send(alice, message(PATH, agent="janitor")))
        answered = final_task(await send(alice, message("What is 2 + 2?")))
    async with a2a_client(app, BOB) as bob:
        with pytest.raises(TaskNotFoundError):
            await bob.get_task(GetTaskRequest(id=task.id))
        with pytest.raises(TaskNotFoundError):
            await bob.cancel_task(CancelTaskRequest(id=task.id))
        with pytest.raises(TaskNotFoundError):  # approving alice's call
            await send(bob, message("approve", task_id=task.id))
        with pytest.raises(TaskNotFoundError):  # continuing alice's session
            await send(bob, message("What is 2 + 2?", context_id=answered.context_id))
        unknown = uuid.uuid4().hex
        with pytest.raises(TaskNotFoundError):  # word for word as unknown
            await bob.get_task(GetTaskRequest(id=unknown))
    assert DELETED == []
    async with a2a_client(app, ALICE) as alice:  # alice's task is untouched
        still = await alice.get_task(GetTaskRequest(id=task.id))
        assert still.status.state == TaskState.TASK_STATE_INPUT_REQUIRED


async def test_no_credentials_is_401_in_the_api_error_shape(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {"id": "x"}}
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        response = await http.post("/a2a", json=body)
        wrong = await http.post("/a2a", json=body, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthorized"
    assert wrong.status_code == 401


def _send_params(text: Any) -> dict[str, Any]:
    return {
        "message": {"messageId": "m1", "role": "user", "parts": [{"kind": "text", "text": text}]}
    }


HOSTILE: list[tuple[str, bytes]] = [
    ("not json", b"{"),
    ("not an object", b"[1, 2]"),
    ("no method", b'{"jsonrpc": "2.0", "id": 1}'),
    ("unknown method", b'{"jsonrpc": "2.0", "id": 1, "method": "tasks/explode"}'),
    ("wrong version", b'{"jsonrpc": "1.0", "id": 1, "method": "tasks/get"}'),
    ("params not an object", b'{"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": 7}'),
    (
        "nested",
        b'{"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": '
        + b'{"id": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}}",
    ),
    (
        "surrogate",
        b'{"jsonrpc": "2.0", "id": "\\ud800", "method": "message/send", "params": '
        + b'{"message": {"messageId": "\\udfff", "role": "user", "parts": '
        + b'[{"kind": "text", "text": "\\ud800"}]}}}',
    ),
    (
        "surrogate task id",
        b'{"jsonrpc": "2.0", "id": 2, "method": "tasks/get", ' + b'"params": {"id": "\\ud800"}}',
    ),
    (
        "bad context id",
        b'{"jsonrpc": "2.0", "id": 3, "method": "message/send", "params": '
        + b'{"message": {"messageId": "m", "role": "user", "contextId": "../x", "parts": '
        + b'[{"kind": "text", "text": "hi"}]}}}',
    ),
]


@pytest.mark.parametrize(("name", "body"), HOSTILE, ids=[name for name, _ in HOSTILE])
async def test_hostile_bodies_get_a_json_rpc_error_or_4xx(
    app: FastAPI, name: str, body: bytes
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {**ALICE, "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        response = await http.post("/a2a", content=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert "error" in response.json(), response.text
        assert isinstance(response.json()["error"]["code"], int)


async def test_a_huge_body_is_413(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    huge = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "message/send",
        "params": _send_params("x" * 2_000_000),
    }
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        response = await http.post("/a2a", json=huge, headers=ALICE)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "input_too_large"


async def test_the_v0_3_method_names_answer_too(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "message/send",
        "params": _send_params("What is 2 + 2?"),
    }
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        response = await http.post("/a2a", json=body, headers=ALICE)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["status"]["state"] == "completed"
    assert "4" in result["artifacts"][0]["parts"][0]["text"]


async def test_a_text_over_max_input_chars_is_invalid_params(app: FastAPI) -> None:
    async with a2a_client(app, ALICE) as client:
        with pytest.raises(InvalidParamsError, match="MAX_INPUT_CHARS"):
            await send(client, message("x" * 8_001))


async def test_a_caller_over_its_rate_limit_gets_a_failed_task_saying_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "1")  # read where runs are admitted
    get_settings.cache_clear()
    carol = f"carol{uuid.uuid4().hex[:8]}"  # a principal of its own: nobody else's count
    app = create_app(ApiSettings(api_keys=SecretStr(f"{carol}:key-{carol}-0123456789")))
    async with a2a_client(app, {"Authorization": f"Bearer key-{carol}-0123456789"}) as client:
        first = final_task(await send(client, message("What is 2 + 2?", agent="assistant")))
        second = final_task(await send(client, message("What is 2 + 2?", agent="assistant")))
    assert first.status.state == TaskState.TASK_STATE_COMPLETED
    assert second.status.state == TaskState.TASK_STATE_FAILED
    assert get_message_text(second.status.message).startswith("rate_limit_exceeded:")


@pytest.mark.slow
@pytest.mark.parametrize(("setting", "enabled"), [(None, "False"), ("true", "True")])
def test_the_sdks_own_spans_are_off_unless_the_environment_asks(
    setting: str | None, enabled: str
) -> None:
    """As `uvicorn api:create_app` starts: `import api` comes before the SDK's import."""
    code = "import api\nfrom a2a.utils import telemetry\nprint(telemetry.otel_enabled)"
    env = {k: v for k, v in os.environ.items() if k != "OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"}
    if setting is not None:
        env["OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"] = setting
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],  # the project's root: `import api` finds it
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == enabled


def test_tasks_are_stored_beside_the_sessions_unless_memory_is_asked(tmp_path: Path) -> None:
    from a2a.server.tasks import DatabaseTaskStore, InMemoryTaskStore

    from api.a2a_tasks import RunningInMemory, open_a2a_task_store

    shared = open_a2a_task_store(f"sqlite:///{tmp_path / 'sessions.db'}")
    assert isinstance(shared.store, RunningInMemory)
    assert isinstance(shared.store.database, DatabaseTaskStore)
    assert shared.where == f"a2a_tasks in {tmp_path / 'a2a_tasks.db'}"
    memory = open_a2a_task_store(f"sqlite:///{tmp_path / 'sessions.db'}", "memory")
    assert isinstance(memory.store, InMemoryTaskStore)
    assert isinstance(open_a2a_task_store("sqlite:///:memory:").store, InMemoryTaskStore)
    with pytest.raises(ValueError, match="'shared' or 'memory'"):
        ApiSettings(a2a_task_store="disk")  # type: ignore[arg-type]
