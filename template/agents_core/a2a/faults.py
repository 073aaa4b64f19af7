"""What went wrong with a call to a remote A2A agent: one table, like the model faults'.

The code (`a2a_<name>`) is what the calling agent's tool error, the log line and the span's
error name; the calling model reads the sentence and can tell the user or try another way.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents_core.exceptions import AgentsCoreError


@dataclass(frozen=True)
class A2AFault:
    """One kind of failed call to a remote A2A agent."""

    name: str
    happened: str
    advice: str

    @property
    def code(self) -> str:
        return f"a2a_{self.name}"


A2A_FAULT_LIST: tuple[A2AFault, ...] = (
    A2AFault(
        "unavailable",
        "no connection to the remote agent",
        "check its url and that it is running",
    ),
    A2AFault(
        "timeout",
        "no answer within the agent's timeout_seconds",
        "raise timeout_seconds, or check the remote agent's load",
    ),
    A2AFault(
        "bad_response",
        "the remote answered with something that is not A2A (card or JSON-RPC)",
        "check that the url is an A2A agent's base URL",
    ),
    A2AFault(
        "refused",
        "the remote refused the call (HTTP 4xx or a JSON-RPC error)",
        "check the credentials (headers, api_key_env) and the message",
    ),
    A2AFault(
        "failed",
        "the remote agent's task failed, was rejected or cancelled",
        "read its message; retry later",
    ),
)
A2A_FAULTS: dict[str, A2AFault] = {fault.name: fault for fault in A2A_FAULT_LIST}


class RemoteAgentError(AgentsCoreError):
    """A call to a remote A2A agent failed; `code` names the fault (`a2a_unavailable`, ...)."""

    def __init__(self, agent: str, fault: str, detail: str) -> None:
        self.agent = agent
        self.fault = A2A_FAULTS[fault]
        self.detail = detail
        super().__init__(
            f"{self.fault.code}: remote A2A agent {agent!r}: {self.fault.happened} ({detail}); "
            f"{self.fault.advice}."
        )

    @property
    def code(self) -> str:
        return self.fault.code

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.agent, self.fault.name, self.detail))
