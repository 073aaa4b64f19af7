"""A remote A2A agent as a tool of our agents: `register_a2a_agent(name, url, ...)`.

The tool sends the model's message to the remote agent with the official `a2a-sdk` client
(the agent card is fetched from `<url>/.well-known/agent-card.json`, then JSON-RPC) and returns
the remote's answer as text: its task's artifacts, or its reply message. A task that waits for
input (an approval on the remote side) comes back as its question, for the model to relay.
Failures raise `RemoteAgentError` with a fault code (`agents_core.a2a.faults`); the calling
model reads it as the tool's error. Each call is a span `a2a:<name>` in the run's trace.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from agents.tracing import SpanError, custom_span

from agents_core.a2a.faults import RemoteAgentError
from agents_core.auth.loopback import is_loopback_host
from agents_core.exceptions import ConfigurationError
from agents_core.observability.redaction import redact, register_secrets
from agents_core.registry.tool_registry import ToolDefinition, register_tool
from agents_core.utils.tls import tls_context

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class A2AAgentDefinition:
    """A remote A2A agent our agents may call (its tool has the same name)."""

    name: str
    """The tool's name (what agents list in `tools=[...]`)."""
    url: str
    """The remote's base URL: its card is at `<url>/.well-known/agent-card.json`."""
    description: str = ""
    """What the model reads about the tool; empty: the card's description, fetched once."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """HTTP headers of every request (the card's too)."""
    api_key_env: str | None = None
    """An environment variable whose value is sent as `Authorization: Bearer <value>`."""
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    """The whole call (card, message, answer); past it the call fails with `a2a_timeout`."""
    skill: str | None = None
    """Sent as the message's `metadata.agent` (our own A2A door picks that agent)."""
    allow_http: bool = False
    """Allow http:// to a host that is not loopback (the credential travels unencrypted)."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        where = f"A2A agent {self.name!r}"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"{where}: url must be an http(s):// URL, got {self.url!r}.")
        if parts.username or parts.password:
            raise ConfigurationError(f"{where}: url must not carry credentials (user:password@).")
        if parts.scheme == "http" and not self.allow_http and not is_loopback_host(parts.hostname):
            raise ConfigurationError(
                f"{where}: url must use https:// (http:// only for localhost, 127.0.0.1 and ::1, "
                f"or with allow_http = true), got {self.url!r}."
            )
        if not 0 < self.timeout_seconds <= 3600:
            raise ConfigurationError(f"{where}: timeout_seconds must be in (0, 3600].")

    def request_headers(self) -> dict[str, str]:
        """The headers of a call, the API key's read now (and redacted from logs)."""
        headers = dict(self.headers)
        register_secrets([value for value in headers.values() if len(value) >= 8])
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise RemoteAgentError(
                    self.name, "refused", f"the environment variable {self.api_key_env} is not set"
                )
            register_secrets([key])
            headers["Authorization"] = f"Bearer {key}"
        return headers


def register_a2a_agent(
    name: str,
    url: str,
    *,
    description: str = "",
    headers: Mapping[str, str] | None = None,
    api_key_env: str | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    skill: str | None = None,
    allow_http: bool = False,
    replace: bool = False,
) -> ToolDefinition:
    """Make the remote A2A agent at `url` a tool named `name` that agents list in `tools`."""
    definition = A2AAgentDefinition(
        name=name,
        url=url,
        description=description,
        headers=dict(headers or {}),
        api_key_env=api_key_env,
        timeout_seconds=timeout_seconds,
        skill=skill,
        allow_http=allow_http,
    )
    return register_remote_agent(definition, replace=replace)


def register_remote_agent(
    definition: A2AAgentDefinition, *, replace: bool = False
) -> ToolDefinition:
    """Register `definition`'s tool (see `register_a2a_agent`)."""

    async def call_remote_agent(message: str) -> str:
        """Send a message to the remote agent and return its answer.

        Args:
            message: what to ask, self-contained (the remote agent does not see this conversation)
        """
        return await call_a2a_agent(definition, message)

    description = definition.description or (
        f"Ask the remote agent {definition.name!r} (A2A, {definition.url}); it answers in text."
    )
    register_tool(name=definition.name, description=description, category="a2a", replace=replace)(
        call_remote_agent
    )
    from agents_core.registry.tool_registry import get_tool_registry

    return get_tool_registry().get(definition.name)


async def call_a2a_agent(definition: A2AAgentDefinition, message: str) -> str:
    """One call: the remote's answer as text; `RemoteAgentError` with a fault code if it fails."""
    with custom_span(f"a2a:{definition.name}", {"url": redact(definition.url)}) as span:
        try:
            async with asyncio.timeout(definition.timeout_seconds):
                return await _call(definition, message)
        except TimeoutError:
            error = RemoteAgentError(
                definition.name, "timeout", f"{definition.timeout_seconds:g} s"
            )
        except RemoteAgentError as raised:
            error = raised
        logger.warning("%s", redact(str(error)))
        span.set_error(SpanError(message=error.code, data={"detail": redact(error.detail)}))
        raise error


async def _call(definition: A2AAgentDefinition, message: str) -> str:
    from a2a.client import A2AClientError, ClientConfig, create_client
    from a2a.client.errors import A2AClientTimeoutError, AgentCardResolutionError
    from a2a.helpers import new_text_message
    from a2a.types.a2a_pb2 import Role, SendMessageRequest
    from a2a.utils.errors import A2AError

    name = definition.name
    timeout = httpx.Timeout(definition.timeout_seconds)
    async with httpx.AsyncClient(
        headers=definition.request_headers(),
        timeout=timeout,
        follow_redirects=False,
        verify=tls_context(),
    ) as http:
        config = ClientConfig(httpx_client=http, streaming=False)
        try:
            client = await create_client(definition.url, client_config=config)
        except AgentCardResolutionError as error:
            raise _card_error(name, error) from None
        except (ValueError, TypeError) as error:  # a card without a JSON-RPC interface
            raise RemoteAgentError(name, "bad_response", redact(str(error))) from None
        request = SendMessageRequest(message=new_text_message(message))
        request.message.role = Role.ROLE_USER
        if definition.skill:
            request.message.metadata.update({"agent": definition.skill})
        try:
            events = [event async for event in client.send_message(request)]
        except A2AClientTimeoutError:
            raise RemoteAgentError(name, "timeout", "the message got no answer") from None
        except (httpx.ConnectError, httpx.RemoteProtocolError) as error:
            raise RemoteAgentError(name, "unavailable", type(error).__name__) from None
        except A2AClientError as error:
            raise _client_error(name, error) from None
        except A2AError as error:  # a JSON-RPC error object from the remote
            detail = f"{type(error).__name__}: {redact(str(error))[:300]}"
            raise RemoteAgentError(name, "refused", detail) from None
        except (ValueError, TypeError) as error:  # a JSON-RPC result that is not A2A
            raise RemoteAgentError(name, "bad_response", redact(str(error))[:300]) from None
        finally:
            await client.close()
    return answer_text(name, events)


def _card_error(name: str, error: Any) -> RemoteAgentError:
    status = getattr(error, "status_code", None)
    text = redact(str(error))[:300]
    if status is not None and 400 <= status < 500:
        return RemoteAgentError(name, "refused", f"the card answered HTTP {status}")
    if status is not None:
        return RemoteAgentError(name, "unavailable", f"the card answered HTTP {status}")
    if "Network communication error" in text:
        return RemoteAgentError(name, "unavailable", text)
    return RemoteAgentError(name, "bad_response", text)


def _client_error(name: str, error: Exception) -> RemoteAgentError:
    text = redact(str(error))[:300]
    cause = error.__cause__
    if isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code < 500:
        return RemoteAgentError(name, "refused", f"HTTP {cause.response.status_code}")
    if isinstance(cause, httpx.TransportError):
        return RemoteAgentError(name, "unavailable", type(cause).__name__)
    if isinstance(cause, httpx.HTTPStatusError):
        return RemoteAgentError(name, "unavailable", f"HTTP {cause.response.status_code}")
    return RemoteAgentError(name, "bad_response", text)


def answer_text(name: str, events: list[Any]) -> str:
    """The text of the remote's last task (artifacts, or its status message) or message."""
    from a2a.helpers import get_artifact_text, get_message_text
    from a2a.types.a2a_pb2 import TaskState

    for event in reversed(events):
        if event.HasField("message"):
            return str(get_message_text(event.message))
        if not event.HasField("task"):
            continue
        task = event.task
        said = get_message_text(task.status.message) if task.status.HasField("message") else ""
        state = task.status.state
        if state == TaskState.TASK_STATE_COMPLETED:
            texts = [get_artifact_text(artifact) for artifact in task.artifacts]
            return "\n".join(text for text in texts if text) or str(said)
        if state in (TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED):
            return f"The remote agent waits for input on its task {task.id}: {said}"
        reason = f"task {task.id} ended {TaskState.Name(state)}: {redact(str(said))[:300]}"
        raise RemoteAgentError(name, "failed", reason)
    raise RemoteAgentError(name, "bad_response", "no task or message in the answer")
