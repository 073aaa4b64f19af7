"""Errors raised by agents_core. Every one names what went wrong and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# The model server's error text may quote its URL with credentials: messages are redacted.
from agents_core.observability.redaction import redact


class AgentsCoreError(Exception):
    """Base class of every error agents_core raises on purpose."""


class ConfigurationError(AgentsCoreError):
    """A setting or a definition is invalid."""


class UnknownNameError(AgentsCoreError, KeyError):
    """A registry lookup named something that is not registered."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        listing = ", ".join(self.known) if self.known else "none"
        super().__init__(f"Unknown {kind} {name!r}. Registered {kind}s: {listing}.")

    def __str__(self) -> str:  # KeyError would otherwise print the repr
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled with its own arguments (e.g. by Prefect, which stores a failed task's error),
        # not with the message, which __init__ does not take.
        return (type(self), (self.kind, self.name, self.known))


class DuplicateNameError(AgentsCoreError, ValueError):
    """A registry already holds something under this name."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        super().__init__(
            f"A {kind} named {name!r} is already registered. "
            f"Pick another name, or pass replace=True to override it on purpose."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.kind, self.name))


class MCPServerUnavailable(AgentsCoreError):
    """A declared MCP server could not be started or reached."""

    def __init__(self, server: str, reason: str) -> None:
        self.server = server
        self.reason = reason
        super().__init__(f"MCP server {server!r} is unavailable: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.server, self.reason))


class InvalidSessionIdError(AgentsCoreError, ValueError):
    """A session id does not match the allowed pattern."""


class SessionBusyError(AgentsCoreError):
    """Another turn held the session longer than the wait allowed (SESSION_LOCK_TIMEOUT_SECONDS)."""

    def __init__(self, session_id: str, waited: float) -> None:
        self.session_id = session_id
        self.waited = waited
        super().__init__(
            f"Session {session_id!r} is busy: another turn has held it for {waited:g} s. "
            "Retry when that turn has finished, or raise SESSION_LOCK_TIMEOUT_SECONDS."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.session_id, self.waited))


class SessionNotFound(AgentsCoreError, LookupError):
    """No session is stored under the id for this principal.

    Raised alike when nothing is stored and when the session belongs to another principal:
    whether someone else's session exists is never revealed.
    """

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        super().__init__(f"No session {session_id!r} is stored.")

    def __str__(self) -> str:  # LookupError would otherwise print the repr
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.session_id,))


class ApprovalError(AgentsCoreError):
    """A decision on a pending tool approval was refused.

    `kind` says why: `unknown` (no such approval for that run), `decided` (already approved or
    rejected: a replay), `expired` (APPROVAL_TIMEOUT_SECONDS passed; the run has ended),
    `invalid` (the stored state of the paused run does not verify).
    """

    KINDS = ("unknown", "decided", "expired", "invalid")

    def __init__(self, kind: str, message: str, *, run_id: str = "", approval_id: str = "") -> None:
        if kind not in self.KINDS:
            raise ValueError(f"ApprovalError kind is one of {', '.join(self.KINDS)}, got {kind!r}")
        self.kind = kind
        self.run_id = run_id
        self.approval_id = approval_id
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_approval_error, (self.kind, str(self), self.run_id, self.approval_id))


def _approval_error(kind: str, message: str, run_id: str, approval_id: str) -> ApprovalError:
    return ApprovalError(kind, message, run_id=run_id, approval_id=approval_id)


class GuardrailTripped(AgentsCoreError):
    """An input guardrail refused the input of an agent."""

    def __init__(self, guardrail: str, message: str, agent: str | None = None) -> None:
        self.guardrail = guardrail
        self.message = message
        self.agent = agent
        where = f" (agent {agent!r})" if agent else ""
        super().__init__(f"Guardrail {guardrail!r} refused the input{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.guardrail, self.message, self.agent))


class LimitExceeded(AgentsCoreError):
    """A principal is over one of its limits; the run was refused before any model call.

    `kind` is `requests` (RATE_LIMIT_PER_MINUTE) or `tokens` (TOKEN_BUDGET_PER_DAY);
    `retry_after` is the whole seconds until the window that refused it ends (the next minute,
    or UTC midnight); `limit` and `used` are the window's limit and what it counts so far.
    """

    KINDS = ("requests", "tokens")

    def __init__(
        self, kind: str, principal_id: str, limit: int, used: int, retry_after: int
    ) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"LimitExceeded kind is one of {', '.join(self.KINDS)}, got {kind!r}")
        self.kind = kind
        self.principal_id = principal_id
        self.limit = limit
        self.used = used
        self.retry_after = retry_after
        if kind == "requests":
            what = f"made {used} requests this minute; the limit is {limit}"
            setting = "RATE_LIMIT_PER_MINUTE"
        else:
            what = f"used {used} model tokens today (UTC); the budget is {limit}"
            setting = "TOKEN_BUDGET_PER_DAY"
        super().__init__(
            f"Principal {principal_id!r} {what} ({setting}). Retry in {retry_after} s."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (self.kind, self.principal_id, self.limit, self.used, self.retry_after),
        )


class SafetyLimitExceeded(AgentsCoreError):
    """An orchestration ran too many agents or looped on the same step."""


class AgentRunError(AgentsCoreError):
    """A model or the SDK failed while an agent was running."""

    def __init__(self, agent: str, cause: BaseException) -> None:
        self.agent = agent
        self.cause = cause
        super().__init__(redact(f"Agent {agent!r} failed: {type(cause).__name__}: {cause}"))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.agent, self.cause))


class ModelCallError(AgentRunError):
    """The model server failed a request, after the retries it deserved.

    `fault` is stable and meant for programs: `rate_limited`, `timeout`, `auth_failed`,
    `not_found`, `unreachable`, `upstream_error` (another HTTP error), `truncated` (a stream cut
    before its end), `unreadable_output` (output that does not fit the agent's output type),
    `bad_output` (any other unusable output). `status` is the server's HTTP
    status when it answered, `retry_after` its `Retry-After` in seconds when it sent one.
    """

    def __init__(
        self,
        agent: str,
        cause: BaseException,
        fault: str,
        explanation: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(agent, cause)
        self.fault = fault
        self.explanation = redact(explanation)
        self.status = status
        self.retry_after = retry_after
        self.args = (f"Agent {agent!r} failed: {self.explanation}",)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (self.agent, self.cause, self.fault, self.explanation, self.status, self.retry_after),
        )
