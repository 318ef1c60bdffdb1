"""Supervised tasks: restart what crashes, and say so when something cannot be kept alive.

Headwind (Rust) ends the whole process when any of its tasks ends, so one bad response from a
registry can restart the pod. Here every long-running piece is a named task under a supervisor:
a crash is logged with its traceback and the task is restarted after a capped exponential
backoff with full jitter (so replicas do not retry in lock-step). A task that keeps crashing —
``crash_limit`` crashes within ``crash_window`` seconds — turns :attr:`Supervisor.healthy` false;
liveness reports that, and Kubernetes restarts the pod, which is the right remedy for a process
whose state went bad. Cancellation is never treated as a crash.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from headwind.adapters.metrics import Metrics

log = structlog.get_logger(__name__)

TaskFactory = Callable[[], Awaitable[None]]


@dataclass
class _Supervised:
    name: str
    factory: TaskFactory
    task: asyncio.Task[None] | None = None
    crashes: deque[float] = field(default_factory=deque)
    finished: bool = False


class Supervisor:
    """Runs named tasks and restarts them when they crash."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        crash_limit: int = 5,
        crash_window: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metrics = metrics
        self._base = backoff_base
        self._cap = backoff_cap
        self._limit = crash_limit
        self._window = crash_window
        self._monotonic = monotonic
        self._tasks: dict[str, _Supervised] = {}

    def start(self, name: str, factory: TaskFactory) -> None:
        """Run ``factory()`` as task ``name``, again after each crash, until stopped."""
        if name in self._tasks and not self._tasks[name].finished:
            raise ValueError(f"a supervised task named {name!r} is already running")
        supervised = _Supervised(name, factory)
        self._tasks[name] = supervised
        supervised.task = asyncio.create_task(self._keep_alive(supervised), name=name)

    async def _keep_alive(self, supervised: _Supervised) -> None:
        attempt = 0
        while True:
            try:
                await supervised.factory()
            except asyncio.CancelledError:
                raise
            except Exception:
                attempt += 1
                self._record_crash(supervised)
                delay = random.uniform(0, min(self._cap, self._base * 2 ** (attempt - 1)))
                log.exception(
                    "task crashed; restarting", task=supervised.name, attempt=attempt, delay=round(delay, 2)
                )
                await asyncio.sleep(delay)
                continue
            supervised.finished = True
            log.info("task finished", task=supervised.name)
            return

    def _record_crash(self, supervised: _Supervised) -> None:
        now = self._monotonic()
        supervised.crashes.append(now)
        while supervised.crashes and supervised.crashes[0] < now - self._window:
            supervised.crashes.popleft()
        self._metrics.task_restarts.labels(task=supervised.name).inc()

    def failing(self) -> list[str]:
        """Tasks that crashed ``crash_limit`` times within the window: why liveness is red."""
        now = self._monotonic()
        return sorted(
            name
            for name, supervised in self._tasks.items()
            if sum(1 for crash in supervised.crashes if crash >= now - self._window) >= self._limit
        )

    @property
    def healthy(self) -> bool:
        return not self.failing()

    def running(self, name: str) -> bool:
        supervised = self._tasks.get(name)
        return supervised is not None and supervised.task is not None and not supervised.task.done()

    async def stop(self, name: str) -> None:
        """Cancel one task and wait for it to finish its cleanup."""
        supervised = self._tasks.pop(name, None)
        if supervised is None or supervised.task is None:
            return
        supervised.task.cancel()
        await asyncio.gather(supervised.task, return_exceptions=True)

    async def stop_all(self) -> None:
        for name in list(self._tasks):
            await self.stop(name)
