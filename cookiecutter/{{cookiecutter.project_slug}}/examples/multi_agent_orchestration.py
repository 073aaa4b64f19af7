"""Code orchestration: a planner picks the agents, each runs, a synthesizer answers.

Run it with `uv run python examples/multi_agent_orchestration.py "your question"`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from agents_core import AgentOrchestrator, PlanOutput, PlanStep
from agents_core.services import read_structured_output, validate_plan


class PlanningOrchestrator(AgentOrchestrator):
    """planner -> each planned agent in order -> synthesizer."""

    async def execute(self, user_query: str, context_data: dict[str, Any]) -> dict[str, Any]:
        session = self.setup_session()
        context = self.setup_context(**context_data)
        plan_output = await read_structured_output(
            self.run_agent("planner", session, context), agent="planner", fallback="assistant"
        )
        if plan_output is None:  # the model's plan could not be read: one step, the assistant
            plan_output = PlanOutput(
                steps=[PlanStep(agent="assistant", task=user_query)], rationale="fallback"
            )
        assert isinstance(plan_output, PlanOutput)
        plan = validate_plan(plan_output, max_steps=3)
        for step in plan.steps:
            await self.run_agent(step.agent, session, context)
        answer = await self.run_agent("synthesizer", session, context, final=True)
        return {"success": True, "plan": plan.agents, "result": answer}


async def main(question: str) -> None:
    orchestrator = PlanningOrchestrator()
    async for event in orchestrator.stream(question):
        if event.type in ("agent_start", "tool_call", "tool_result", "answer", "error"):
            print(f"[{event.type}] {event.agent or ''} {event.data}")


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "What is 12 * (3 + 4)?"))
