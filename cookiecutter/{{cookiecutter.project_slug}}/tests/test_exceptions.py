"""The framework's errors survive pickling (Prefect stores a failed task's exception that way)."""

from __future__ import annotations

import pickle

import pytest

from agents_core.exceptions import (
    AgentRunError,
    AgentsCoreError,
    DuplicateNameError,
    GuardrailTripped,
    UnknownNameError,
)


@pytest.mark.parametrize(
    "error",
    [
        UnknownNameError("agent", "nope", ["assistant", "planner"]),
        DuplicateNameError("tool", "calculator"),
        GuardrailTripped("no_secrets", "looks like an API key", agent="assistant"),
        AgentRunError("assistant", ValueError("model said no")),
    ],
    ids=lambda error: type(error).__name__,
)
def test_round_trips_through_pickle(error: AgentsCoreError) -> None:
    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy).keys() == vars(error).keys()


def test_unknown_name_keeps_what_is_registered() -> None:
    copy = pickle.loads(pickle.dumps(UnknownNameError("agent", "nope", ["b", "a"])))

    assert isinstance(copy, UnknownNameError)
    assert copy.known == ["a", "b"]
    assert "Registered agents: a, b." in str(copy)
