"""Human approval of risky tools: pause, approve, reject, expiry, replay, tampering, races.

Every test runs on each session backend the project was made for (`backend_url`): paused runs
live in the session store.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, cast

import pytest
from agents import FunctionTool, RunContextWrapper, function_tool

from agents_core import (
    AgentDefinition,
    AgentOrchestrator,
    AgentSession,
    register_agent,
    register_tool,
)
from agents_core.approvals import PendingApproval, open_approval_store
from agents_core.config import get_settings
from agents_core.exceptions import ApprovalError
from agents_core.registry import get_tool_registry
from agents_core.utils.messages import item_role, item_text, item_type
from tests.conftest import project_backends

PROJECT_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("backend_url")

DELETED: list[str] = []
QUERY = "delete file /srv/notes.txt"
"""The offline model passes the whole message as the path."""


@pytest.fixture(autouse=True)
def janitor() -> None:
    """An agent whose `delete_file` tool needs approval for paths under /srv."""
    DELETED.clear()

    @register_tool(category="files", needs_approval=lambda args: "/srv" in args["path"])
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


def orchestrator() -> AgentOrchestrator:
    return AgentOrchestrator(default_agent="janitor")


async def pause(session_id: str | None = None) -> PendingApproval:
    pending = await orchestrator().run(QUERY, session_id=session_id or uuid.uuid4().hex)
    assert isinstance(pending, PendingApproval), pending
    return pending


async def history(session_id: str) -> list[Any]:
    async with AgentSession(session_id) as session:
        return await session.get_items()


# -- registration ----------------------------------------------------------------------------


async def test_needs_approval_reaches_the_sdk_tool_as_true_or_a_predicate() -> None:
    @register_tool(needs_approval=True)
    def wipe(disk: str) -> str:
        """Wipe a disk."""
        return disk

    async def only_big(args: dict[str, Any]) -> bool:
        return int(args["amount"]) > 100

    @register_tool(needs_approval=only_big)
    @function_tool
    def pay(amount: int) -> str:
        """Pay an amount."""
        return str(amount)

    registry = get_tool_registry()
    assert cast(FunctionTool, registry.get("wipe").tool).needs_approval is True
    decide = cast(FunctionTool, registry.get("pay").tool).needs_approval
    assert not isinstance(decide, bool)
    context = RunContextWrapper(context=None)
    assert await decide(context, {"amount": 500}, "call_1") is True
    assert await decide(context, {"amount": 5}, "call_2") is False
    assert registry.get("delete_file").needs_approval is not False


def test_needs_approval_of_another_type_is_refused_clearly() -> None:
    with pytest.raises(TypeError, match="needs_approval is True, False or a function"):

        @register_tool(needs_approval=cast(Any, "yes"))
        def bad(x: str) -> str:
            """Nothing."""
            return x


# -- pause and resume --------------------------------------------------------------------------


async def test_a_call_that_needs_approval_pauses_the_run_and_stores_nothing_yet() -> None:
    session_id = uuid.uuid4().hex
    before = time.time()
    pending = await pause(session_id)

    assert (pending.agent, pending.tool) == ("janitor", "delete_file")
    assert pending.arguments_dict() == {"path": QUERY}
    assert pending.session_id == session_id
    assert len(pending.run_id) == 32
    timeout = get_settings().approval_timeout_seconds
    assert before + timeout <= pending.expires_at <= time.time() + timeout
    assert DELETED == []
    assert await history(session_id) == []  # the turn is stored when the run ends
    # The session's lock is free while a human decides: another turn runs at once.
    other = await orchestrator().run("delete file tmp.txt", session_id=session_id)
    assert other["result"] == "The delete file tool returned: deleted delete file tmp.txt."


async def test_approve_runs_the_tool_and_stores_the_whole_turn() -> None:
    session_id = uuid.uuid4().hex
    pending = await pause(session_id)

    outcome = await orchestrator().approve(pending.run_id, pending.approval_id)

    assert DELETED == [QUERY]
    assert outcome["result"] == f"The delete file tool returned: deleted {QUERY}."
    items = await history(session_id)
    assert [item_role(i) or item_type(i) for i in items] == [
        "user",
        "function_call",
        "function_call_output",
        "assistant",
    ]
    assert item_text(items[0]) == QUERY


async def test_reject_reaches_the_model_as_a_refusal_with_the_reason() -> None:
    session_id = uuid.uuid4().hex
    pending = await pause(session_id)

    outcome = await orchestrator().reject(pending.run_id, pending.approval_id, "not on Fridays")

    assert DELETED == []
    assert outcome["result"] == (
        "I did not run the delete file tool: the call was not approved (reason: not on Fridays)."
    )
    outputs = [i for i in await history(session_id) if item_type(i) == "function_call_output"]
    assert outputs[0]["output"] == "Tool execution was not approved. Reason: not on Fridays"


async def test_a_turn_run_meanwhile_is_stored_before_the_resumed_one() -> None:
    session_id = uuid.uuid4().hex
    pending = await pause(session_id)
    await orchestrator().run("delete file a.txt", session_id=session_id)

    await orchestrator().approve(pending.run_id, pending.approval_id)

    users = [item_text(i) for i in await history(session_id) if item_role(i) == "user"]
    assert users == ["delete file a.txt", QUERY]


async def test_the_stream_emits_approval_required_then_done() -> None:
    events = [e async for e in orchestrator().stream("delete file /srv/x", session_id="s-stream")]

    types = [e.type for e in events]
    assert types[-2:] == ["approval_required", "done"]
    assert "answer" not in types
    approval = events[-2].data
    assert approval["tool"] == "delete_file"
    assert approval["run_id"] == events[-1].data["run_id"]
    outcome = await orchestrator().approve(approval["run_id"], approval["approval_id"])
    assert outcome["result"].endswith("deleted delete file /srv/x.")


# -- refused decisions ---------------------------------------------------------------------------


async def test_a_replayed_decision_is_refused() -> None:
    pending = await pause()
    await orchestrator().approve(pending.run_id, pending.approval_id)

    for decide in (
        orchestrator().approve(pending.run_id, pending.approval_id),
        orchestrator().reject(pending.run_id, pending.approval_id, "changed my mind"),
    ):
        with pytest.raises(ApprovalError, match="already decided") as caught:
            await decide
        assert caught.value.kind == "decided"
    assert DELETED == [QUERY]


async def test_unknown_or_forged_ids_are_refused() -> None:
    pending = await pause()
    other = await pause()
    forged = [
        (pending.run_id, uuid.uuid4().hex),  # unknown approval
        (other.run_id, pending.approval_id),  # another run's approval
        (pending.run_id, "x" * 5000),  # not an id at all
        (uuid.uuid4().hex, pending.approval_id),  # unknown run
    ]
    for run_id, approval_id in forged:
        with pytest.raises(ApprovalError) as caught:
            await orchestrator().approve(run_id, approval_id)
        assert caught.value.kind == "unknown"
        assert len(str(caught.value)) < 200  # a huge id is not echoed back
    with pytest.raises(ValueError, match="run id is 32 lowercase hex"):
        await orchestrator().approve("../../etc", pending.approval_id)
    assert DELETED == []
    # The real decision still works.
    await orchestrator().approve(pending.run_id, pending.approval_id)
    assert DELETED == [QUERY]


async def test_a_huge_reason_is_refused_before_anything_is_decided() -> None:
    pending = await pause()
    with pytest.raises(ValueError, match="the limit is 2000"):
        await orchestrator().reject(pending.run_id, pending.approval_id, "no" * 5000)
    with pytest.raises(ValueError, match="not valid Unicode"):
        await orchestrator().reject(pending.run_id, pending.approval_id, "\ud800")
    outcome = await orchestrator().reject(pending.run_id, pending.approval_id, "no")
    assert "not approved" in outcome["result"]


async def test_an_expired_approval_is_refused_and_the_run_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session_id = uuid.uuid4().hex
    pending = await pause(session_id)
    later = pending.expires_at + 1
    monkeypatch.setattr(time, "time", lambda: later)

    with pytest.raises(ApprovalError, match="expired") as caught:
        await orchestrator().approve(pending.run_id, pending.approval_id)
    assert caught.value.kind == "expired"
    monkeypatch.undo()
    with pytest.raises(ApprovalError, match="expired"):  # ended for good
        await orchestrator().approve(pending.run_id, pending.approval_id)
    assert DELETED == []
    assert await history(session_id) == []


async def test_approval_timeout_is_a_validated_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVAL_TIMEOUT_SECONDS", "0")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="approval_timeout_seconds"):
        get_settings()
    monkeypatch.setenv("APPROVAL_TIMEOUT_SECONDS", "2.5")
    get_settings.cache_clear()
    before = time.time()
    pending = await pause()
    assert before + 2.5 <= pending.expires_at <= time.time() + 2.5


async def test_an_edited_stored_state_is_refused() -> None:
    pending = await pause()
    store = open_approval_store()
    try:
        stored = await store.load(pending.run_id)
        assert stored is not None
        stored.payload = stored.payload.replace("/srv/notes.txt", "/srv/everything")
        assert "/srv/everything" in stored.payload
        await store.save(stored)  # same approvals, payload changed behind the digest's back
    finally:
        await store.aclose()

    with pytest.raises(ApprovalError, match="changed after the pause") as caught:
        await orchestrator().approve(pending.run_id, pending.approval_id)
    assert caught.value.kind == "invalid"
    assert DELETED == []


async def test_two_concurrent_approvals_exactly_one_wins() -> None:
    pending = await pause()
    results = await asyncio.gather(
        *(orchestrator().approve(pending.run_id, pending.approval_id) for _ in range(4)),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, ApprovalError)]
    assert len(won) == 1, results
    assert len(lost) == 3, results
    assert {error.kind for error in lost} == {"decided"}
    assert DELETED == [QUERY]


# -- across processes ----------------------------------------------------------------------------


RESUME_SCRIPT = """
import asyncio, json, sys
from agents_core import AgentDefinition, AgentOrchestrator, register_agent, register_tool

@register_tool(needs_approval=True)
def delete_file(path: str) -> str:
    '''Delete a file.'''
    return f"deleted {path} in another process"

register_agent(AgentDefinition(name="janitor", description="Deletes files",
                               instructions="You delete files.", tools=["delete_file"]))
outcome = asyncio.run(AgentOrchestrator(default_agent="janitor").approve(*sys.argv[1:3]))
print(json.dumps(outcome))
"""


@pytest.mark.slow
async def test_another_process_resumes_the_paused_run(backend_url: str, data_dir: Path) -> None:
    if backend_url.startswith("sqlite") and len(project_backends()) > 1:
        pytest.skip("a fresh interpreter costs seconds: run once, on the project's own server")
    session_id = uuid.uuid4().hex
    pending = await pause(session_id)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(SESSION_URL=backend_url, DATA_DIR=str(data_dir), LLM_PROVIDER="offline")

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RESUME_SCRIPT,
        pending.run_id,
        pending.approval_id,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=PROJECT_ROOT,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)

    assert process.returncode == 0, stderr.decode()
    outcome = json.loads(stdout.decode().strip().splitlines()[-1])
    assert outcome["result"] == (
        f"The delete file tool returned: deleted {QUERY} in another process."
    )
    assert len(await history(session_id)) == 4


async def test_another_runs_state_swapped_in_is_refused() -> None:
    first, second = await pause(), await pause()
    store = open_approval_store()
    try:
        victim, donor = await store.load(first.run_id), await store.load(second.run_id)
        assert victim is not None
        assert donor is not None
        # A consistent payload and digest, but of another run (e.g. to run its call instead).
        victim.payload, victim.digest = donor.payload, donor.digest
        await store.save(victim)
    finally:
        await store.aclose()

    with pytest.raises(ApprovalError, match="belongs to another run") as caught:
        await orchestrator().approve(first.run_id, first.approval_id)
    assert caught.value.kind == "invalid"
    assert DELETED == []
