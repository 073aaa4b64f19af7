"""Prompt snippets: every shipped one loads, unknown names list what exists, composition."""

from __future__ import annotations

from importlib import resources

import pytest

from agents_core.instructions import compose_instructions, load_instruction
from agents_core.registry import get_agent_registry

SHARED = resources.files("agents_core.instructions") / "shared"
SHIPPED = sorted(p.name.removesuffix(".md") for p in SHARED.iterdir() if p.name.endswith(".md"))


def test_the_framework_snippets_are_shipped() -> None:
    assert {"answer_style", "planning", "routing", "synthesis", "tool_use"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_snippet_loads(name: str) -> None:
    text = load_instruction(name)
    assert text
    assert text == text.strip()
    assert text == (SHARED / f"{name}.md").read_text(encoding="utf-8").strip()


def test_unknown_snippet_lists_the_available_ones() -> None:
    with pytest.raises(
        KeyError, match=r"No instruction snippet 'tool_usage'\. Available: "
    ) as error:
        load_instruction("tool_usage")
    assert f"Available: {', '.join(SHIPPED)}." in str(error.value)


@pytest.mark.parametrize("name", ["../config", "shared/tool_use", "tool_use.md", ""])
def test_names_are_not_paths(name: str) -> None:
    with pytest.raises(KeyError, match="No instruction snippet"):
        load_instruction(name)


def test_compose_mixes_snippets_and_free_text_in_order() -> None:
    composed = compose_instructions(
        "  You are a careful analyst.  ", "tool_use", "", "Answer in French.", "answer_style"
    )
    assert composed == "\n\n".join(
        [
            "You are a careful analyst.",
            load_instruction("tool_use"),
            "Answer in French.",
            load_instruction("answer_style"),
        ]
    )


def test_compose_keeps_text_that_only_looks_like_a_snippet_name() -> None:
    assert compose_instructions("not_a_snippet", "tool use") == "not_a_snippet\n\ntool use"


def test_compose_of_nothing_is_empty() -> None:
    assert compose_instructions() == ""
    assert compose_instructions("  ", "\n") == ""


def test_built_in_agents_use_the_snippets() -> None:
    assistant = get_agent_registry().get("assistant").render_instructions(None)
    assert load_instruction("tool_use") in assistant
    assert load_instruction("answer_style") in assistant
    router = get_agent_registry().get("intent_router").render_instructions(None)
    assert router.startswith(load_instruction("routing"))
