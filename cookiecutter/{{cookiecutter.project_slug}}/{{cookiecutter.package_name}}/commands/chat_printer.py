"""How `chat` and `demo` print a run's events: the answer on stdout, the rest on stderr."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any, TextIO

from agents_core.observability.redaction import redact

from ._common import EXIT_FAILED, EXIT_OK, EXIT_REFUSED

if TYPE_CHECKING:
    from agents_core import StreamEvent


class ChatPrinter:
    """Prints a run's events as they stream: the answer on stdout, the rest on stderr.

    By default only the answer (its tokens as they arrive, from the agent that writes it),
    errors and tool calls waiting for an approval are printed. With `verbose`, each agent's
    start, the routing decision (the output of an agent whose text is not the answer), each tool
    call with its arguments, its result pretty-printed and cut to a few lines, and timings.
    """

    def __init__(
        self, out: TextIO, err: TextIO, *, as_json: bool = False, verbose: bool = False
    ) -> None:
        self.out, self.err, self.as_json, self.verbose = out, err, as_json, verbose
        self.final_agents: set[str] = set()
        self.streamed = False
        self.exit_code = EXIT_OK
        self.approvals: list[dict[str, Any]] = []
        """`approval_required` events of the current run: the calls waiting for a decision."""
        self._started: float | None = None
        self._calls: dict[str, float] = {}
        """call_id -> when the tool call started (for its timing)."""

    def __call__(self, event: StreamEvent) -> None:
        if self.as_json:
            print(json.dumps(event.to_json(), ensure_ascii=False), file=self.out, flush=True)
        else:
            self._human(event)
        if event.type == "approval_required":
            self.approvals.append(dict(event.data))
        if event.type == "error":
            code = str(event.data.get("code", ""))
            self.exit_code = EXIT_REFUSED if code == "GuardrailTripped" else EXIT_FAILED

    def _human(self, event: StreamEvent) -> None:
        data, agent = event.data, event.agent or ""
        if event.type == "agent_start" and data.get("final"):
            self.final_agents.add(agent)
        if event.type == "token" and agent in self.final_agents and _is_terminal(self.out):
            # Live only for a person watching: a pipe gets whole answers, never half of one
            # from a turn that fails after its first tokens.
            self.out.write(str(data.get("delta", "")))
            self.out.flush()
            self.streamed = True
        elif event.type == "answer":
            if not self.streamed:
                self.out.write(str(data.get("text", "")))
            self.out.write("\n")
            self.out.flush()
        elif event.type == "error":
            if self.streamed:  # the tokens shown are not an answer: say so on their line
                self.out.write(" [cut off: not an answer]\n")
                self.out.flush()
            print(f"error: {redact(str(data.get('message')))}", file=self.err, flush=True)
        elif event.type == "approval_required":
            self._note(f"  ⏸ {data.get('tool')} waits for your approval")
        elif self.verbose:
            self._detail(event)

    def _detail(self, event: StreamEvent) -> None:
        """What only --verbose shows: steps, routing, tool calls and results, timings."""
        data, agent = event.data, event.agent or ""
        if event.type == "run_start":
            self._started = event.timestamp
        elif event.type == "agent_start":
            self._note(f"… {agent}")
        elif event.type == "tool_call":
            self._calls[str(data.get("call_id"))] = event.timestamp
            arguments = ", ".join(
                f"{k}={json.dumps(v, ensure_ascii=False)}"
                for k, v in data.get("arguments", {}).items()
            )
            self._note(f"  ⚙ {data.get('tool')}({arguments})")
        elif event.type == "tool_result":
            started = self._calls.pop(str(data.get("call_id")), None)
            took = f" ({event.timestamp - started:.2f} s)" if started is not None else ""
            lines = _pretty(data.get("result"))
            self._note(f"  ↳ {lines[0]}{took}" if len(lines) == 1 else f"  ↳{took}")
            if len(lines) > 1:
                for line in lines:
                    self._note(f"    {line}")
        elif event.type == "agent_end" and agent not in self.final_agents:
            self._note(f"  → {_short(data.get('output'))}")
        elif event.type == "done" and self._started is not None:
            self._note(f"  ⏱ {event.timestamp - self._started:.2f} s")

    def _note(self, text: str) -> None:
        print(text, file=self.err, flush=True)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


RESULT_LINES, RESULT_WIDTH = 8, 120
"""How much of a tool result --verbose shows: lines, and characters per line."""


def _pretty(value: Any) -> list[str]:
    """A tool result as indented JSON (or its text), cut to RESULT_LINES lines."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, str):
        lines = value.strip().splitlines() or [""]
    else:
        text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
        lines = text.splitlines()
    if len(lines) == 1 and len(lines[0]) <= RESULT_WIDTH:
        return lines
    shown = [
        line if len(line) <= RESULT_WIDTH else line[: RESULT_WIDTH - 1] + "…"
        for line in lines[:RESULT_LINES]
    ]
    if len(lines) > RESULT_LINES:
        shown.append(f"… ({len(lines) - RESULT_LINES} more lines)")
    return shown


def _short(value: Any, limit: int = 240) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
