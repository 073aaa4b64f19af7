"""Run eval cases through the orchestrator, concurrently (bounded), and score them."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from agents_core.core.runner import AgentRunner
from agents_core.evals.cases import EvalCase, EvalSuite
from agents_core.evals.matchers import NOT_RUN, check_answer, match_arguments
from agents_core.llm.selection import resolve_model, uses_offline_model
from agents_core.observability.run_log import token_usage
from agents_core.orchestrator import AgentOrchestrator, RoutingOrchestrator
from agents_core.session.agent_session import AgentSession


@dataclass
class CaseResult:
    suite: str
    case: str
    model: str
    repeat: int
    passed: bool
    failures: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    agent: str | None = None
    answer: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    latency_s: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SuiteResult:
    suite: EvalSuite
    model: str
    results: list[CaseResult]

    @property
    def score(self) -> float:
        return sum(r.passed for r in self.results) / len(self.results) if self.results else 1.0

    @property
    def passed(self) -> bool:
        return self.score >= self.suite.threshold


class _Verdict(BaseModel):
    passed: bool
    reason: str


async def run_suite(
    suite: EvalSuite,
    model: str,
    *,
    repeat: int = 1,
    concurrency: int = 4,
    progress: Callable[[CaseResult], None] | None = None,
) -> SuiteResult:
    """Every case of `suite` on `model` (`repeat` times), at most `concurrency` at once."""
    if repeat < 1 or concurrency < 1:
        raise ValueError("repeat and concurrency must be at least 1.")
    runner = AgentRunner(model=resolve_model(model))
    limit = asyncio.Semaphore(concurrency)

    async def one(case: EvalCase, attempt: int) -> CaseResult:
        async with limit:
            result = await run_case(suite, case, runner, model, attempt)
        if progress is not None:
            progress(result)
        return result

    results = await asyncio.gather(
        *(one(case, attempt) for attempt in range(1, repeat + 1) for case in suite.cases)
    )
    return SuiteResult(suite, model, list(results))


async def run_suites(
    suites: list[EvalSuite],
    models: list[str],
    *,
    repeat: int = 1,
    concurrency: int = 4,
    progress: Callable[[CaseResult], None] | None = None,
) -> list[SuiteResult]:
    """Each suite on each model (side by side when there are several)."""
    return [
        await run_suite(suite, model, repeat=repeat, concurrency=concurrency, progress=progress)
        for model in models
        for suite in suites
    ]


async def run_case(
    suite: EvalSuite, case: EvalCase, runner: AgentRunner, model: str, attempt: int = 1
) -> CaseResult:
    """One case: a fresh session (with the case's history), one run, then every check."""
    session_id = f"eval-{uuid.uuid4().hex}"
    if case.history:
        session = AgentSession(session_id)
        try:
            await session.add_items([dict(item) for item in case.history])  # type: ignore[misc]
        finally:
            await session.aclose()
    orchestrator: AgentOrchestrator
    if case.expected_agent is not None:
        orchestrator = RoutingOrchestrator(runner=runner)
    else:
        orchestrator = AgentOrchestrator(runner=runner, default_agent=suite.agent)
    result = CaseResult(suite.name, case.id, model, attempt, passed=False)
    counts: dict[str, int] = {}
    token = token_usage.set(counts)
    started = time.perf_counter()
    error: str | None = None
    agents_seen: list[str] = []
    try:
        async for event in orchestrator.stream(case.input, session_id=session_id):
            if event.type == "run_start":
                result.run_id = event.data.get("run_id")
            elif event.type == "agent_start" and event.agent:
                agents_seen.append(event.agent)
            elif event.type == "tool_call":
                result.tool_calls.append(
                    {"name": event.data.get("tool"), "arguments": event.data.get("arguments")}
                )
            elif event.type == "answer":
                result.answer = str(event.data.get("text", ""))
            elif event.type == "error":
                error = str(event.data.get("message"))
    finally:
        token_usage.reset(token)
    result.latency_s = time.perf_counter() - started
    result.input_tokens, result.output_tokens = counts.get("input", 0), counts.get("output", 0)
    specialists = [a for a in agents_seen if a not in _ORCHESTRATION_AGENTS]
    result.agent = specialists[-1] if specialists else (agents_seen[-1] if agents_seen else None)
    if error is not None:
        result.failures.append(f"run failed: {error}")
    else:
        await _score(case, result, model)
    result.passed = not result.failures
    return result


_ORCHESTRATION_AGENTS = frozenset({"intent_router", "planner", "synthesizer"})


async def _score(case: EvalCase, result: CaseResult, model: str) -> None:
    if case.expected_agent is not None and result.agent != case.expected_agent:
        result.failures.append(f"agent: expected {case.expected_agent}, got {result.agent}")
    for expected in case.tool_calls:
        calls = [call for call in result.tool_calls if call["name"] == expected.name]
        if not calls:
            made = ", ".join(str(c["name"]) for c in result.tool_calls) or "none"
            result.failures.append(f"tool {expected.name} not called (called: {made})")
            continue
        problems = [match_arguments(expected.arguments, _arguments(c)) for c in calls]
        if all(problems):
            result.failures.append(f"tool {expected.name}: {problems[0]}")
    judge = not uses_offline_model(model)
    for check in case.checks:
        problem = check_answer(check, result.answer, judge_available=judge)
        if check.kind == "judge" and judge:
            problem = await _judge(str(check.value), case.input, result.answer, model)
        if problem == NOT_RUN:
            result.not_run.append(f"judge: {check.value} (needs a real model)")
        elif problem:
            result.failures.append(f"{check.kind}: {problem}")


def _arguments(call: dict[str, Any]) -> dict[str, Any]:
    arguments = call.get("arguments")
    return arguments if isinstance(arguments, dict) else {}


async def _judge(rubric: str, question: str, answer: str, model: str) -> str | None:
    """An LLM judge on the same model: passes when the answer meets the rubric."""
    from agents import Agent, Runner

    judge = Agent(
        name="eval_judge",
        instructions=(
            "You grade an assistant's answer against a rubric. Reply with passed=true only if "
            "the answer meets every point of the rubric; give a one-sentence reason."
        ),
        model=resolve_model(model),
        output_type=_Verdict,
    )
    prompt = f"Question:\n{question}\n\nAnswer:\n{answer}\n\nRubric:\n{rubric}"
    verdict = (await Runner.run(judge, prompt)).final_output_as(_Verdict)
    return None if verdict.passed else f"judge: {verdict.reason}"
