"""Registries of agents, tools and guardrails: names, errors, decorators, discovery, caching."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from agents import (
    FunctionTool,
    InputGuardrail,
    RunContextWrapper,
    WebSearchTool,
    function_tool,
)
from agents.tool_context import ToolContext

from agents_core.core import AgentFactory, AgentRunner
from agents_core.exceptions import DuplicateNameError, GuardrailTripped, UnknownNameError
from agents_core.llm import OfflineModel
from agents_core.models import AgentContext
from agents_core.registry import (
    AgentDefinition,
    AgentRegistry,
    GuardrailDefinition,
    GuardrailRegistry,
    ToolDefinition,
    ToolRegistry,
    get_agent_registry,
    get_guardrail_registry,
    get_tool_registry,
    register_agent,
    register_guardrail,
    register_tool,
)
from agents_core.registry.guardrail_registry import GuardrailCheck, GuardrailResult


def definition(name: str, **fields: Any) -> AgentDefinition:
    fields.setdefault("description", f"The {name} agent")
    fields.setdefault("instructions", "Be brief.")
    return AgentDefinition(name=name, **fields)


# -- agents -------------------------------------------------------------------------------------


def test_register_and_get_agents() -> None:
    registry = AgentRegistry()
    first = registry.register(definition("alpha"))
    registry.register(definition("beta"))
    assert registry.get("alpha") is first
    assert registry.names() == ["alpha", "beta"]
    assert [d.name for d in registry.all()] == ["alpha", "beta"]
    assert "beta" in registry
    assert "gamma" not in registry
    assert len(registry) == 2
    assert list(registry) == ["alpha", "beta"]


def test_register_agent_adds_to_the_default_registry() -> None:
    added = register_agent(definition("registered_here"))
    assert get_agent_registry().get("registered_here") is added


def test_duplicate_agent_name_raises_naming_it_unless_replace() -> None:
    registry = AgentRegistry()
    registry.register(definition("alpha", description="first"))
    with pytest.raises(DuplicateNameError, match=r"agent named 'alpha' is already registered"):
        registry.register(definition("alpha", description="second"))
    assert registry.get("alpha").description == "first"

    registry.register(definition("alpha", description="second"), replace=True)
    assert registry.get("alpha").description == "second"


def test_duplicate_name_error_is_a_value_error_that_suggests_replace() -> None:
    registry = AgentRegistry()
    registry.register(definition("alpha"))
    with pytest.raises(ValueError, match=r"replace=True") as raised:
        registry.register(definition("alpha"))
    assert isinstance(raised.value, DuplicateNameError)
    assert raised.value.name == "alpha"
    assert raised.value.kind == "agent"


def test_unknown_agent_lists_the_registered_names() -> None:
    registry = AgentRegistry()
    registry.register(definition("beta"))
    registry.register(definition("alpha"))
    with pytest.raises(
        UnknownNameError, match=r"^Unknown agent 'gamma'\. Registered agents: alpha, beta\.$"
    ) as raised:
        registry.get("gamma")
    assert raised.value.known == ["alpha", "beta"]
    assert isinstance(raised.value, KeyError)  # `except KeyError` still catches it


def test_unknown_name_in_an_empty_registry_says_none() -> None:
    with pytest.raises(UnknownNameError, match=r"Registered agents: none\."):
        AgentRegistry().get("anything")


def test_remove_drops_an_agent_and_unknown_removal_raises() -> None:
    registry = AgentRegistry()
    registry.register(definition("alpha"))
    registry.remove("alpha")
    assert "alpha" not in registry
    with pytest.raises(UnknownNameError, match="Unknown agent 'alpha'"):
        registry.remove("alpha")


@pytest.mark.parametrize("name", ["", "has space", "slash/name", "dot.name", "emoji🙂"])
def test_invalid_agent_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"must be letters, digits, '_' or '-' \(no spaces\)"):
        definition(name)


@pytest.mark.parametrize("name", ["a", "data_analyst", "agent-2", "X9"])
def test_valid_agent_names_are_accepted(name: str) -> None:
    assert definition(name).name == name


@pytest.mark.parametrize("instructions", [None, 42, ["a list"], b"bytes"])
def test_instructions_must_be_text_or_a_function(instructions: object) -> None:
    with pytest.raises(TypeError, match=r"instructions must be a string or a function"):
        definition("typed", instructions=instructions)


def test_dynamic_instructions_receive_the_context_and_the_definition() -> None:
    def instructions(context: AgentContext, agent: AgentDefinition) -> str:
        return f"{agent.name} serves {context.filters.get('team', 'nobody')}"

    agent = definition("dyn", instructions=instructions)
    assert agent.render_instructions(AgentContext(filters={"team": "blue"})) == "dyn serves blue"
    # Without a context, the function still gets a (default) AgentContext.
    assert agent.render_instructions(None) == "dyn serves nobody"


def test_schema_injection_appends_the_schema_to_static_instructions() -> None:
    agent = definition("schemer", instructions="Write SQL.", requires_schema_injection=True)
    assert (
        agent.render_instructions(AgentContext(schema="CREATE TABLE t (a INT)"))
        == "Write SQL.\n\nSchema:\nCREATE TABLE t (a INT)"
    )
    # No schema in the context: nothing to inject.
    assert agent.render_instructions(AgentContext()) == "Write SQL."
    assert agent.render_instructions(None) == "Write SQL."


def test_schema_is_not_injected_without_the_flag() -> None:
    agent = definition("plain", instructions="Write SQL.")
    assert agent.render_instructions(AgentContext(schema="CREATE TABLE t (a INT)")) == "Write SQL."


def test_schema_injection_with_dynamic_instructions_does_not_repeat_the_schema() -> None:
    def quoting(context: AgentContext, agent: AgentDefinition) -> str:
        return f"Tables:\n{context.schema}"

    def silent(context: AgentContext, agent: AgentDefinition) -> str:
        return "Query the tables."

    context = AgentContext(schema="CREATE TABLE t (a INT)")
    quoted = definition("quoting", instructions=quoting, requires_schema_injection=True)
    assert quoted.render_instructions(context) == "Tables:\nCREATE TABLE t (a INT)"
    added = definition("silent", instructions=silent, requires_schema_injection=True)
    assert added.render_instructions(context) == (
        "Query the tables.\n\nSchema:\nCREATE TABLE t (a INT)"
    )


def test_output_type_is_the_output_dataclass() -> None:
    agent = definition("typed_out", output_dataclass=AgentContext)
    assert agent.output_type is AgentContext


# -- tools --------------------------------------------------------------------------------------


def test_register_tool_on_a_plain_function_keeps_it_callable() -> None:
    def add_numbers(a: int, b: int = 1) -> int:
        """Add two whole numbers."""
        return a + b

    returned = register_tool(category="math_test")(add_numbers)
    assert returned is add_numbers
    assert add_numbers(2, 3) == 5

    entry = get_tool_registry().get("add_numbers")
    assert isinstance(entry, ToolDefinition)
    assert entry.category == "math_test"
    assert entry.description == "Add two whole numbers."
    tool = entry.tool
    assert isinstance(tool, FunctionTool)
    assert tool.name == "add_numbers"
    schema = tool.params_json_schema
    assert schema["properties"]["a"]["type"] == "integer"
    assert schema["properties"]["b"]["type"] == "integer"
    assert set(schema["required"]) == {"a", "b"}  # strict schemas require every field
    assert schema["additionalProperties"] is False


def _call(tool: Any, arguments: str) -> Any:
    context = ToolContext(
        context=AgentContext(), tool_name=tool.name, tool_call_id="call_1", tool_arguments=arguments
    )
    return asyncio.run(tool.on_invoke_tool(context, arguments))


def test_tool_results_reach_the_model_as_json_not_python_text() -> None:
    @register_tool
    def stats_test(values: list[float]) -> dict[str, Any]:
        """Sum and count."""
        return {"sum": sum(values), "count": len(values), "ok": True, "none": None}

    @register_tool
    def echo_test(text: str) -> str:
        """Echo."""
        return text

    tool = get_tool_registry().get("stats_test").tool
    output = _call(tool, '{"values": [1, 2.5]}')
    assert output == '{"sum": 3.5, "count": 2, "ok": true, "none": null}'
    assert json.loads(output) == {"sum": 3.5, "count": 2, "ok": True, "none": None}
    # A tool's own string stays its own (not quoted again).
    assert _call(get_tool_registry().get("echo_test").tool, '{"text": "{not json"}') == "{not json"


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ('{"a": 1, "b": ', "invalid arguments"),  # not JSON
        ('{"a": 1}', "invalid arguments"),  # b missing
        ('{"a": "x", "b": 2}', "invalid arguments"),  # a not a number
    ],
    ids=["not-json", "missing", "wrong-type"],
)
def test_a_tool_error_names_the_tool_and_the_problem(arguments: str, problem: str) -> None:
    @register_tool(replace=True)
    def add_test(a: int, b: int) -> int:
        """Add."""
        return a + b

    message = _call(get_tool_registry().get("add_test").tool, arguments)
    assert isinstance(message, str)
    assert "'add_test'" in message
    assert problem in message
    assert "An error occurred while running the tool" not in message


def test_a_failing_tool_tells_the_model_what_failed() -> None:
    @register_tool
    def fails_test(city: str) -> str:
        """Fails."""
        raise LookupError(f"no city named {city}")

    @register_tool
    @function_tool
    def sdk_fails_test(city: str) -> str:
        """Fails too, as an SDK function tool."""
        raise LookupError(f"no city named {city}")

    for name in ("fails_test", "sdk_fails_test"):
        message = _call(get_tool_registry().get(name).tool, '{"city": "Atlantis"}')
        assert message.startswith(f"Tool '{name}' failed: LookupError: no city named Atlantis")


def test_bare_register_tool_decorator() -> None:
    @register_tool
    def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    assert shout("hi") == "HI"
    entry = get_tool_registry().get("shout")
    assert entry.category == "general"
    assert isinstance(entry.tool, FunctionTool)
    assert entry.tool.params_json_schema["properties"]["text"]["type"] == "string"


def test_register_tool_on_a_function_tool_returns_the_function_tool() -> None:
    @function_tool
    def original_name(city: str) -> str:
        """Original description."""
        return city

    returned = register_tool(original_name)
    assert returned is original_name
    assert get_tool_registry().get("original_name").tool is original_name


def test_register_tool_renames_and_redescribes_a_function_tool() -> None:
    @function_tool
    def original_name(city: str) -> str:
        """Original description."""
        return city

    renamed = register_tool(name="renamed_tool", description="New description.")(original_name)
    assert isinstance(renamed, FunctionTool)
    assert renamed.name == "renamed_tool"
    assert renamed.description == "New description."
    assert renamed.params_json_schema == original_name.params_json_schema
    assert original_name.name == "original_name"  # the original is not mutated
    assert get_tool_registry().get("renamed_tool").tool is renamed
    assert "original_name" not in get_tool_registry()


def test_register_tool_name_override_on_a_plain_function() -> None:
    def helper(x: int) -> int:
        return x

    register_tool(name="public_name", description="Echo a number.")(helper)
    tool = get_tool_registry().get("public_name").tool
    assert isinstance(tool, FunctionTool)
    assert tool.name == "public_name"
    assert tool.description == "Echo a number."
    assert "helper" not in get_tool_registry()


def test_register_tool_accepts_a_hosted_tool() -> None:
    search = WebSearchTool()
    assert register_tool(search) is search
    assert get_tool_registry().get("web_search").tool is search


def test_register_tool_refuses_other_objects() -> None:
    class CallableObject:
        def __call__(self) -> None:
            return None

    for target in (42, "calculator", CallableObject()):
        not_a_tool: Any = target
        with pytest.raises(TypeError, match=r"@register_tool decorates a plain function"):
            register_tool(not_a_tool)


def test_duplicate_tool_name_raises_unless_replace() -> None:
    def lookup() -> str:
        return "v1"

    register_tool(lookup)
    with pytest.raises(DuplicateNameError, match=r"tool named 'lookup'"):
        register_tool(lookup)
    register_tool(replace=True, category="other")(lookup)
    assert get_tool_registry().get("lookup").category == "other"


def test_get_tool_functions_keeps_the_requested_order() -> None:
    registry = ToolRegistry()
    for name in ("t_c", "t_a", "t_b"):
        registry.register(ToolDefinition(name=name, tool=WebSearchTool()))
    tools = registry.get_tool_functions(["t_b", "t_c", "t_a"])
    assert [registry.get(n).tool for n in ("t_b", "t_c", "t_a")] == tools
    with pytest.raises(UnknownNameError, match=r"Unknown tool 'nope'\. Registered tools: t_a, t_b"):
        registry.get_tool_functions(["t_a", "nope"])


def test_get_tool_functions_on_the_default_registry() -> None:
    @register_tool
    def zeta_tool() -> str:
        return "z"

    tools = get_tool_registry().get_tool_functions(["zeta_tool", "calculator"])
    assert [tool.name for tool in tools] == ["zeta_tool", "calculator"]


def test_by_category() -> None:
    def beta_op() -> int:
        return 2

    def alpha_op() -> int:
        return 1

    register_tool(category="ops_test")(beta_op)
    register_tool(category="ops_test")(alpha_op)
    names = [entry.name for entry in get_tool_registry().by_category("ops_test")]
    assert names == ["alpha_op", "beta_op"]
    assert get_tool_registry().by_category("no_such_category") == []


# -- guardrails ---------------------------------------------------------------------------------


def refuse_bananas(context: Any, text: str) -> GuardrailResult:
    if "banana" in text.lower():
        return False, "Bananas are off-topic."
    return True, "ok"


async def refuse_cherries(context: Any, text: str) -> GuardrailResult:
    await asyncio.sleep(0)
    if "cherry" in text.lower():
        return False, "Cherries are off-topic."
    return True, "ok"


def test_register_guardrail_as_a_call() -> None:
    returned = register_guardrail("no_bananas", refuse_bananas, description="No bananas")
    assert returned is refuse_bananas
    entry = get_guardrail_registry().get("no_bananas")
    assert isinstance(entry, GuardrailDefinition)
    assert entry.check is refuse_bananas
    assert entry.description == "No bananas"
    assert entry.run_in_parallel is False


def test_register_guardrail_as_a_decorator_takes_the_docstring() -> None:
    @register_guardrail("no_kiwis")
    def no_kiwis(context: Any, text: str) -> GuardrailResult:
        """Refuses kiwis.

        Longer explanation that is not part of the description.
        """
        return "kiwi" not in text, "No kiwis."

    assert no_kiwis(None, "a kiwi") == (False, "No kiwis.")  # still callable on its own
    entry = get_guardrail_registry().get("no_kiwis")
    assert entry.check is no_kiwis
    assert entry.description == "Refuses kiwis."


def test_register_guardrail_refuses_a_non_function() -> None:
    not_a_check: Any = "refuse everything"
    with pytest.raises(TypeError, match=r"Guardrail 'bad' must be a function"):
        register_guardrail("bad", not_a_check)


def test_duplicate_guardrail_raises_unless_replace() -> None:
    registry = GuardrailRegistry()
    registry.register(GuardrailDefinition("g", refuse_bananas))
    with pytest.raises(DuplicateNameError, match=r"guardrail named 'g'"):
        registry.register(GuardrailDefinition("g", refuse_cherries))
    registry.register(GuardrailDefinition("g", refuse_cherries), replace=True)
    assert registry.get("g").check is refuse_cherries


def test_to_sdk_and_get_guardrails_build_named_sdk_guardrails_in_order() -> None:
    registry = GuardrailRegistry()
    registry.register(GuardrailDefinition("second", refuse_cherries, run_in_parallel=True))
    registry.register(GuardrailDefinition("first", refuse_bananas))
    sdk = registry.get_guardrails(["second", "first"])
    assert all(isinstance(g, InputGuardrail) for g in sdk)
    assert [g.get_name() for g in sdk] == ["second", "first"]
    assert [g.run_in_parallel for g in sdk] == [True, False]


async def test_sdk_guardrail_checks_the_latest_user_message() -> None:
    guardrail = GuardrailDefinition("no_bananas", refuse_bananas).to_sdk()
    agent = AgentFactory(model=OfflineModel()).build("assistant")
    wrapper = RunContextWrapper(context=AgentContext())
    history: list[Any] = [
        {"role": "user", "content": "banana bread?"},
        {"role": "assistant", "content": "No."},
        {"role": "user", "content": "then apples"},
    ]
    passed = await guardrail.run(agent, history, wrapper)
    assert passed.output.tripwire_triggered is False
    tripped = await guardrail.run(agent, "one banana", wrapper)
    assert tripped.output.tripwire_triggered is True
    assert tripped.output.output_info == {
        "guardrail": "no_bananas",
        "message": "Bananas are off-topic.",
    }


@pytest.mark.parametrize(
    ("name", "check", "refused", "message"),
    [
        ("no_bananas", refuse_bananas, "I want a banana", "Bananas are off-topic."),
        ("no_cherries", refuse_cherries, "Cherry pie please", "Cherries are off-topic."),
    ],
    ids=["sync", "async"],
)
async def test_a_registered_guardrail_stops_a_run(
    name: str, check: GuardrailCheck, refused: str, message: str
) -> None:
    register_guardrail(name, check)
    register_agent(definition("guarded", tools=["calculator"], guardrails=[name]))
    model = OfflineModel()
    runner = AgentRunner(model=model)

    with pytest.raises(GuardrailTripped, match=rf"Guardrail '{name}' refused the input") as raised:
        await runner.run("guarded", refused)
    assert raised.value.guardrail == name
    assert raised.value.message == message
    assert raised.value.agent == "guarded"
    assert model.calls == 0  # a refused input never reaches the model

    result = await runner.run("guarded", "What is 2 + 2?")
    assert str(result.final_output) == "2 + 2 = 4."


# -- discovery, snapshots, versions -------------------------------------------------------------


def test_default_registries_discover_the_built_in_agents_tools_and_guardrails() -> None:
    agents = set(get_agent_registry().names())
    assert {"assistant", "intent_router", "planner", "synthesizer"} <= agents
    tools = get_tool_registry()
    assert "calculator" in tools
    assert tools.get("calculator").category == "math"
    assert "no_secrets" in get_guardrail_registry()
    assert get_agent_registry().get("assistant").tools == ["calculator"]


def test_snapshot_and_restore() -> None:
    registry = AgentRegistry()
    registry.register(definition("alpha"))
    saved = registry.snapshot()
    registry.register(definition("beta"))
    registry.remove("alpha")
    assert registry.names() == ["beta"]

    registry.restore(saved)
    assert registry.names() == ["alpha"]
    # The snapshot is a copy: changing the registry later does not change it.
    registry.register(definition("gamma"))
    assert list(saved) == ["alpha"]


def test_clear_empties_a_registry() -> None:
    registry = AgentRegistry()
    registry.register(definition("alpha"))
    registry.clear()
    assert len(registry) == 0


def test_version_changes_on_every_change() -> None:
    registry = AgentRegistry()
    versions = [registry.version]
    registry.register(definition("alpha"))
    versions.append(registry.version)
    registry.register(definition("alpha"), replace=True)
    versions.append(registry.version)
    registry.remove("alpha")
    versions.append(registry.version)
    registry.restore({})
    versions.append(registry.version)
    assert versions == sorted(set(versions))
    registry.get_many([])  # reads do not count
    assert registry.version == versions[-1]


async def test_factory_cache_follows_registry_versions() -> None:
    def lookup() -> str:
        """Look up the current value."""
        return "value one"

    def lookup_v2() -> str:
        """Look up the current value."""
        return "value two"

    register_tool(lookup)
    register_agent(definition("looker", tools=["lookup"]))
    factory = AgentFactory(model=OfflineModel())
    first = factory.build("looker")
    assert factory.build("looker") is first  # cached while nothing changes

    register_tool(name="lookup", replace=True)(lookup_v2)
    second = factory.build("looker")
    assert second is not first
    assert second.tools == [get_tool_registry().get("lookup").tool]

    result = await AgentRunner(factory).run("looker", "lookup")
    assert "value two" in str(result.final_output)


async def test_factory_picks_up_a_replaced_agent_definition() -> None:
    register_agent(definition("swapped", instructions="Version one."))
    factory = AgentFactory(model=OfflineModel())
    assert factory.build("swapped").instructions == "Version one."
    register_agent(definition("swapped", instructions="Version two."), replace=True)
    assert factory.build("swapped").instructions == "Version two."
