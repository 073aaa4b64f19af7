"""Safety guard of an orchestration: a budget of agent runs and loop detection."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from agents_core.exceptions import SafetyLimitExceeded


@dataclass
class SafetyGuard:
    """Counts the agent runs of one orchestration and stops runaway workflows.

    `max_agent_runs` bounds the total; `max_repeats` bounds how often the same agent may run
    on the same input (a loop). One guard per orchestration run.
    """

    max_agent_runs: int = 12
    max_repeats: int = 2
    runs: list[str] = field(default_factory=list)
    _seen: Counter[tuple[str, str]] = field(default_factory=Counter)

    def check(self, agent: str, input_key: str = "") -> None:
        """Record one run of `agent`; raise `SafetyLimitExceeded` if it breaks a limit."""
        if len(self.runs) >= self.max_agent_runs:
            raise SafetyLimitExceeded(
                f"Stopped before running {agent!r}: this orchestration already ran "
                f"{len(self.runs)} agents (limit {self.max_agent_runs}): {', '.join(self.runs)}."
            )
        key = (agent, input_key)
        if self._seen[key] >= self.max_repeats:
            raise SafetyLimitExceeded(
                f"Stopped a loop: agent {agent!r} already ran {self._seen[key]} times on the "
                f"same input (limit {self.max_repeats})."
            )
        self._seen[key] += 1
        self.runs.append(agent)
