"""AgentContext: the state a run's agents and tools share, and how tools reach it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from agents import FunctionTool, RunContextWrapper

from agents_core.core import AgentRunner
from agents_core.llm import OfflineModel
from agents_core.models import AgentContext
from agents_core.registry import (
    AgentDefinition,
    get_tool_registry,
    register_agent,
    register_tool,
)


@dataclass
class MyAppContext(AgentContext):
    """The spec's example of a project's own context."""

    workspace_id: str = ""
    user_preferences: dict[str, Any] = field(default_factory=dict)
    custom_metadata: dict[str, Any] = field(default_factory=dict)


def test_defaults() -> None:
    context = AgentContext()
    assert context.database_connector is None
    assert context.schema == ""
    assert context.filters == {}
    assert context.user_query == ""
    assert context.session_id is None
    assert context.query_results == []
    assert context.discovered_items == {}
    assert context.agent_outputs == {}
    assert context.metadata == {}
    assert context.has_data is False


def test_mutable_defaults_are_not_shared() -> None:
    first, second = AgentContext(), AgentContext()
    first.filters["user_id"] = "1"
    first.add_query_result({"rows": 1})
    first.add_discovered_item("table", "orders")
    first.metadata["k"] = "v"
    assert second.filters == {}
    assert second.query_results == []
    assert second.discovered_items == {}
    assert second.metadata == {}


def test_add_discovered_item_groups_by_kind_in_order() -> None:
    context = AgentContext()
    context.add_discovered_item("table", "orders")
    context.add_discovered_item("column", "amount")
    context.add_discovered_item("table", "customers")
    assert context.discovered_items == {
        "table": ["orders", "customers"],
        "column": ["amount"],
    }
    assert context.has_data is True


def test_add_query_result_appends() -> None:
    context = AgentContext()
    context.add_query_result({"total": 10})
    context.add_query_result([1, 2])
    assert context.query_results == [{"total": 10}, [1, 2]]
    assert context.has_data is True


def test_has_data_ignores_empty_kinds_and_other_state() -> None:
    context = AgentContext(
        schema="CREATE TABLE t (a INT)",
        filters={"user": "1"},
        metadata={"x": 1},
        discovered_items={"table": []},
    )
    context.record_agent_output("planner", "a plan")
    assert context.has_data is False


def test_record_and_get_agent_outputs() -> None:
    context = AgentContext()
    assert context.get_agent_output("planner") is None
    assert context.get_agent_output("planner", "none yet") == "none yet"
    context.record_agent_output("planner", {"steps": 1})
    context.record_agent_output("planner", {"steps": 2})  # the latest run wins
    context.record_agent_output("synthesizer", None)
    assert context.get_agent_output("planner") == {"steps": 2}
    assert context.get_agent_output("synthesizer", "fallback") is None
    assert context.agent_outputs == {"planner": {"steps": 2}, "synthesizer": None}


def test_a_subclass_adds_fields_and_keeps_the_base_behaviour() -> None:
    context = MyAppContext(workspace_id="ws-1", user_query="hi")
    assert isinstance(context, AgentContext)
    assert context.workspace_id == "ws-1"
    assert context.user_query == "hi"
    assert context.user_preferences == {}
    assert MyAppContext().user_preferences is not context.user_preferences
    context.add_discovered_item("note", "x")
    assert context.has_data is True
    names = [f.name for f in fields(context)]
    assert names[-3:] == ["workspace_id", "user_preferences", "custom_metadata"]


async def test_a_tool_reads_and_writes_the_run_context() -> None:
    @register_tool
    def remember_note(ctx: RunContextWrapper[AgentContext], note: str) -> str:
        """Remember a note for later in this run."""
        ctx.context.add_discovered_item("note", note)
        return f"Noted: {note}"

    register_agent(
        AgentDefinition(
            name="note_taker",
            description="Takes notes",
            instructions="Remember what the user asks you to.",
            tools=["remember_note"],
        )
    )
    context = AgentContext()
    result = await AgentRunner(model=OfflineModel()).run(
        "note_taker", "remember_note 'buy milk'", context=context
    )
    assert context.discovered_items == {"note": ["buy milk"]}
    assert context.has_data is True
    assert "Noted: buy milk" in str(result.final_output)
    # The runner records each agent's final output in the context.
    assert context.get_agent_output("note_taker") == result.final_output


async def test_a_tool_sees_the_fields_of_a_subclassed_context() -> None:
    @register_tool
    def workspace_name(ctx: RunContextWrapper[MyAppContext]) -> str:
        """The current workspace."""
        ctx.context.custom_metadata["asked"] = True
        return f"workspace {ctx.context.workspace_id}"

    register_agent(
        AgentDefinition(
            name="workspace_agent",
            description="Knows the workspace",
            instructions="Answer with the workspace.",
            tools=["workspace_name"],
        )
    )
    context = MyAppContext(workspace_id="ws-42")
    result = await AgentRunner(model=OfflineModel()).run(
        "workspace_agent", "Call workspace_name", context=context
    )
    assert "workspace ws-42" in str(result.final_output)
    assert context.custom_metadata == {"asked": True}


def test_the_tool_context_parameter_is_not_in_the_schema() -> None:
    @register_tool
    def tag_item(ctx: RunContextWrapper[AgentContext], tag: str) -> str:
        return tag

    tool = get_tool_registry().get("tag_item").tool
    assert isinstance(tool, FunctionTool)
    assert list(tool.params_json_schema["properties"]) == ["tag"]
