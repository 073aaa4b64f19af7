"""The state of one open run: its guard, journal, and the session turns it holds.

A run's state is shared with the orchestrator's building blocks (`setup_session`,
`setup_context`, `run_agent`) through `current_run`, set for the run's asyncio task.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from agents.items import TResponseInputItem
from agents.memory import SessionABC

from agents_core.approvals.paused_run import PausedRun
from agents_core.approvals.pending import PendingApproval
from agents_core.core.runner import RunInput
from agents_core.observability.run_log import new_run_id
from agents_core.principals import LOCAL, Principal
from agents_core.services.safety import SafetyGuard
from agents_core.services.streaming import StreamingHelper
from agents_core.session.agent_session import AgentSession
from agents_core.session.turn import SessionTurn
from agents_core.utils.tasks import run_to_end


@dataclass
class Resumed:
    """A paused run being resumed: the calls to replay and the decisions to apply."""

    paused: PausedRun
    decided: dict[str, tuple[str, str | None]]
    replay: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class OpenRun:
    """What one run shares with the `run_agent` calls inside it (per asyncio task).

    It holds the turn of every session the run uses: the turn is opened (the session's lock
    taken, its history read) when the first agent runs on that session, and is committed when
    the run succeeds or discarded when it fails.
    """

    query: str
    session_id: str | None
    guard: SafetyGuard
    principal: Principal = LOCAL
    """Who the run is for: it owns the sessions and paused runs the run creates."""
    run_id: str = field(default_factory=new_run_id)
    streaming: StreamingHelper | None = None
    context_data: dict[str, Any] = field(default_factory=dict)
    sessions: list[AgentSession] = field(default_factory=list)
    turns: dict[str, SessionTurn] = field(default_factory=dict)
    stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    closed: bool = False
    calls: int = 0
    """Agent calls started so far (their numbers order the journal)."""
    outputs: dict[int, tuple[str, Any]] = field(default_factory=dict)
    """Call number -> (agent, output) of every agent call that finished."""
    tokens: dict[str, int] = field(default_factory=dict)
    """Model tokens the run's agents used: `input`, `output` (as the models reported them)."""
    resumed: Resumed | None = None
    pending: list[PendingApproval] = field(default_factory=list)
    """The tool calls the run waits on, once it paused."""

    def session(self, session_id: str, max_items: int | None) -> AgentSession:
        """The run's session of that id (one object per id), created for the run's principal."""
        for session in self.sessions:
            if session.session_id == session_id:
                return session
        session = AgentSession(session_id, max_items=max_items, owner=self.principal.id)
        self.sessions.append(session)
        return session

    async def turn_for(self, session: AgentSession) -> SessionTurn:
        turn = self.turns.get(session.session_id)
        if turn is None:
            turn = await self.stack.enter_async_context(
                session.turn(self.query, principal=self.principal)
            )
            self.turns[session.session_id] = turn
            if self.resumed is not None and session.session_id in self.resumed.paused.turns:
                # The paused turn's items so far (its user message first), after whatever
                # history is stored now: a turn that ran meanwhile comes before this one.
                turn.items = list(self.resumed.paused.turns.pop(session.session_id))
        return turn

    async def agent_input(
        self, session: AgentSession | None, input: RunInput | None, internal: bool
    ) -> tuple[RunInput, SessionABC | None]:
        """What an agent of the run is given, and the session it writes to (None: nothing).

        An agent with a session works on the run's turn: it sees the history and the turn so
        far, and its items join the turn; an `internal` (orchestration) agent gets the same
        conversation as explicit input and writes nothing. `input` replaces what it is given.
        """
        if session is None:
            return (input if input is not None else self.query), None
        turn = await self.turn_for(session)
        if internal:
            return (input if input is not None else turn.conversation()), None
        return (input if input is not None else list[TResponseInputItem]()), turn

    async def commit(self, answer: str) -> None:
        """The run succeeded: store every open turn with `answer` as its final answer."""
        for turn in self.turns.values():
            turn.set_answer(answer)
        await self.stack.aclose()
        await self.aclose()

    async def aclose(self) -> None:
        """Discard turns not committed, release the locks and the sessions' connections.

        Runs to its end even when the run is cancelled meanwhile (CancelledError afterwards):
        the next turn on the sessions can start at once.
        """
        if self.closed:
            return
        self.closed = True
        await run_to_end(self._release())

    async def _release(self) -> None:
        try:
            failed = RunFailed("the run did not finish; its turn is not stored")
            await self.stack.__aexit__(type(failed), failed, None)
        finally:
            for session in self.sessions:
                await session.aclose()
            self.sessions.clear()


class RunFailed(Exception):
    """Thrown into the open turns of a run that did not finish, so that they store nothing."""


current_run: ContextVar[OpenRun | None] = ContextVar("agents_core_run", default=None)
"""The run the current asyncio task works for (None outside a run)."""
