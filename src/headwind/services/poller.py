"""Registry polling: check each polled repository when it is due, and tell the dispatcher what changed.

Headwind polled with one global sleep after a sequential cycle, only Deployments, one client and
token cache per image, and re-emitted the same event on alternate cycles. Here:

* **A scheduler of due times.** Each repository is due ``interval * (1 +- jitter)`` after its last
  check, where ``interval`` is the smallest ``headwind.sh/polling-interval`` among the containers
  running it (else ``HEADWIND_POLLING_INTERVAL``), so a 60 s workload is checked every ~60 s
  whatever the global interval, and a fresh random factor per check keeps thousands of repositories
  from being checked in lock-step. A repository seen for the first time is due at once (spread
  over the jitter window). The loop sleeps until the next due time, or until a workload changes.
* **Independent checks.** Each due repository is checked in its own task
  (:class:`~headwind.services.repository_check.RepositoryChecker`), at most
  :data:`MAX_REPOSITORIES_IN_FLIGHT` at once, and never twice at the same time: a registry that
  hangs or throttles delays its own repositories, not everyone's. A check that fails, even
  unexpectedly, is counted and logged, and its repository is due again one interval later.
* **Change, not repetition.** Results go into the :class:`~headwind.services.catalog.TagCatalog`;
  the workloads are queued for the dispatcher only when their repository shows new tags or their
  tag new content. A workload the dispatcher's full queue refused is queued again next round.

The poller runs only on the leader, beside the dispatcher's workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import structlog

from headwind.adapters.metrics import Metrics
from headwind.model.workloads import ObjectKey, Workload

from .catalog import TagCatalog
from .repository_check import CheckReport, PullSecretsSource, Registry, RepositoryChecker
from .subscriptions import Planner, Subscription

log = structlog.get_logger(__name__)

MIN_ROUND_GAP = 0.05
"""Seconds between the starts of two rounds at least, so a burst of workload changes cannot spin."""

MAX_REPOSITORIES_IN_FLIGHT = 32
"""Repositories checked at once; the registry client's own per-registry limits apply beneath."""

RoundReport = CheckReport
"""What one round did (the sum of its checks)."""


@dataclass
class _Schedule:
    last: float
    factor: float


class Poller:
    """See the module docstring."""

    def __init__(
        self,
        workloads: Callable[[], Iterable[Workload]],
        registry: Registry,
        secrets: PullSecretsSource,
        catalog: TagCatalog,
        enqueue: Callable[[ObjectKey], bool],
        metrics: Metrics,
        *,
        interval: float,
        jitter: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._workloads = workloads
        self._checker = RepositoryChecker(registry, secrets, catalog, metrics)
        self._catalog = catalog
        self._enqueue = enqueue
        self._metrics = metrics
        self._interval = interval
        self._jitter = jitter
        self._clock = clock
        self._rng = rng
        self._planner = Planner(interval)
        self._schedules: dict[str, _Schedule] = {}
        self._intervals: dict[str, float] = {}
        """Each planned repository's interval, as of the last round."""
        self._in_flight: dict[str, asyncio.Task[CheckReport]] = {}
        self._limit = asyncio.Semaphore(MAX_REPOSITORIES_IN_FLIGHT)
        self._unqueued: set[ObjectKey] = set()
        """Keys the dispatcher's queue refused; offered again every round until taken."""
        self._changed = asyncio.Event()

    def workloads_changed(self, *_: object) -> None:
        """Informer handler: re-plan now (a new workload may make a repository due at once)."""
        self._changed.set()

    async def run(self) -> None:
        """Poll forever: start the checks that are due, then wait for the next due time or a change."""
        try:
            while True:
                started = self._clock()
                self._changed.clear()
                self._start_due()
                await self._wait(self.next_due_in())
                # However often workloads change, rounds start at most every MIN_ROUND_GAP.
                await asyncio.sleep(max(0.0, MIN_ROUND_GAP - (self._clock() - started)))
        finally:
            checks = list(self._in_flight.values())
            for task in checks:
                task.cancel()
            await asyncio.gather(*checks, return_exceptions=True)

    async def poll_due(self) -> RoundReport:
        """Start every check that is due and wait for them: one round, as :meth:`run` does it."""
        started = self._start_due()
        report = RoundReport()
        for check in await asyncio.gather(*started):
            report.add(check)
        return report

    def next_due_in(self) -> float:
        """Seconds until the next repository is due, as planned by the last round (at most one interval)."""
        now = self._clock()
        due = [
            self._due(self._schedules[repository], interval)
            for repository, interval in self._intervals.items()
            if repository not in self._in_flight
        ]
        return max(0.0, min(due, default=now + self._interval) - now)

    async def _wait(self, delay: float) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the cancellation that
        # ends leadership when the event is set at the same moment.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._changed.wait()

    # -- rounds ----------------------------------------------------------------------------------

    def _start_due(self) -> list[asyncio.Task[CheckReport]]:
        """Plan from the caches and start a task for each due repository not being checked already."""
        self._offer(set(self._unqueued))
        planned = self._planner.plan(self._workloads())
        self._metrics.polling_resources_filtered.inc(planned.filtered)
        self._forget_unused(planned.by_repository)
        self._intervals = {
            repository: _interval_of(subs) for repository, subs in planned.by_repository.items()
        }
        now = self._clock()
        started = []
        for repository, subs in planned.by_repository.items():
            schedule = self._schedule(repository, subs, now)
            if repository not in self._in_flight and now >= self._due(schedule, _interval_of(subs)):
                task = asyncio.create_task(self._check(repository, subs), name=f"poll:{repository}")
                self._in_flight[repository] = task
                started.append(task)
        if started:
            self._metrics.polling_cycles.inc()
            log.info("polling round", repositories=len(started), in_flight=len(self._in_flight))
        return started

    async def _check(self, repository: str, subs: list[Subscription]) -> CheckReport:
        report = CheckReport(repositories=1)
        try:
            async with self._limit:
                report = await self._checker.check(repository, subs)
        except Exception:
            report.errors += 1
            self._metrics.polling_errors.inc()
            log.exception("checking a repository failed", repository=repository)
        finally:
            self._schedules[repository] = _Schedule(self._clock(), self._factor())
            self._in_flight.pop(repository, None)
        self._offer(report.enqueued)
        self._changed.set()  # re-plan: the next due time has moved
        return report

    def _offer(self, keys: set[ObjectKey]) -> None:
        for key in keys:
            if self._enqueue(key):
                self._unqueued.discard(key)
            else:
                self._unqueued.add(key)

    # -- scheduling ------------------------------------------------------------------------------

    def _schedule(self, repository: str, subs: list[Subscription], now: float) -> _Schedule:
        schedule = self._schedules.get(repository)
        if schedule is None:
            # First sight: due within the jitter window from now, so a start does not stampede.
            spread = self._rng() * self._jitter
            schedule = self._schedules[repository] = _Schedule(now - _interval_of(subs), 1.0 + spread)
        return schedule

    def _due(self, schedule: _Schedule, interval: float) -> float:
        return schedule.last + interval * schedule.factor

    def _factor(self) -> float:
        return 1.0 + self._jitter * (2.0 * self._rng() - 1.0)

    def _forget_unused(self, planned: dict[str, list[Subscription]]) -> None:
        for repository in self._schedules.keys() - planned.keys() - self._in_flight.keys():
            del self._schedules[repository]
        self._catalog.retain(
            {(repository, sub.namespace) for repository, subs in planned.items() for sub in subs}
        )


def _interval_of(subs: Sequence[Subscription]) -> float:
    return min(sub.interval for sub in subs)
