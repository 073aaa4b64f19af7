"""Model-call settings, fault names, chat roles and lenient structured output (no server)."""

from __future__ import annotations

import json
from typing import Any, cast

import httpx2
import openai
import pytest
from agents import ModelBehaviorError
from agents.items import TResponseInputItem
from agents.retry import (
    ModelRetryBackoffSettings,
    ModelRetryNormalizedError,
    RetryDecision,
    RetryPolicyContext,
)

from agents_core.config import Settings
from agents_core.llm import (
    CHAT_COMPLETIONS_HINT,
    LenientOutputSchema,
    call_settings,
    extract_json,
    model_call_error,
    normalize_roles,
)
from agents_core.models.outputs.intent import IntentOutput

INTENT = {"category": "math", "confidence": 0.5, "reasoning": "numbers"}


def _decide(settings: Settings, **fault: Any) -> bool | RetryDecision:
    retry = call_settings(settings).retry
    assert retry is not None
    assert retry.policy is not None
    context = RetryPolicyContext(
        error=RuntimeError("x"),
        attempt=1,
        max_retries=2,
        stream=False,
        normalized=ModelRetryNormalizedError(**fault),
    )
    decision: bool | RetryDecision = retry.policy(context)
    return decision


@pytest.mark.parametrize(
    ("fault", "retried"),
    [
        ({"status_code": 429}, True),
        ({"status_code": 500}, True),
        ({"status_code": 503}, True),
        ({"status_code": 408}, True),
        ({"is_timeout": True}, True),
        ({"is_network_error": True}, True),
        ({"status_code": 400}, False),
        ({"status_code": 401}, False),
        ({"status_code": 403}, False),
        ({"status_code": 404}, False),
        ({}, False),  # an invalid output, a bug: never healed by a retry
    ],
)
def test_only_transient_faults_are_retried(fault: dict[str, Any], retried: bool) -> None:
    assert bool(_decide(Settings(), **fault)) is retried


def test_retry_after_is_honoured_up_to_the_timeout() -> None:
    settings = Settings(model_timeout_seconds=10)
    decision = _decide(settings, status_code=429, retry_after=3.0)
    assert isinstance(decision, RetryDecision)
    assert (decision.retry, decision.delay) == (True, 3.0)
    assert _decide(settings, status_code=429, retry_after=60.0) is False


def test_call_settings_carry_the_timeout_and_retries() -> None:
    settings = call_settings(Settings(model_timeout_seconds=12, model_max_retries=4))
    assert settings.timeout == 12
    assert settings.retry is not None
    assert settings.retry.max_retries == 4
    assert isinstance(settings.retry.backoff, ModelRetryBackoffSettings)
    assert settings.retry.backoff.initial_delay == 0.5  # the default
    assert settings.retry.backoff.max_delay == 8.0


def test_the_first_retry_waits_model_retry_delay_seconds() -> None:
    settings = call_settings(Settings(model_retry_delay_seconds=0.05))
    assert settings.retry is not None
    assert isinstance(settings.retry.backoff, ModelRetryBackoffSettings)
    assert (settings.retry.backoff.initial_delay, settings.retry.backoff.multiplier) == (0.05, 2.0)


def _status_error(status: int, path: str = "/v1/responses") -> openai.APIStatusError:
    # The openai client's own HTTP package (httpx2), as in its real errors.
    request = httpx2.Request("POST", f"http://127.0.0.1:9/{path.lstrip('/')}")
    response = httpx2.Response(status, request=request, headers={"retry-after": "7"})
    return openai.APIStatusError("failed", response=response, body={"message": "nope"})


def test_a_404_on_responses_says_to_switch_to_chat_completions() -> None:
    error = model_call_error("assistant", _status_error(404), Settings())
    assert error is not None
    assert error.fault == "not_found"
    assert CHAT_COMPLETIONS_HINT in str(error)
    settings = Settings(openai_api="chat_completions")
    error = model_call_error("assistant", _status_error(404, "/v1/chat/completions"), settings)
    assert error is not None
    assert CHAT_COMPLETIONS_HINT not in str(error)


@pytest.mark.parametrize(
    ("status", "fault"),
    [(429, "rate_limited"), (401, "auth_failed"), (403, "auth_failed"), (502, "upstream_error")],
)
def test_status_errors_get_stable_fault_names(status: int, fault: str) -> None:
    error = model_call_error("assistant", _status_error(status), Settings())
    assert error is not None
    assert (error.fault, error.status) == (fault, status)
    assert error.retry_after == (7.0 if status in (429, 502) else None)


def test_other_errors_are_not_model_call_errors() -> None:
    assert model_call_error("assistant", KeyError("x"), Settings()) is None
    unreadable = model_call_error("a", ModelBehaviorError("Invalid JSON when parsing"), Settings())
    assert unreadable is not None
    assert unreadable.fault == "unreadable_output"


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(INTENT),
        f"```json\n{json.dumps(INTENT)}\n```",
        f"```\n{json.dumps(INTENT)}\n```",
        f"Sure! {json.dumps(INTENT)} Anything else?",
        "Set {not json} aside: " + json.dumps(INTENT),
    ],
)
def test_json_is_found_in_fences_and_prose(text: str) -> None:
    found = extract_json(text)
    assert found is not None
    assert json.loads(found) == INTENT
    assert LenientOutputSchema(IntentOutput).validate_json(text) == IntentOutput.model_validate(
        INTENT
    )


@pytest.mark.parametrize("text", ["math", "{", '{"category": "math"}', "[1, 2]"])
def test_unreadable_output_still_raises(text: str) -> None:
    with pytest.raises(ModelBehaviorError):
        LenientOutputSchema(IntentOutput).validate_json(text)


def _user(text: str) -> TResponseInputItem:
    return {"role": "user", "content": text}


def _assistant(text: str) -> TResponseInputItem:
    part = {"type": "output_text", "text": text, "annotations": []}
    return cast(TResponseInputItem, {"type": "message", "role": "assistant", "content": [part]})


def test_roles_alternate_and_never_end_on_the_assistant() -> None:
    call: TResponseInputItem = {
        "type": "function_call",
        "call_id": "c1",
        "name": "calculator",
        "arguments": "{}",
    }
    result: TResponseInputItem = {"type": "function_call_output", "call_id": "c1", "output": "42"}
    items = [_user("q"), _assistant("router"), _assistant("specialist"), call, result]
    assert normalize_roles(items) == [
        _user("q"),
        {"role": "assistant", "content": "router\n\nspecialist"},
        call,
        result,
    ]
    ended: list[Any] = normalize_roles([_user("q"), _assistant("router"), _assistant("b")])
    assert len(ended) == 1
    assert ended[0]["role"] == "user"
    assert ended[0]["content"] == "q\n\nOutput of an earlier step, for context:\nrouter\n\nb"
    assert normalize_roles([_user("a"), _user("b")]) == [_user("a\n\nb")]
