"""The dispatcher decides about each queued object once at a time, records it, retries failures."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial

import pytest
from structlog.testing import capture_logs

from headwind.adapters.metrics import Metrics
from headwind.model.decisions import SEEN, Decision
from headwind.model.workloads import ObjectKey
from headwind.services.dispatcher import Decide, Dispatcher
from tests.waiting import eventually

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
A = ObjectKey("Deployment", "shop", "a")
B = ObjectKey("Deployment", "shop", "b")
C = ObjectKey("StatefulSet", "shop", "c")


def seen_decider(clock: Callable[[], datetime]) -> Decide:
    """A decider that records every object as seen: the dispatcher's mechanics, without policies."""

    async def decide(key: ObjectKey) -> Decision:
        return Decision(key, SEEN, "observed by the dispatcher", clock())

    return decide


def sample(metrics: Metrics, name: str) -> float:
    value = metrics.registry.get_sample_value(name)
    return 0.0 if value is None else value


def has_decided(dispatcher: Dispatcher, key: ObjectKey) -> bool:
    return any(decision.key == key for decision in dispatcher.recent)


def decided(dispatcher: Dispatcher, key: ObjectKey) -> list[Decision]:
    return [decision for decision in dispatcher.recent if decision.key == key]


@asynccontextmanager
async def running(dispatcher: Dispatcher) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(dispatcher.run(), name="dispatcher")
    try:
        yield task
    finally:
        await dispatcher.shutdown(grace=1.0)
        await asyncio.wait_for(task, 5)


async def test_an_enqueued_key_is_decided_as_seen_and_counted() -> None:
    metrics = Metrics()
    dispatcher = Dispatcher(seen_decider(lambda: NOW), metrics)

    async with running(dispatcher):
        assert dispatcher.enqueue(A)
        await eventually(lambda: bool(decided(dispatcher, A)), what="a decision about A")

    assert list(dispatcher.recent) == [Decision(A, SEEN, "observed by the dispatcher", NOW)]
    assert sample(metrics, "headwind_dispatcher_items_processed_total") == 1
    assert sample(metrics, "headwind_dispatcher_latency_seconds_count") == 1
    assert sample(metrics, "headwind_reconcile_duration_seconds_count") == 1
    assert sample(metrics, "headwind_dispatcher_queue_depth") == 0


async def test_workers_are_named_tasks() -> None:
    dispatcher = Dispatcher(seen_decider(lambda: NOW), Metrics(), workers=3)

    async with running(dispatcher):
        await eventually(
            lambda: (
                {t.get_name() for t in asyncio.all_tasks()}
                >= {"dispatcher-worker-0", "dispatcher-worker-1", "dispatcher-worker-2"}
            ),
            what="three named workers",
        )


async def test_the_queue_depth_gauge_counts_waiting_keys() -> None:
    metrics = Metrics()
    dispatcher = Dispatcher(seen_decider(lambda: NOW), metrics)

    dispatcher.enqueue(A)
    dispatcher.enqueue(B)
    dispatcher.enqueue(A)

    assert sample(metrics, "headwind_dispatcher_queue_depth") == 2
    async with running(dispatcher):
        await eventually(lambda: sample(metrics, "headwind_dispatcher_queue_depth") == 0, what="empty queue")


async def test_history_keeps_only_the_latest_decisions() -> None:
    dispatcher = Dispatcher(seen_decider(lambda: NOW), Metrics(), history=2)

    async with running(dispatcher):
        for key in (A, B, C):
            dispatcher.enqueue(key)
            await eventually(partial(has_decided, dispatcher, key), what=f"a decision about {key}")

    assert [decision.key for decision in dispatcher.recent] == [B, C]


async def test_a_slow_decision_about_one_key_does_not_stall_the_others() -> None:
    started_a = asyncio.Event()
    release_a = asyncio.Event()
    seen = seen_decider(lambda: NOW)

    async def decide(key: ObjectKey) -> Decision:
        if key == A:
            started_a.set()
            await release_a.wait()
        return await seen(key)

    dispatcher = Dispatcher(decide, Metrics(), workers=2)
    async with running(dispatcher):
        dispatcher.enqueue(A)
        await asyncio.wait_for(started_a.wait(), 5)
        dispatcher.enqueue(B)
        dispatcher.enqueue(C)

        await eventually(lambda: bool(decided(dispatcher, B) and decided(dispatcher, C)), what="B and C")
        assert not decided(dispatcher, A)

        release_a.set()
        await eventually(lambda: bool(decided(dispatcher, A)), what="A once released")


async def test_a_key_enqueued_while_being_decided_is_decided_again_afterwards_never_concurrently() -> None:
    gate = asyncio.Event()
    first_started = asyncio.Event()
    calls: Counter[ObjectKey] = Counter()
    active: Counter[ObjectKey] = Counter()
    most: Counter[ObjectKey] = Counter()
    seen = seen_decider(lambda: NOW)

    async def decide(key: ObjectKey) -> Decision:
        calls[key] += 1
        active[key] += 1
        most[key] = max(most[key], active[key])
        try:
            if key == A and calls[A] == 1:
                first_started.set()
                await gate.wait()
            return await seen(key)
        finally:
            active[key] -= 1

    dispatcher = Dispatcher(decide, Metrics(), workers=4)
    async with running(dispatcher):
        dispatcher.enqueue(A)
        await asyncio.wait_for(first_started.wait(), 5)
        for _ in range(3):
            assert dispatcher.enqueue(A)
        dispatcher.enqueue(B)
        await eventually(lambda: bool(decided(dispatcher, B)), what="B, proof the idle workers run")
        assert calls[A] == 1, "a key in flight was handed to a second worker"
        assert len(dispatcher.queue) == 1, "the three re-adds coalesce into one"

        gate.set()
        await eventually(lambda: len(decided(dispatcher, A)) == 2, what="A decided again")

    assert calls[A] == 2
    assert most[A] == 1


async def test_a_full_queue_refuses_keys() -> None:
    dispatcher = Dispatcher(seen_decider(lambda: NOW), Metrics(), queue_size=2)

    assert dispatcher.enqueue(A)
    assert dispatcher.enqueue(B)
    assert dispatcher.enqueue(A)
    assert not dispatcher.enqueue(C)


async def test_a_failing_decision_is_logged_counted_and_retried_until_it_succeeds() -> None:
    metrics = Metrics()
    seen = seen_decider(lambda: NOW)
    calls: Counter[ObjectKey] = Counter()

    async def decide(key: ObjectKey) -> Decision:
        calls[key] += 1
        if calls[key] <= 2:
            raise RuntimeError("registry unreachable")
        return await seen(key)

    dispatcher = Dispatcher(decide, metrics, retry_base=0.001, retry_cap=0.002)
    with capture_logs() as logs:
        async with running(dispatcher):
            dispatcher.enqueue(A)
            await eventually(lambda: bool(decided(dispatcher, A)), what="A decided after retries")

    assert calls[A] == 3
    assert sample(metrics, "headwind_dispatcher_items_failed_total") == 2
    assert sample(metrics, "headwind_reconcile_errors_total") == 2
    assert sample(metrics, "headwind_dispatcher_items_processed_total") == 1
    assert sample(metrics, "headwind_reconcile_duration_seconds_count") == 3
    assert sample(metrics, "headwind_dispatcher_latency_seconds_count") == 1, "one piece of work finished"
    assert dispatcher.queue.attempts(A) == 0, "success resets the backoff"
    failures = [entry for entry in logs if entry["log_level"] == "error"]
    assert [entry["attempt"] for entry in failures] == [1, 2]
    for entry in failures:
        assert (entry["kind"], entry["namespace"], entry["name"]) == ("Deployment", "shop", "a")
        assert entry["exc_info"] is True


async def test_shutdown_decides_everything_queued_within_the_grace_period() -> None:
    seen = seen_decider(lambda: NOW)

    async def decide(key: ObjectKey) -> Decision:
        await asyncio.sleep(0)
        return await seen(key)

    dispatcher = Dispatcher(decide, Metrics(), workers=2)
    keys = [ObjectKey("Deployment", "shop", f"app-{i}") for i in range(20)]
    for key in keys:
        dispatcher.enqueue(key)
    run = asyncio.create_task(dispatcher.run())

    assert await dispatcher.shutdown(grace=5.0)

    assert {decision.key for decision in dispatcher.recent} == set(keys)
    assert not dispatcher.accepting
    assert not dispatcher.enqueue(A)
    await asyncio.wait_for(run, 5)


async def test_shutdown_reports_not_drained_when_a_decision_outlasts_the_grace_period() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def decide(key: ObjectKey) -> Decision:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        raise AssertionError("unreachable")

    dispatcher = Dispatcher(decide, Metrics())
    run = asyncio.create_task(dispatcher.run())
    dispatcher.enqueue(A)
    await asyncio.wait_for(started.wait(), 5)

    assert not await dispatcher.shutdown(grace=0.05)

    assert cancelled.is_set(), "the stuck decision is cancelled after the grace period"
    await asyncio.wait_for(run, 5)
    assert dispatcher.queue.in_flight == 0


async def test_cancelling_run_stops_the_workers() -> None:
    dispatcher = Dispatcher(seen_decider(lambda: NOW), Metrics(), workers=2)
    run = asyncio.create_task(dispatcher.run())
    await eventually(
        lambda: any(t.get_name() == "dispatcher-worker-1" for t in asyncio.all_tasks()), what="workers"
    )

    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    assert not any(t.get_name().startswith("dispatcher-worker-") for t in asyncio.all_tasks())


def test_a_decision_needs_a_timezone_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Decision(A, SEEN, "observed", datetime(2024, 5, 1, 12, 0))
    assert str(Decision(A, SEEN, "observed", NOW)) == "Deployment shop/a: seen (observed)"
