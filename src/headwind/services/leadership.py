"""Leader election on a Lease: only one replica acts; every replica serves.

Every replica runs a :class:`LeaderElector`; the one holding the Lease runs the leader-only work (the
informers' handlers, the dispatcher, the poller) and the others wait to take over. The semantics are
client-go's ``leaderelection``, so the Lease reads the same to ``kubectl`` and to operators people
already run:

- *Acquiring*, every ``retry_period`` (with jitter, so replicas do not retry in lock-step): take the
  Lease if it does not exist, if nobody holds it (a graceful leader released it), if we hold it
  already, or if it expired. "Expired" is judged on **this** replica's monotonic clock: the lease is
  expired when the record has not changed for ``leaseDurationSeconds`` since we last saw it change.
  ``renewTime`` is never compared with our wall clock, so skewed clocks cannot make two leaders (the
  price: a freshly started replica waits one full lease duration before taking over an abandoned one).
- *Leading*: renew every ``retry_period``. If no renewal has succeeded for ``renew_deadline``
  (measured from when the last successful attempt was *sent*), or the Lease names another holder,
  stop leading at once. Since ``renew_deadline < lease_duration``, a partitioned leader has stopped
  acting before any other replica can consider its lease expired.
- *Releasing* on graceful shutdown (client-go's ``ReleaseOnCancel``): write an empty holder so another
  replica takes over at its next attempt instead of after a lease duration.

Every write carries the ``resourceVersion`` it was read at, so two replicas never both win one
round. Leadership is reflected in :attr:`LeaderElector.leading`, :attr:`LeaderElector.is_leader`
and the ``headwind_leader`` gauge.

How the runtime uses it: ``await elector.run(work)`` in a supervised task. ``work`` is a coroutine
function that starts the leader-only tasks and runs until cancelled; ``run`` calls it each time
leadership is acquired and cancels it (and waits for it) when leadership is lost, before trying to
acquire again. Cancelling ``run`` cancels the work, then releases the Lease.
"""

from __future__ import annotations

import asyncio
import math
import random
import socket
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import structlog
from kubernetes_asyncio import client

from headwind.adapters.kube.lease import LeaseClient, LeaseError, LeaseRecord
from headwind.adapters.metrics import Metrics

log = structlog.get_logger(__name__)

JITTER_FACTOR = 1.2  # client-go's: an acquire attempt every retry_period * [1, 2.2)

LeaderWork = Callable[[], Coroutine[Any, Any, None]]


def default_identity() -> str:
    """A replica's identity as client-go builds it: the host (pod) name and a unique suffix."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LeaderElector:
    """Competes for one Lease and runs the leader-only work while holding it.

    ``lease_duration`` is written to the Lease in whole seconds (rounded up). ``monotonic`` decides
    expiry and deadlines; ``wall_clock`` only stamps ``acquireTime``/``renewTime``. With
    ``release_on_cancel=False`` a cancelled :meth:`run` leaves the Lease to expire, as a killed
    process would.
    """

    def __init__(
        self,
        api: client.ApiClient,
        *,
        name: str,
        namespace: str,
        identity: str,
        metrics: Metrics,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        release_on_cancel: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if not identity:
            raise ValueError("leader election needs a non-empty identity")
        if lease_duration < 1:
            raise ValueError(f"lease_duration must be at least 1 second, got {lease_duration}")
        if not lease_duration > renew_deadline:
            raise ValueError(
                f"lease_duration ({lease_duration}) must be greater than renew_deadline ({renew_deadline})"
            )
        if not retry_period > 0 or not renew_deadline > JITTER_FACTOR * retry_period:
            raise ValueError(
                f"renew_deadline ({renew_deadline}) must be greater than "
                f"{JITTER_FACTOR} * retry_period ({retry_period}), and retry_period positive"
            )
        self.identity = identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.release_on_cancel = release_on_cancel
        # Two attempts fit in a renew deadline even if the first one hangs.
        self._leases = LeaseClient(
            api, namespace=namespace, name=name, timeout=max(retry_period, renew_deadline / 2)
        )
        self._metrics = metrics
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._observed: LeaseRecord | None = None
        self._observed_at = 0.0
        self._running = False
        self.leading = asyncio.Event()
        """Set while this replica is the leader (and its work runs)."""
        self._log = log.bind(kind="Lease", namespace=namespace, name=name, identity=identity)
        metrics.leader.set(0)

    @property
    def is_leader(self) -> bool:
        return self.leading.is_set()

    @property
    def holder(self) -> str:
        """The holder the Lease named when last read (``""``: nobody, or not read yet)."""
        return self._observed.holder if self._observed is not None else ""

    async def run(self, work: LeaderWork) -> None:
        """Acquire, run ``work`` while leading, cancel it when leadership is lost, and repeat.

        Runs until cancelled; then the work is cancelled and awaited and, with ``release_on_cancel``,
        the Lease released. If ``work`` returns or raises by itself, leadership ends with it: the Lease
        is released and ``run`` returns or raises the same (a supervisor restarts it).
        """
        if self._running:
            raise RuntimeError(f"{self._leases} elector is already running")
        self._running = True
        release = True
        try:
            while True:
                renewed_at = await self._acquire()
                if not await self._lead(work, renewed_at):
                    return
        except asyncio.CancelledError:
            release = self.release_on_cancel
            raise
        finally:
            self._running = False
            if release:
                await self.release()

    async def release(self) -> bool:
        """Give the Lease up if this replica holds it, so another can take over at once.

        Writes an empty holder and a 1 s duration (as client-go does); whether that worked. Called by
        :meth:`run` itself when cancelled; call it directly only when ``run`` is not running.
        """
        if self._running:
            raise RuntimeError(f"cannot release {self._leases} while run() is running: cancel it first")
        observed = self._observed
        if observed is None or observed.holder != self.identity:
            return False
        now = self._wall_clock()
        record = replace(observed, holder="", lease_duration_seconds=1, acquire_time=now, renew_time=now)
        try:
            written = await self._leases.replace(record)
        except LeaseError as error:
            self._log.warning("lease release failed; it expires by itself", error=str(error))
            return False
        if written is None:
            self._log.info("lease not released: it changed since it was last read")
            return False
        self._observe(written)
        self._log.info("lease released")
        return True

    async def _acquire(self) -> float:
        """Try until the Lease is ours; the monotonic time the successful attempt started."""
        while True:
            started = self._monotonic()
            if await self._attempt(renewing=False):
                return started
            await asyncio.sleep(self.retry_period * (1 + random.uniform(0, JITTER_FACTOR)))

    async def _lead(self, work: LeaderWork, renewed_at: float) -> bool:
        """One term: run ``work`` while renewing; whether to go on competing (False: work ended).

        On the way out the work is stopped first, while the renewal still holds the Lease, so no other
        replica acts before this one's work has finished cleaning up.
        """
        lease = self._leases
        self._log.info("leadership acquired", transitions=self._observed.transitions if self._observed else 0)
        self.leading.set()
        self._metrics.leader.set(1)
        renewing = asyncio.create_task(
            self._renew(renewed_at), name=f"lease-renewal:{lease.namespace}/{lease.name}"
        )
        work_task: asyncio.Task[None] | None = None
        ended: set[asyncio.Task[None]] = set()
        try:
            work_task = asyncio.create_task(work(), name=f"leader-work:{lease.namespace}/{lease.name}")
            ended, _ = await asyncio.wait({work_task, renewing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            try:
                if work_task is not None:
                    await _stop(work_task)
            finally:
                try:
                    await _stop(renewing)
                finally:
                    self.leading.clear()
                    self._metrics.leader.set(0)
        if renewing in ended and renewing.exception() is not None:
            renewing.result()  # a bug in renewing: raise it
        if work_task in ended:
            self._log.info("leader work ended; giving the lease up")
            work_task.result()  # raises what the work raised
            return False
        self._log.warning("leadership lost; leader-only work stopped")
        return True

    async def _renew(self, renewed_at: float) -> None:
        """Renew every ``retry_period``; return when leadership is lost."""
        while True:
            deadline = renewed_at + self.renew_deadline
            await asyncio.sleep(max(0.0, min(self.retry_period, deadline - self._monotonic())))
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                self._log.warning("lease not renewed within the renew deadline", deadline=self.renew_deadline)
                return
            started = self._monotonic()
            try:
                async with asyncio.timeout(remaining):
                    renewed = await self._attempt(renewing=True)
            except TimeoutError:
                self._log.warning("lease not renewed within the renew deadline", deadline=self.renew_deadline)
                return
            if renewed:
                renewed_at = started
            elif self.holder != self.identity:
                self._log.warning("lease taken by another replica", holder=self.holder)
                return

    async def _attempt(self, *, renewing: bool) -> bool:
        """One round of client-go's tryAcquireOrRenew: whether the Lease is ours after it."""
        try:
            return await self._try_acquire_or_renew(renewing=renewing)
        except LeaseError as error:
            self._log.warning(
                "lease renewal failed" if renewing else "lease acquisition failed", error=str(error)
            )
            return False

    async def _try_acquire_or_renew(self, *, renewing: bool) -> bool:
        now = self._wall_clock()
        seconds = math.ceil(self.lease_duration)
        current = await self._leases.get()
        if current is None:
            if renewing:
                self._log.warning("lease disappeared while leading")
                self._observed = None
                return False
            created = await self._leases.create(
                LeaseRecord(self.identity, seconds, acquire_time=now, renew_time=now, transitions=0)
            )
            if created is None:
                self._log.debug("lost the race to create the lease")
                return False
            self._observe(created)
            return True
        self._observe(current)
        if current.holder == self.identity:
            wanted = replace(current, lease_duration_seconds=seconds, renew_time=now)
        elif renewing or (current.holder and not self._expired(current)):
            return False  # a leader never takes over; a follower waits for expiry or a release
        else:
            wanted = replace(
                current,
                holder=self.identity,
                lease_duration_seconds=seconds,
                acquire_time=now,
                renew_time=now,
                transitions=current.transitions + 1,
            )
        written = await self._leases.replace(wanted)
        if written is None:
            self._log.debug("lost the race to write the lease")
            return False
        self._observe(written)
        return True

    def _observe(self, record: LeaseRecord) -> None:
        """Remember the record; restart the expiry clock when it changed (not on resourceVersion alone)."""
        previous = self._observed
        if not record.same_term(previous):
            self._observed_at = self._monotonic()
            someone_else = record.holder not in ("", self.identity)
            if someone_else and (previous is None or previous.holder != record.holder):
                self._log.info("lease held by another replica", holder=record.holder)
        self._observed = record

    def _expired(self, record: LeaseRecord) -> bool:
        return self._observed_at + record.lease_duration_seconds <= self._monotonic()


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait until it has finished cleaning up; never raises its outcome."""
    if not task.done():
        task.cancel()
    await asyncio.wait({task})
