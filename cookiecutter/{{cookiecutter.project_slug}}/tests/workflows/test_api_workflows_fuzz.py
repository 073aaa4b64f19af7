"""Schemathesis over the workflow routes, on the session's Prefect server: no 5xx.

The rest of the API is fuzzed in tests/test_api_fuzz.py. The reads are fuzzed as they are; the
start route (POST /workflows/{name}/runs) is fuzzed per flow of the catalog, with the bodies
schemathesis generates and with bodies that name the flow's own parameters: every run it starts
really runs (in-process, on the test's event loop), and the test waits for it and reads its
state back by id, which must be final and must not be a 5xx either.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import example, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from api import ApiSettings, create_app
from api.workflow_runs import WorkflowRunner, WorkflowSettings
from tests.api_fuzzing import BASE_URL, FUZZ_SETTINGS, LOCAL_HOST
from workflows_core import get_flow, list_flows

pytestmark = pytest.mark.slow  # flows on the Prefect server

_ALL = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(ApiSettings.model_construct()), headers=LOCAL_HOST
)
schema = _ALL.include(tag="workflows").exclude(method="POST")
START = _ALL["/workflows/{name}/runs"]["POST"]
FLOWS = [info.name for info in list_flows()]
# Each example may start a real flow run: fewer per flow than the read fuzz.
START_SETTINGS = settings(FUZZ_SETTINGS, max_examples=min(FUZZ_SETTINGS.max_examples, 4))

TEXT = st.one_of(st.text(max_size=12), st.sampled_from(["\ud800", "a" * 200, "../x", "/etc/x"]))


@pytest.fixture
def app(prefect_server: str) -> FastAPI:
    app = create_app(ApiSettings())
    app.state.workflow_runner = WorkflowRunner(WorkflowSettings(workflow_execution="in-process"))
    return app


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_workflow_read_answers_5xx(app: FastAPI, case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(BASE_URL, app=app, checks=[not_a_server_error])


def own_parameters(flow: str) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies naming the flow's parameters, with odd text values (surrogates, paths, long)."""
    names = [parameter.name for parameter in get_flow(flow).parameters]
    values = st.dictionaries(st.sampled_from(names), TEXT, max_size=len(names))
    return st.builds(lambda parameters: {"parameters": parameters}, values)


@pytest.mark.parametrize("flow", FLOWS)
def test_no_workflow_start_answers_5xx(prefect_server: str, flow: str) -> None:
    generated = START.as_strategy().map(lambda case: case.body)
    parameters = get_flow(flow).parameters
    required = {p.name: "x" for p in parameters if p.required}
    surrogate = {name: "\ud800" for name in required or [parameters[0].name]}

    @given(body=st.one_of(generated, own_parameters(flow)))
    @example(body={"parameters": required})  # a real run, every time
    @example(body={"parameters": surrogate})  # was a 500
    @START_SETTINGS
    def start(body: Any) -> None:
        asyncio.run(_start_and_wait(flow, body))

    start()


async def _start_and_wait(flow: str, body: Any) -> None:
    runner = WorkflowRunner(WorkflowSettings(workflow_execution="in-process"))
    app = create_app(ApiSettings())
    app.state.workflow_runner = runner
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        # json.dumps escapes a lone surrogate: the body is valid JSON the server must handle.
        content = json.dumps(body, default=str).encode("ascii")
        started = await client.post(
            f"/workflows/{flow}/runs",
            content=content,
            headers={"content-type": "application/json"},
        )
        assert started.status_code < 500, started.text
        if started.status_code != 202:
            return
        await runner.wait_all()
        state = await client.get(started.json()["status_url"])
        assert state.status_code == 200, state.text
        assert state.json()["final"]
