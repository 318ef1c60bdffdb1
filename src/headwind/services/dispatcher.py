"""The reconcile dispatcher: the one place where work about an object is decided, one key at a time.

Everything that wants an object looked at -- informer handlers, webhooks, the poller, approvals --
calls :meth:`Dispatcher.enqueue` with the object's :class:`ObjectKey`. The keys go through a
:class:`WorkQueue` (bounded, coalescing, at most one in flight per key, retried with backoff) to a
fixed pool of worker tasks that call the ``decide`` function and keep its :class:`Decision` in a
bounded history. A fixed pool, rather than a task per event, bounds the load on the API server
and on registries however large the burst; per-key exclusion means two workers never race to
patch one Deployment, while a slow decision about one object stalls only that object.

``decide`` is injected: the operator passes :class:`~headwind.services.decider.WorkloadDecider`,
which judges workloads by their policies. A decision with changes (an update available) is logged
at info level, others at debug.
A failed decision is logged with its traceback and the object's ``kind``/``namespace``/``name``,
counted, and retried with capped exponential backoff -- forever, since the state it is about
lives in the cluster and a later attempt reads it afresh.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable

import structlog

from headwind.adapters.metrics import Metrics
from headwind.model.decisions import Decision
from headwind.model.workloads import ObjectKey

from .workqueue import QueueShutDown, WorkQueue

log = structlog.get_logger(__name__)

Decide = Callable[[ObjectKey], Awaitable[Decision]]
"""Decides about one object; raising means "try again later"."""


class Dispatcher:
    """A pool of ``workers`` tasks deciding about queued object keys; see the module docstring."""

    def __init__(
        self,
        decide: Decide,
        metrics: Metrics,
        *,
        workers: int = 4,
        queue_size: int = 10_000,
        retry_base: float = 0.5,
        retry_cap: float = 300.0,
        history: int = 1000,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if workers < 1:
            raise ValueError(f"the dispatcher needs at least one worker, not {workers}")
        self._decide = decide
        self._metrics = metrics
        self._worker_count = workers
        self.queue: WorkQueue[ObjectKey] = WorkQueue(
            queue_size, retry_base=retry_base, retry_cap=retry_cap, jitter=jitter
        )
        self.recent: deque[Decision] = deque(maxlen=history)
        """The latest decisions, oldest first, at most ``history`` of them."""
        self._workers: list[asyncio.Task[None]] = []
        metrics.queue_depth.set_function(lambda: len(self.queue))

    def enqueue(self, key: ObjectKey) -> bool:
        """Ask for ``key`` to be decided; False if the queue is full or shutting down (the caller says so)."""
        return self.queue.add(key)

    @property
    def accepting(self) -> bool:
        """Whether :meth:`enqueue` may still accept keys (False once shutdown has begun)."""
        return not self.queue.shutting_down

    async def run(self) -> None:
        """Run the workers until cancelled or shut down; a worker that crashes (a bug) ends the run."""
        workers = [
            asyncio.create_task(self._work(), name=f"dispatcher-worker-{index}")
            for index in range(self._worker_count)
        ]
        self._workers = workers
        try:
            finished, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
            for task in finished:
                if not task.cancelled() and (error := task.exception()) is not None:
                    raise error
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def shutdown(self, grace: float) -> bool:
        """Stop accepting keys, let the workers finish what is queued for up to ``grace`` seconds,
        then cancel them. True if everything queued was decided in time."""
        self.queue.shutdown()
        drained = await self.queue.drain(grace)
        if not drained:
            log.warning(
                "dispatcher did not drain within the grace period",
                grace=grace,
                waiting=len(self.queue),
                in_flight=self.queue.in_flight,
            )
        workers = self._workers
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        return drained

    async def _work(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDown:
                return
            try:
                await self._process(key)
            finally:
                latency = self.queue.done(key)
                if latency is not None:
                    self._metrics.queue_latency.observe(latency)

    async def _process(self, key: ObjectKey) -> None:
        started = time.perf_counter()
        try:
            decision = await self._decide(key)
        except Exception:
            self._metrics.reconcile_duration.observe(time.perf_counter() - started)
            self._metrics.items_failed.inc()
            self._metrics.reconcile_errors.inc()
            attempt = self.queue.attempts(key) + 1
            delay = self.queue.retry(key)
            log.exception(
                "deciding failed; will retry",
                **key.log_fields(),
                attempt=attempt,
                retry_in=round(delay, 3),
            )
            return
        self._metrics.reconcile_duration.observe(time.perf_counter() - started)
        self.queue.forget(key)
        self.recent.append(decision)
        self._metrics.items_processed.inc()
        report = log.info if decision.changes else log.debug
        report("decided", **key.log_fields(), outcome=decision.outcome, reason=decision.reason)
