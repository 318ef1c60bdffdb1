"""The supervisor restarts crashed tasks and reports those that keep crashing."""

from __future__ import annotations

import asyncio

from headwind.adapters.metrics import Metrics
from headwind.app.supervisor import Supervisor

from ..waiting import eventually


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_crashed_task_is_restarted_and_counted() -> None:
    metrics = Metrics()
    supervisor = Supervisor(metrics, backoff_base=0.001, backoff_cap=0.01)
    runs: list[int] = []
    recovered = asyncio.Event()

    async def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("registry said no")
        recovered.set()
        await asyncio.Event().wait()

    supervisor.start("flaky", flaky)
    await asyncio.wait_for(recovered.wait(), 5)
    assert len(runs) == 3
    assert metrics.registry.get_sample_value("headwind_task_restarts_total", {"task": "flaky"}) == 2
    assert supervisor.running("flaky")
    assert supervisor.healthy
    await supervisor.stop_all()
    assert not supervisor.running("flaky")


async def test_a_task_that_keeps_crashing_turns_health_red_until_the_crashes_age_out() -> None:
    clock = Clock()
    supervisor = Supervisor(
        Metrics(), backoff_base=0.0001, backoff_cap=0.0001, crash_limit=3, crash_window=60, monotonic=clock
    )
    crashes: list[int] = []

    async def broken() -> None:
        crashes.append(1)
        raise ValueError("always")

    supervisor.start("broken", broken)
    await eventually(lambda: len(crashes) >= 3, what="three crashes")
    assert supervisor.failing() == ["broken"]
    await supervisor.stop("broken")
    clock.now = 120.0
    assert supervisor.healthy


async def test_cancelling_is_not_a_crash() -> None:
    metrics = Metrics()
    supervisor = Supervisor(metrics)
    started = asyncio.Event()

    async def waits() -> None:
        started.set()
        await asyncio.Event().wait()

    supervisor.start("waits", waits)
    await asyncio.wait_for(started.wait(), 5)
    await supervisor.stop("waits")
    assert metrics.registry.get_sample_value("headwind_task_restarts_total", {"task": "waits"}) is None
    assert supervisor.healthy


async def test_a_task_that_returns_is_finished_not_restarted() -> None:
    supervisor = Supervisor(Metrics())
    runs: list[int] = []

    async def once() -> None:
        runs.append(1)

    supervisor.start("once", once)
    await eventually(lambda: not supervisor.running("once"), what="the task to finish")
    assert runs == [1]
