"""The agents over the Agent2Agent protocol (A2A), served with the official `a2a-sdk`.

- `GET /.well-known/agent-card.json`: the agent card, public as A2A cards are (a client reads it
  to learn how to call and authenticate): the router and each agent as a skill, the JSON-RPC
  endpoint's URL, streaming, and the Bearer scheme when the API requires credentials.
- `POST /a2a`: JSON-RPC 2.0, A2A 1.0 method names (`SendMessage`, `SendStreamingMessage`,
  `GetTask`, `CancelTask`, ...) and the 0.3 ones (`message/send`, `message/stream`,
  `tasks/get`, `tasks/cancel`). Authenticated like every route (`api.deps.authenticate`).

Each task belongs to the principal that created it: the SDK's task store keeps every
principal's tasks apart (its owner is the call context's user, our principal), so another
principal's task id, and a contextId that is another principal's session, get the A2A
`TaskNotFoundError`. Tasks are stored beside the sessions (`api.a2a_tasks`: a table in the SQLite
file or the PostgreSQL database), so a follow-up may reach any API process. How tasks map to
runs: `api.a2a_executor`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from a2a.auth.user import User
from a2a.compat.v0_3 import types as v0_3
from a2a.server.agent_execution import SimpleRequestContextBuilder
from a2a.server.context import ServerCallContext
from a2a.server.events import Event
from a2a.server.id_generator import IDGenerator, IDGeneratorContext
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes import DefaultServerCallContextBuilder, create_jsonrpc_routes
from a2a.types.a2a_pb2 import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    GetTaskRequest,
    HTTPAuthSecurityScheme,
    Message,
    SecurityRequirement,
    SecurityScheme,
    SendMessageRequest,
    Task,
)
from a2a.utils.constants import AGENT_CARD_WELL_KNOWN_PATH, PROTOCOL_VERSION_1_0
from a2a.utils.errors import InvalidParamsError, TaskNotFoundError
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agents_core._defaults import PROJECT_NAME
from agents_core.auth import Authenticator
from agents_core.exceptions import InvalidSessionIdError, SessionNotFound
from agents_core.observability.run_log import new_run_id
from agents_core.principals import Principal
from agents_core.runs import ROUTER, RunService, RunTarget
from agents_core.session.agent_session import validate_session_id
from api.a2a_executor import PRINCIPAL_STATE, RUN_SERVICE_STATE, RunServiceExecutor
from api.a2a_tasks import A2ATaskStore, open_a2a_task_store
from api.deps import API_KEY_HEADER, authenticate, get_run_service
from api.errors import ApiError, error_json
from api.origins import origin_allowed
from api.settings import ApiSettings

A2A_PATH = "/a2a"
PARKED_TASK_SECONDS = 60.0
"""How long this process keeps a task waiting in input-required in memory (see install_a2a)."""
BEARER_SCHEME = "bearer"
"""The card's name of the API's authentication (an API key or an OpenID Connect JWT)."""


class PrincipalUser(User):
    """A principal as the a2a-sdk's user: its id names the owner of the tasks."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def user_name(self) -> str:
        return self.principal.id


class RunIds(IDGenerator):
    """Task ids are run ids (32 hex digits): logs, traces and approvals name the same run."""

    def generate(self, context: IDGeneratorContext) -> str:
        return new_run_id()


class _CallContextBuilder(DefaultServerCallContextBuilder):
    """The call context of an authenticated request: its principal and the app's run service."""

    def build(self, request: Request) -> ServerCallContext:
        context = super().build(request)
        principal: Principal = request.state.principal  # set by `authenticate`
        context.user = PrincipalUser(principal)
        headers = context.state.get("headers", {})  # the SDK reads A2A-Version from them
        for name in ("authorization", API_KEY_HEADER.lower()):
            headers.pop(name, None)  # the credential stays out of the tasks' state
        context.state[PRINCIPAL_STATE] = principal
        context.state[RUN_SERVICE_STATE] = get_run_service(request)
        return context


class OwnedRequestHandler(DefaultRequestHandler):
    """The SDK's handler, refusing (before any task is created or any model called) a text
    over `max_input_chars` and a contextId that is another principal's session (as an unknown
    task)."""

    def __init__(self, *, max_input_chars: int, **options: Any) -> None:
        super().__init__(**options)
        self.max_input_chars = max_input_chars

    async def on_message_send(
        self, params: SendMessageRequest, context: ServerCallContext
    ) -> Message | Task:
        self._check_size(params)
        await _check_context(self, params, context)
        answer: Message | Task = await super().on_message_send(params, context)
        return answer

    async def on_message_send_stream(
        self, params: SendMessageRequest, context: ServerCallContext
    ) -> AsyncGenerator[Event, None]:
        self._check_size(params)
        await _check_context(self, params, context)
        async for event in super().on_message_send_stream(params, context):
            yield event

    def _check_size(self, params: SendMessageRequest) -> None:
        size = sum(len(part.text) for part in params.message.parts)
        if size > self.max_input_chars:
            raise InvalidParamsError(
                message=f"The message has {size} characters of text; the limit is "
                f"{self.max_input_chars} (MAX_INPUT_CHARS)."
            )


async def _check_context(
    handler: DefaultRequestHandler, params: SendMessageRequest, context: ServerCallContext
) -> None:
    """A message on a task takes the task's context; a new task's context must be the
    caller's session (or new)."""
    message = params.message
    if message.task_id:
        if not message.context_id:  # the SDK would start a new context: take the task's
            task = await handler.on_get_task(GetTaskRequest(id=message.task_id), context)
            if task is None:
                raise TaskNotFoundError(f"No task {message.task_id!r}.")
            message.context_id = task.context_id
        return  # the store checks the task's owner
    context_id = message.context_id
    if not context_id:
        return  # a new conversation
    try:
        validate_session_id(context_id)
    except InvalidSessionIdError as error:
        raise InvalidParamsError(message=str(error)) from None
    service: RunService = context.state[RUN_SERVICE_STATE]
    try:
        await service.authorize_session(context_id, context.state[PRINCIPAL_STATE])
    except SessionNotFound:
        raise TaskNotFoundError(f"No task or context {context_id!r}.") from None


def agent_card(targets: list[RunTarget], base_url: str, authenticator: Authenticator) -> AgentCard:
    """The card of this API: `targets` as skills, its endpoint, its auth scheme."""
    skills = [
        AgentSkill(
            id=target.name,
            name=target.name,
            description=target.description,
            tags=["router" if target.agent is None else "agent"],
        )
        for target in targets
    ]
    card = AgentCard(
        name=PROJECT_NAME,
        description=(
            "The project's agents. Send a message to the router, or name an agent (a skill id) "
            'in the message\'s metadata: {"agent": "<skill id>"}.'
        ),
        supported_interfaces=[
            AgentInterface(
                url=base_url.rstrip("/") + A2A_PATH,
                protocol_binding="JSONRPC",
                protocol_version=PROTOCOL_VERSION_1_0,
            )
        ],
        version="0.1.0",
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain", "application/json"],
        skills=skills,
    )
    if authenticator.required:
        card.security_schemes[BEARER_SCHEME].CopyFrom(
            SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme="Bearer",
                    description="An API key (API_KEYS) or a JWT of the OpenID Connect provider.",
                )
            )
        )
        requirement = SecurityRequirement()
        requirement.schemes[BEARER_SCHEME].SetInParent()
        card.security_requirements.append(requirement)
    return card


def install_a2a(app: FastAPI, settings: ApiSettings) -> None:
    """Serve the card and the JSON-RPC endpoint; `a2a_lifespan` must run around the app."""
    authenticator: Authenticator = app.state.authenticator
    # What the handler checks (streaming, input modes); clients get `card` below.
    router = RunTarget(ROUTER, "Picks the agent for each message by its intent.", None)
    placeholder = agent_card([router], "http://localhost", authenticator)
    tasks = open_a2a_task_store(settings.resolved_session_url, settings.a2a_task_store)
    handler = OwnedRequestHandler(
        max_input_chars=settings.max_input_chars,
        agent_executor=RunServiceExecutor(),
        task_store=tasks.store,
        # A task parked in input-required is let go after a minute: its answer may come to
        # another process, and this one then reads it back from the store.
        interrupted_task_timeout=PARKED_TASK_SECONDS,
        agent_card=placeholder,
        request_context_builder=SimpleRequestContextBuilder(task_id_generator=RunIds()),
    )
    [rpc] = create_jsonrpc_routes(
        handler, A2A_PATH, context_builder=_CallContextBuilder(), enable_v0_3_compat=True
    )
    dispatch: Any = rpc.endpoint

    async def jsonrpc(request: Request) -> Response:
        try:
            if not origin_allowed(
                request.headers, settings.cors_origin_list, settings.host_allowlist
            ):
                raise ApiError(403, "origin_not_allowed", "Pages of this origin may not call /a2a.")
            await authenticate(request)
        except ApiError as error:
            body = error_json(error.code, error.message)
            return Response(
                body, error.status, headers=error.headers, media_type="application/json"
            )
        if await _has_lone_surrogates(request):
            return _rpc_error(-32600, "Strings must be valid Unicode (no lone surrogates).")
        response: Response = await dispatch(request)
        return response

    async def card(request: Request) -> JSONResponse:
        targets = get_run_service(request).targets()
        found = agent_card(targets, str(request.base_url), authenticator)
        return JSONResponse(agent_card_to_dict(found))

    # In the OpenAPI schema (so /docs lists it and the schemathesis fuzz sends it requests) with
    # the JSON-RPC bodies it takes; the SDK, not FastAPI, reads and validates them.
    app.add_api_route(
        A2A_PATH,
        jsonrpc,
        methods=["POST"],
        tags=["a2a"],
        summary="A2A JSON-RPC: message/send, message/stream, tasks/get, tasks/cancel",
        response_model=None,
        openapi_extra=OPENAPI_OPERATION,
    )
    app.router.routes.append(
        Route(AGENT_CARD_WELL_KNOWN_PATH, card, methods=["GET"], include_in_schema=False)
    )
    app.state.a2a_handler = handler
    app.state.a2a_tasks = tasks


def _request_schema() -> dict[str, Any]:
    """The JSON-RPC requests of /a2a as the SDK's own A2A 0.3 models describe them (the 1.0
    names, `SendMessage`..., take the same messages in the protocol's 1.0 JSON form)."""
    models = (
        v0_3.SendMessageRequest,
        v0_3.SendStreamingMessageRequest,
        v0_3.GetTaskRequest,
        v0_3.CancelTaskRequest,
    )
    return {"oneOf": [_inline(model.model_json_schema()) for model in models]}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `$defs` references replaced by the definitions (none is recursive)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


OPENAPI_OPERATION: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _request_schema()}},
    },
    "responses": {
        "200": {
            "description": "A JSON-RPC response: `result` or `error` (code, message); for "
            "message/stream, Server-Sent Events each carrying one.",
            "content": {"application/json": {}, "text/event-stream": {}},
        },
        "401": {"description": "No or wrong credentials (the API's error shape)."},
        "413": {"description": "A body over MAX_BODY_BYTES (the API's error shape)."},
    },
}


async def _has_lone_surrogates(request: Request) -> bool:
    """Whether the JSON body holds a string UTF-8 cannot encode (`"\\ud800"`): the SDK would
    echo it in an error it then fails to send (a 500). Bodies that do not parse are left to
    the SDK, which answers them with a JSON-RPC error."""
    try:
        body = json.loads(await request.body())
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


def _rpc_error(code: int, message: str) -> Response:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
    return Response(json.dumps(body), media_type="application/json")


@asynccontextmanager
async def a2a_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Drain the A2A tasks still running when the app stops, then close their store."""
    try:
        yield
    finally:
        handler: OwnedRequestHandler | None = getattr(app.state, "a2a_handler", None)
        if handler is not None:
            await handler.aclose()
        tasks: A2ATaskStore | None = getattr(app.state, "a2a_tasks", None)
        if tasks is not None:
            await tasks.aclose()
