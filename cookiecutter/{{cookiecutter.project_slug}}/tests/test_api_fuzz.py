"""OpenAPI-driven fuzzing: schemathesis generates requests for every operation of the schema
(valid and invalid bodies, paths, queries, methods) and no answer may be a 5xx.

It runs on the ASGI app in process with the offline model. Bounded and derandomized, so it takes
a few seconds and every run sends the same requests; raise FUZZ_EXAMPLES to dig deeper locally.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error

from api import ApiSettings, create_app
from tests.api_fuzzing import BASE_URL, FUZZ_SETTINGS, LOCAL_HOST

# The schema is read at import (schemathesis' lazy `from_fixture` needs pytest internals that
# pytest 9 moved), from an app on default settings (model_construct reads no environment); the
# requests go to the `app` fixture's app, made under the test's hermetic settings.
# The workflow routes (present when workflows are on) need a Prefect server: they are fuzzed in
# tests/workflows/ under the session's server.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(ApiSettings.model_construct()), headers=LOCAL_HOST
).exclude(tag="workflows")


@pytest.fixture
def app() -> FastAPI:
    return create_app(ApiSettings())


@schema.exclude(path="/a2a").parametrize()  # /a2a: its own test below, 5xx checked there too
@FUZZ_SETTINGS
def test_no_operation_answers_5xx(app: FastAPI, case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(BASE_URL, app=app, checks=[not_a_server_error])


def openai_error_shape(ctx: Any, response: Any, case: schemathesis.Case[Any]) -> bool:
    """Every error of the OpenAI-compatible routes is `{"error": {message, type, code, param}}`."""
    if response.status_code < 400:
        return True
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"message", "type", "code", "param"}, body
    assert response.status_code != 422, "OpenAI clients expect 400 for a malformed body"
    return True


@schema.include(path_regex="^/v1/").parametrize()
@FUZZ_SETTINGS
def test_openai_routes_answer_errors_in_openai_shape(
    app: FastAPI, case: schemathesis.Case[Any]
) -> None:
    case.call_and_validate(BASE_URL, app=app, checks=[not_a_server_error, openai_error_shape])


def a2a_error_shape(ctx: Any, response: Any, case: schemathesis.Case[Any]) -> bool:
    """Every answer of /a2a is a JSON-RPC response (an error has an integer code and a message)
    or, refused before JSON-RPC (credentials, size), a 4xx in the API's error shape."""
    if response.status_code >= 400:
        assert response.status_code < 500, response.text
        body = response.json()
        assert set(body) == {"error"}, body
        assert isinstance(body["error"]["code"], str), body
        return True
    content_type = (response.headers.get("content-type") or [""])[0]  # header: list of values
    if content_type.startswith("text/event-stream"):
        answers = [
            json.loads(line.removeprefix("data:"))
            for line in response.text.splitlines()
            if line.startswith("data:")
        ]
    else:
        answers = [response.json()]
    assert answers, response.text
    for answer in answers:
        assert answer["jsonrpc"] == "2.0", answer
        assert ("result" in answer) != ("error" in answer), answer
        if "error" in answer:
            assert isinstance(answer["error"]["code"], int), answer
            assert isinstance(answer["error"]["message"], str), answer
    return True


@schema.include(path_regex="^/a2a$").parametrize()
@FUZZ_SETTINGS
def test_a2a_answers_json_rpc_or_4xx_never_5xx(app: FastAPI, case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(BASE_URL, app=app, checks=[not_a_server_error, a2a_error_shape])
