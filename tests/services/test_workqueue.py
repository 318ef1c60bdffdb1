"""The work queue keeps client-go's promises: coalescing, one in flight per key, bounded, backoff."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from headwind.services.workqueue import QueueShutDown, WorkQueue


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def yield_to_the_loop(times: int = 10) -> None:
    """Let every ready task run (sleep(0) yields; it does not wait)."""
    for _ in range(times):
        await asyncio.sleep(0)


async def test_adding_a_key_that_is_already_waiting_is_a_no_op() -> None:
    queue: WorkQueue[str] = WorkQueue()

    assert queue.add("a")
    assert queue.add("b")
    assert queue.add("a")

    assert len(queue) == 2
    assert [await queue.get(), await queue.get()] == ["a", "b"]
    assert len(queue) == 0


async def test_a_key_added_while_in_flight_is_handed_out_again_only_after_done() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    assert await queue.get() == "a"

    assert queue.add("a")
    assert queue.add("a")
    second = asyncio.create_task(queue.get())
    await yield_to_the_loop()
    assert not second.done(), "a key in flight was handed to a second worker"
    assert len(queue) == 1

    queue.done("a")
    assert await asyncio.wait_for(second, 5) == "a"
    queue.done("a")
    assert len(queue) == 0 and queue.in_flight == 0


async def test_workers_never_hold_one_key_concurrently_under_churn() -> None:
    queue: WorkQueue[str] = WorkQueue()
    keys = ["a", "b", "c"]
    active: Counter[str] = Counter()
    most: Counter[str] = Counter()
    processed: Counter[str] = Counter()
    chooser = random.Random(3)

    async def worker() -> None:
        while True:
            try:
                key = await queue.get()
            except QueueShutDown:
                return
            active[key] += 1
            most[key] = max(most[key], active[key])
            await yield_to_the_loop(chooser.randint(0, 3))
            active[key] -= 1
            processed[key] += 1
            queue.done(key)

    workers = [asyncio.create_task(worker()) for _ in range(4)]
    for _ in range(300):
        queue.add(chooser.choice(keys))
        await yield_to_the_loop(chooser.randint(0, 2))
    queue.shutdown()
    await asyncio.wait_for(asyncio.gather(*workers), 5)

    assert all(most[key] == 1 for key in keys), most
    assert all(processed[key] > 1 for key in keys), processed


async def test_a_full_queue_refuses_new_keys_but_still_coalesces_waiting_ones() -> None:
    queue: WorkQueue[str] = WorkQueue(maxsize=2)
    assert queue.add("a")
    assert queue.add("b")

    assert not queue.add("c")
    assert queue.add("a"), "a key already waiting is accepted even when the queue is full"
    assert queue.add_after("b", 60)
    assert not queue.add_after("c", 60)
    assert len(queue) == 2

    assert await queue.get() == "a"
    assert queue.add("c"), "a key in flight no longer takes a place in the queue"
    assert not queue.add("d")


async def test_keys_waiting_for_a_delay_take_a_place_in_the_queue() -> None:
    queue: WorkQueue[str] = WorkQueue(maxsize=1)
    assert queue.add_after("a", 60)
    assert not queue.add("b")
    queue.shutdown()


async def test_retry_backoff_doubles_up_to_the_cap_and_forget_resets_it() -> None:
    queue: WorkQueue[str] = WorkQueue(retry_base=0.001, retry_cap=0.004, jitter=lambda: 1.0)
    queue.add("a")
    await queue.get()

    delays = [queue.retry("a") for _ in range(5)]

    assert delays == pytest.approx([0.001, 0.002, 0.004, 0.004, 0.004])
    assert queue.attempts("a") == 5
    queue.forget("a")
    assert queue.attempts("a") == 0
    assert queue.retry("a") == pytest.approx(0.001)
    queue.shutdown()


async def test_retry_delays_are_fully_jittered_below_the_ceiling() -> None:
    draws = iter([0.5, 0.25, 0.0])
    queue: WorkQueue[str] = WorkQueue(retry_base=1.0, retry_cap=8.0, jitter=lambda: next(draws))
    queue.add("a")
    await queue.get()

    assert [queue.retry("a") for _ in range(3)] == pytest.approx([0.5, 0.5, 0.0])
    queue.shutdown()


def test_the_backoff_ceiling_stays_finite_after_very_many_failures() -> None:
    queue: WorkQueue[str] = WorkQueue(retry_base=0.5, retry_cap=300.0)
    assert queue.backoff(10_000) == 300.0


async def test_a_retried_key_comes_back_after_its_backoff() -> None:
    queue: WorkQueue[str] = WorkQueue(retry_base=0.001, retry_cap=0.001, jitter=lambda: 1.0)
    queue.add("a")
    await queue.get()

    queue.retry("a")
    assert queue.done("a") is None, "work scheduled for a retry is not finished"
    assert len(queue) == 0 and queue.scheduled == 1

    assert await asyncio.wait_for(queue.get(), 5) == "a"
    assert queue.done("a") is not None


async def test_add_after_queues_the_key_once_its_delay_has_passed() -> None:
    queue: WorkQueue[str] = WorkQueue()
    assert queue.add_after("a", 0.001)
    assert len(queue) == 0 and queue.scheduled == 1

    assert await asyncio.wait_for(queue.get(), 5) == "a"
    assert queue.scheduled == 0


async def test_an_immediate_add_supersedes_a_delayed_one() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("a", 60)

    assert queue.add("a")
    assert len(queue) == 1 and queue.scheduled == 0
    assert await queue.get() == "a"
    queue.done("a")
    assert len(queue) == 0 and queue.scheduled == 0


async def test_add_after_a_key_already_waiting_is_a_no_op() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")

    assert queue.add_after("a", 60)
    assert len(queue) == 1 and queue.scheduled == 0


async def test_after_shutdown_waiting_keys_are_handed_out_then_get_raises() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.add("b")
    queue.add_after("c", 60)

    queue.shutdown()

    assert not queue.add("d")
    assert not queue.add_after("d", 1)
    assert queue.scheduled == 0, "keys scheduled for later are dropped at shutdown"
    assert [await queue.get(), await queue.get()] == ["a", "b"]
    with pytest.raises(QueueShutDown):
        await queue.get()


async def test_shutdown_wakes_idle_workers_with_queue_shut_down() -> None:
    queue: WorkQueue[str] = WorkQueue()
    waiting = [asyncio.create_task(queue.get()) for _ in range(3)]
    await yield_to_the_loop()

    queue.shutdown()

    for task in waiting:
        with pytest.raises(QueueShutDown):
            await asyncio.wait_for(task, 5)


async def test_a_key_re_added_in_flight_before_shutdown_is_still_handed_out() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    await queue.get()
    queue.add("a")
    queue.shutdown()
    other = asyncio.create_task(queue.get())
    await yield_to_the_loop()
    assert not other.done()

    queue.done("a")

    assert await asyncio.wait_for(other, 5) == "a"
    queue.done("a")
    with pytest.raises(QueueShutDown):
        await queue.get()


async def test_drain_waits_for_work_in_flight_and_times_out_otherwise() -> None:
    queue: WorkQueue[str] = WorkQueue()
    assert await queue.drain(0), "an empty queue is drained"
    queue.add("a")
    await queue.get()

    assert not await queue.drain(0.01)

    draining = asyncio.create_task(queue.drain(5))
    await yield_to_the_loop()
    queue.done("a")
    assert await draining


async def test_done_reports_the_latency_from_first_enqueue_of_each_piece_of_work() -> None:
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(clock=clock, jitter=lambda: 0.0)
    queue.add("a")
    clock.now = 1.0
    await queue.get()
    clock.now = 2.0
    queue.add("a")  # new work, asked for while the first is in flight
    clock.now = 3.0

    assert queue.done("a") == 3.0
    await queue.get()
    clock.now = 5.0
    assert queue.done("a") == 3.0

    clock.now = 10.0
    queue.add("b")
    await queue.get()
    queue.retry("b")  # zero jitter: due again at once
    assert queue.done("b") is None
    clock.now = 15.0
    queue.add("b")  # coalesces with the retry; the first enqueue still counts
    await queue.get()
    clock.now = 20.0
    assert queue.done("b") == 10.0


async def test_done_for_a_key_not_in_flight_reports_nothing() -> None:
    queue: WorkQueue[str] = WorkQueue()
    assert queue.done("never-handed-out") is None
