"""The sample MCP server (notes, over stdio) used by the notes_keeper agent, offline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from agents.items import ToolCallItem, ToolCallOutputItem

from agents_core import AgentRunner, OfflineModel, RoutingOrchestrator, get_agent_registry
from agents_core.mcp import close_mcp_servers
from agents_core.mcp.status import check_servers
from agents_core.registry import get_mcp_server_registry, register_mcp_server

pytestmark = pytest.mark.slow  # the sample MCP server over stdio


@pytest.fixture(autouse=True)
async def _close_servers() -> AsyncIterator[None]:
    yield
    await close_mcp_servers()


async def test_the_agent_calls_the_mcp_tool_and_answers_with_its_result() -> None:
    runner = AgentRunner(model=OfflineModel())
    result = await runner.run("notes_keeper", "list my notes")
    calls = [item.raw_item for item in result.new_items if isinstance(item, ToolCallItem)]
    assert [getattr(call, "name", None) for call in calls] == ["list_notes"]
    outputs = [item.output for item in result.new_items if isinstance(item, ToolCallOutputItem)]
    assert "welcome" in str(outputs)
    assert "mcp, welcome" in str(result.final_output)
    # The same server process serves the next run: what one run added, the next one reads.
    await runner.run("notes_keeper", "add a note titled 'groceries' with the text 'milk'")
    again = await runner.run("notes_keeper", "read the note 'groceries'")
    assert "milk" in str(again.final_output)


async def test_the_router_sends_notes_questions_to_the_notes_keeper() -> None:
    outcome = await RoutingOrchestrator().run("list my notes")
    assert outcome["agent"] == "notes_keeper"
    assert "welcome" in str(outcome["result"])


async def test_mcp_list_reports_the_sample_server_and_its_tools() -> None:
    (status,) = await check_servers()
    assert status.ok, status.error
    assert status.tools == ["list_notes", "read_note", "add_note", "delete_note"]
    assert status.agents == ["notes_keeper"]
    assert "notes" in get_agent_registry().get("notes_keeper").mcp_servers


async def test_require_approval_reaches_the_sdk_as_an_interruption() -> None:
    # The approval flow itself (pause, persist, approve/reject) is the approvals feature's; here
    # the declaration's require_approval must make the SDK stop before the listed tool runs.
    registry = get_mcp_server_registry()
    notes = registry.get("notes")
    register_mcp_server(replace(notes, require_approval=["list_notes"]), replace=True)
    result = await AgentRunner(model=OfflineModel()).run("notes_keeper", "list my notes")
    assert [item.raw_item.name for item in result.interruptions] == ["list_notes"]  # type: ignore[union-attr]
    assert not [item for item in result.new_items if isinstance(item, ToolCallOutputItem)]


async def test_an_mcp_tool_approval_pauses_the_run_and_another_orchestrator_resumes_it() -> None:
    from agents_core import AgentOrchestrator, PendingApproval

    notes = get_mcp_server_registry().get("notes")
    register_mcp_server(replace(notes, require_approval=["list_notes"]), replace=True)
    pending = await AgentOrchestrator(default_agent="notes_keeper").run("list my notes")
    assert isinstance(pending, PendingApproval), pending
    assert pending.tool == "list_notes"
    await close_mcp_servers()  # as when another process resumes: the server starts again
    outcome = await AgentOrchestrator(default_agent="notes_keeper").approve(
        pending.run_id, pending.approval_id
    )
    assert "welcome" in str(outcome["result"]), outcome

    pending = await AgentOrchestrator(default_agent="notes_keeper").run("list my notes")
    assert isinstance(pending, PendingApproval), pending
    outcome = await AgentOrchestrator(default_agent="notes_keeper").reject(
        pending.run_id, pending.approval_id, "private"
    )
    assert "not approved" in str(outcome["result"]), outcome
    assert "welcome" not in str(outcome["result"]), outcome
