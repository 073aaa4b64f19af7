"""Limits per principal: the usage counters on each backend, and the orchestrator's checks.

Every test runs on each session backend the project was made for (`backend_url`): the counters
live in the session store, where every process sees them.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from agents.tracing import set_trace_processors, set_tracing_disabled
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agents_core import (
    AgentDefinition,
    AgentOrchestrator,
    AgentRunner,
    LimitExceeded,
    OfflineModel,
    Principal,
    register_agent,
    register_tool,
)
from agents_core.approvals import PendingApproval
from agents_core.config import Settings, get_settings
from agents_core.limits import admit, open_usage_store, record_tokens, usage_of
from agents_core.limits.limiter import day_reset, day_window, minute_window
from agents_core.observability import RUN_LOGGER, OpenTelemetryProcessor
from agents_core.observability.otel_processor import RunIdGenerator
from agents_core.session import AgentSession
from tests.clock import within_one_minute

pytestmark = pytest.mark.usefixtures("backend_url")

NOON = datetime(2026, 12, 7, 12, 0, 30, tzinfo=UTC).timestamp()
"""30 s into a minute, 12 h before midnight UTC."""


def someone(name: str) -> Principal:
    """A principal no other test (or earlier run on the same server) uses."""
    return Principal(f"{name}-{uuid.uuid4().hex[:12]}")


def limit(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


async def tokens_today(principal: Principal) -> int:
    return (await usage_of(principal)).tokens_today


# -- the counters (one contract, every backend) ------------------------------------------------


async def test_counters_add_atomically_across_stores() -> None:
    """100 increments from 10 stores at once (10 connections, as 10 processes would) lose none."""
    alice = someone("alice")
    stores = [open_usage_store() for _ in range(10)]
    try:
        results = await asyncio.gather(
            *(stores[i % 10].add(alice.id, "m:1", 1, 120) for i in range(100))
        )
        assert sorted(results) == list(range(1, 101))  # every increment saw its own value
        assert await stores[0].read(alice.id, ["m:1", "m:2"]) == [100, 0]
    finally:
        for store in stores:
            await store.aclose()


async def test_counters_are_per_principal_and_per_window() -> None:
    alice, bob = someone("alice"), someone("bob")
    # An id holding `:` (allowed) cannot reach another principal's counter.
    tricky = Principal(f"{alice.id}:m:1")
    store = open_usage_store()
    try:
        assert await store.add(alice.id, "m:1", 3, 120) == 3
        assert await store.add(alice.id, "d:2026-12-07", 500, 3600) == 500
        assert await store.add(bob.id, "m:1", 1, 120) == 1
        assert await store.add(tricky.id, "m:1", 7, 120) == 7
        assert await store.read(alice.id, ["m:1", "d:2026-12-07", "m:2"]) == [3, 500, 0]
        assert await store.read(bob.id, ["m:1", "d:2026-12-07"]) == [1, 0]
    finally:
        await store.aclose()


async def test_expired_windows_are_deleted_as_new_ones_are_counted() -> None:
    alice = someone("alice")
    store = open_usage_store()
    try:
        await store.add(alice.id, "m:1", 5, -1)  # already past its keep time
        await store.add(alice.id, "m:2", 1, 120)
        assert await store.read(alice.id, ["m:1", "m:2"]) == [0, 1]
    finally:
        await store.aclose()


# -- admit(): the policy -------------------------------------------------------------------------


async def test_unlimited_by_default_but_counted() -> None:
    settings = Settings()
    assert settings.rate_limit_per_minute is None
    assert settings.token_budget_per_day is None
    alice = someone("alice")
    for _ in range(5):
        await admit(alice, now=NOON)
    usage = await usage_of(alice, now=NOON)
    assert (usage.requests_this_minute, usage.request_limit, usage.token_budget) == (5, None, None)


@pytest.mark.parametrize("value", ["", "0"])
def test_empty_or_zero_means_unlimited(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    limit(monkeypatch, RATE_LIMIT_PER_MINUTE=value, TOKEN_BUDGET_PER_DAY=value)
    assert (Settings().rate_limit_per_minute, Settings().token_budget_per_day) == (None, None)


@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_a_bad_limit_is_refused_with_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    limit(monkeypatch, RATE_LIMIT_PER_MINUTE=value)
    with pytest.raises(ValueError, match="rate_limit_per_minute"):
        Settings()


async def test_requests_per_minute_per_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, RATE_LIMIT_PER_MINUTE="3")
    alice, bob = someone("alice"), someone("bob")
    for _ in range(3):
        await admit(alice, now=NOON)
    with pytest.raises(LimitExceeded) as refused:
        await admit(alice, now=NOON + 10)
    error = refused.value
    assert (error.kind, error.limit, error.used, error.principal_id) == ("requests", 3, 4, alice.id)
    assert error.retry_after == 20  # 40 s into the minute
    assert "RATE_LIMIT_PER_MINUTE" in str(error)
    assert "Retry in 20 s" in str(error)
    await admit(bob, now=NOON + 10)  # bob has his own count
    await admit(alice, now=NOON + 30)  # the next minute
    assert pickle.loads(pickle.dumps(error)).retry_after == 20  # crosses process boundaries


async def test_token_budget_refuses_until_midnight_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    limit(monkeypatch, TOKEN_BUDGET_PER_DAY="100")
    alice = someone("alice")
    await admit(alice, now=NOON)
    assert await record_tokens(alice, 60, now=NOON) == 60
    await admit(alice, now=NOON)  # 60 < 100: allowed, even if this run passes the budget
    assert await record_tokens(alice, 60, now=NOON) == 120
    with pytest.raises(LimitExceeded) as refused:
        await admit(alice, now=NOON)
    assert (refused.value.kind, refused.value.used, refused.value.limit) == ("tokens", 120, 100)
    assert refused.value.retry_after == 12 * 3600 - 30
    assert day_reset(NOON) - NOON == 12 * 3600 - 30
    await admit(alice, now=day_reset(NOON))  # a new UTC day
    await admit(someone("bob"), now=NOON)


def test_windows_are_calendar_minutes_and_utc_days() -> None:
    assert minute_window(NOON) == minute_window(NOON - 30) != minute_window(NOON + 30)
    assert day_window(NOON) == "d:2026-12-07"
    assert day_window(day_reset(NOON)) == "d:2026-12-08"


# -- the orchestrator: every door inherits it ---------------------------------------------------


async def test_a_run_over_the_limit_is_refused_before_any_model_call(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    limit(monkeypatch, RATE_LIMIT_PER_MINUTE="2")
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    orchestrator = AgentOrchestrator(runner=AgentRunner(model=OfflineModel()))

    async def scenario() -> None:
        caplog.clear()
        alice, bob = someone("alice"), someone("bob")
        for _ in range(2):
            await orchestrator.run("What is 2 + 2?", principal=alice)
        spent = await tokens_today(alice)
        assert spent > 0
        session_id = uuid.uuid4().hex
        with pytest.raises(LimitExceeded) as refused:
            await orchestrator.run("What is 3 + 3?", principal=alice, session_id=session_id)
        assert refused.value.kind == "requests"
        assert 1 <= refused.value.retry_after <= 60
        assert await tokens_today(alice) == spent  # no model was called
        async with AgentSession(session_id) as session:
            assert await session.get_items() == []  # nothing stored
        runs = [getattr(r, "fields", {}) for r in caplog.records if r.name == RUN_LOGGER]
        assert len([r for r in runs if r.get("event") == "run"]) == 2  # the refused one: none
        result = await orchestrator.run("What is 3 + 3?", principal=bob)
        assert "6" in result["result"]

    await within_one_minute(scenario)


async def test_a_stream_over_the_limit_raises_before_its_first_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limit(monkeypatch, RATE_LIMIT_PER_MINUTE="1")
    orchestrator = AgentOrchestrator(runner=AgentRunner(model=OfflineModel()))

    async def scenario() -> None:
        alice = someone("alice")
        events = [event.type async for event in orchestrator.stream("Hi", principal=alice)]
        assert (events[0], events[-1]) == ("run_start", "done")
        spent = await tokens_today(alice)
        stream = orchestrator.stream("Hi again", principal=alice)
        with pytest.raises(LimitExceeded):
            await anext(stream)
        assert await tokens_today(alice) == spent

    await within_one_minute(scenario)


async def test_a_runs_tokens_are_counted_logged_and_on_its_span(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=RUN_LOGGER)
    runner = AgentRunner(model=OfflineModel())  # configures tracing first
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=RunIdGenerator())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    set_trace_processors([OpenTelemetryProcessor(provider)])
    set_tracing_disabled(False)
    try:
        alice = someone("alice")
        await AgentOrchestrator(runner=runner).run("What is 2 + 2?", principal=alice)
    finally:
        set_trace_processors([])
        set_tracing_disabled(True)
    finished = exporter.get_finished_spans()
    chats = [span.attributes or {} for span in finished if span.name.startswith("chat ")]
    inputs = sum(int(str(chat["gen_ai.usage.input_tokens"])) for chat in chats)
    outputs = sum(int(str(chat["gen_ai.usage.output_tokens"])) for chat in chats)
    assert inputs > 0
    assert outputs > 0
    root = next(span for span in finished if span.name.startswith("invoke_workflow"))
    assert root.attributes is not None
    assert root.attributes["gen_ai.usage.input_tokens"] == inputs
    assert root.attributes["gen_ai.usage.output_tokens"] == outputs
    lines = [getattr(r, "fields", {}) for r in caplog.records if r.name == RUN_LOGGER]
    (line,) = [fields for fields in lines if fields["event"] == "run"]
    assert (line["input_tokens"], line["output_tokens"]) == (inputs, outputs)
    assert line["total_tokens"] == inputs + outputs
    assert f"total_tokens={inputs + outputs}" in caplog.records[-1].getMessage()
    assert await tokens_today(alice) == inputs + outputs


async def test_the_offline_model_reports_deterministic_usage() -> None:
    """One token per whitespace-separated word of the input and of the output."""
    counts = []
    for _ in range(2):
        alice = someone("alice")
        await AgentOrchestrator(runner=AgentRunner(model=OfflineModel())).run(
            "What is 2 + 2?", principal=alice
        )
        counts.append(await tokens_today(alice))
    assert counts[0] == counts[1] > 5


async def test_the_token_budget_refuses_the_next_run(monkeypatch: pytest.MonkeyPatch) -> None:
    alice = someone("alice")
    orchestrator = AgentOrchestrator(runner=AgentRunner(model=OfflineModel()))
    await orchestrator.run("What is 2 + 2?", principal=alice)
    spent = await tokens_today(alice)
    limit(monkeypatch, TOKEN_BUDGET_PER_DAY=str(spent))
    with pytest.raises(LimitExceeded) as refused:
        await orchestrator.run("What is 2 + 2?", principal=alice)
    assert refused.value.kind == "tokens"
    assert refused.value.used == spent
    assert await tokens_today(alice) == spent
    await orchestrator.run("What is 2 + 2?", principal=someone("bob"))


@pytest.fixture
def janitor() -> None:
    """An agent whose `delete_file` tool always needs approval."""

    @register_tool(category="files", needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file's path
        """
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )


@pytest.mark.usefixtures("janitor")
async def test_deciding_an_approval_counts_and_is_refused_before_it_is_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limit(monkeypatch, RATE_LIMIT_PER_MINUTE="1")
    orchestrator = AgentOrchestrator(default_agent="janitor")
    alice = someone("alice")
    pending: PendingApproval | None = None

    async def scenario() -> None:
        nonlocal alice, pending
        alice = someone("alice")
        pending = await orchestrator.run("delete file notes.txt", principal=alice)
        assert isinstance(pending, PendingApproval)
        with pytest.raises(LimitExceeded):
            await orchestrator.approve(pending.run_id, pending.approval_id, principal=alice)

    await within_one_minute(scenario)
    assert pending is not None
    limit(monkeypatch, RATE_LIMIT_PER_MINUTE="")
    # Still pending: the refused decision was not recorded, so it can be made now.
    outcome = await orchestrator.approve(pending.run_id, pending.approval_id, principal=alice)
    assert "deleted" in outcome["result"]
    assert (await usage_of(alice)).requests_this_minute >= 3


@pytest.fixture(autouse=True)
def _no_tracing_leak() -> Iterator[None]:
    yield
    set_trace_processors([])
