"""Leader election against the sandbox: one leader, takeover after a crash or a release, step-down
when renewals fail, and the Lease as ``kubectl`` would show it.

Durations are short (lease 1 s, renew deadline 0.6 s, retry 0.1 s) and every wait is a condition with
a deadline; elapsed times are measured on the event loop's clock. A shared ledger records when each
replica's leader-only work starts and stops, so "never two leaders at once" is checked at every
hand-over instead of by sampling.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kubernetes_asyncio import client

from headwind.adapters.metrics import Metrics
from headwind.sandbox.emulator import Emulator
from headwind.services.leadership import LeaderElector

from ..waiting import eventually

LEASE = 1.0
RENEW = 0.6
RETRY = 0.1
NAME, NAMESPACE = "headwind-leader", "default"


class Ledger:
    """Which replicas' leader-only work is running, and every overlap ever seen."""

    def __init__(self) -> None:
        self.acting: set[str] = set()
        self.terms: list[str] = []
        self.overlaps: list[tuple[set[str], str]] = []

    def started(self, name: str) -> None:
        if self.acting:
            self.overlaps.append((set(self.acting), name))
        self.acting.add(name)
        self.terms.append(name)

    def stopped(self, name: str) -> None:
        self.acting.discard(name)


class Replica:
    """One operator replica: an elector whose leader-only work is recorded in the ledger."""

    def __init__(self, kube: client.ApiClient, name: str, ledger: Ledger, **options: Any) -> None:
        self.name = name
        self.ledger = ledger
        self.metrics = Metrics()
        settings: dict[str, Any] = {"lease_duration": LEASE, "renew_deadline": RENEW, "retry_period": RETRY}
        settings.update(options)
        self.elector = LeaderElector(
            kube, name=NAME, namespace=NAMESPACE, identity=name, metrics=self.metrics, **settings
        )
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.elector.run(self.work), name=f"elector:{self.name}")

    async def work(self) -> None:
        self.ledger.started(self.name)
        try:
            await asyncio.Event().wait()
        finally:
            self.ledger.stopped(self.name)

    async def stop(self) -> None:
        """Cancel the elector (a graceful shutdown, or a crash with ``release_on_cancel=False``)."""
        assert self.task is not None
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task

    @property
    def gauge(self) -> float | None:
        return self.metrics.registry.get_sample_value("headwind_leader")


ReplicaFactory = Callable[..., Replica]


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture
async def replica(kube: client.ApiClient, ledger: Ledger) -> AsyncIterator[ReplicaFactory]:
    """Start replicas named by the test; all are cancelled after it."""
    replicas: list[Replica] = []

    def make(name: str, **options: Any) -> Replica:
        started = Replica(kube, name, ledger, **options)
        started.start()
        replicas.append(started)
        return started

    yield make
    for started in replicas:
        if started.task is not None and not started.task.done():
            await started.stop()
    assert not ledger.overlaps, f"two replicas acted at once: {ledger.overlaps}"


async def read_lease(kube: client.ApiClient) -> Any:
    return await client.CoordinationV1Api(kube).read_namespaced_lease(NAME, NAMESPACE)


async def the_leader(*replicas: Replica) -> tuple[Replica, Replica]:
    """Wait until one of two replicas leads; (leader, follower)."""
    await eventually(lambda: any(r.elector.is_leader for r in replicas), what="a leader")
    leaders = [r for r in replicas if r.elector.is_leader]
    assert len(leaders) == 1
    (follower,) = [r for r in replicas if r is not leaders[0]]
    return leaders[0], follower


async def renewed_for(kube: client.ApiClient, seconds: float, *, timeout: float = 5.0) -> None:
    """Wait until the Lease's renewTime has advanced ``seconds`` beyond its current value."""
    first = (await read_lease(kube)).spec.renew_time

    async def advanced() -> bool:
        renew_time = (await read_lease(kube)).spec.renew_time
        return bool(renew_time - first >= timedelta(seconds=seconds))

    await eventually(advanced, timeout=timeout, what=f"renewals spanning {seconds}s")


async def test_exactly_one_of_two_replicas_leads(kube, replica, ledger):
    a, b = replica("a"), replica("b")
    leader, follower = await the_leader(a, b)

    # Long enough for the follower to take over if it misjudged the renewed lease as expired.
    await renewed_for(kube, 2 * LEASE)

    assert leader.elector.is_leader and not follower.elector.is_leader
    assert (leader.gauge, follower.gauge) == (1.0, 0.0)
    assert ledger.terms == [leader.name]
    assert ledger.acting == {leader.name}
    assert follower.elector.holder == leader.name


async def test_the_lease_names_the_holder_counts_transitions_and_advances_renew_time(kube, replica):
    a = replica("a")
    await eventually(lambda: a.elector.is_leader, what="a leads")
    lease = await read_lease(kube)
    assert lease.spec.holder_identity == "a"
    assert lease.spec.lease_transitions == 0
    assert lease.spec.lease_duration_seconds == 1
    first_acquired = lease.spec.acquire_time
    assert first_acquired is not None

    await renewed_for(kube, 3 * RETRY)
    assert (await read_lease(kube)).spec.acquire_time == first_acquired  # renewing keeps the term

    b = replica("b")
    await a.stop()
    await eventually(lambda: b.elector.is_leader, what="b leads")
    lease = await read_lease(kube)
    assert lease.spec.holder_identity == "b"
    assert lease.spec.lease_transitions == 1
    assert lease.spec.acquire_time > first_acquired


async def test_a_graceful_leader_leaves_the_lease_free(kube, replica):
    a = replica("a")
    await eventually(lambda: a.elector.is_leader, what="a leads")

    await a.stop()

    lease = await read_lease(kube)
    assert lease.spec.holder_identity in ("", None)
    assert lease.spec.lease_duration_seconds == 1
    assert lease.spec.lease_transitions == 0
    assert a.gauge == 0.0


async def test_a_released_lease_is_taken_over_well_before_the_lease_duration(kube, replica, ledger):
    leader, follower = await the_leader(replica("a"), replica("b"))
    loop = asyncio.get_running_loop()

    started = loop.time()
    await leader.stop()
    await eventually(lambda: follower.elector.is_leader, timeout=LEASE, what="the follower leads")

    assert loop.time() - started < LEASE / 2
    assert (await read_lease(kube)).spec.holder_identity == follower.name
    assert (leader.gauge, follower.gauge) == (0.0, 1.0)
    assert ledger.terms == [leader.name, follower.name]


async def test_a_crashed_leader_is_replaced_after_the_lease_duration(kube, replica, ledger):
    leader, follower = await the_leader(
        replica("a", release_on_cancel=False), replica("b", release_on_cancel=False)
    )
    loop = asyncio.get_running_loop()

    crashed = loop.time()
    await leader.stop()  # no release: the lease is left to expire, as after SIGKILL
    assert (await read_lease(kube)).spec.holder_identity == leader.name
    await eventually(lambda: follower.elector.is_leader, timeout=LEASE + 2, what="the follower leads")

    elapsed = loop.time() - crashed
    # Not before the lease expired (last renewal at most one retry period before the crash), and at
    # most a lease duration plus two jittered polls after it.
    assert LEASE - 2 * RETRY <= elapsed <= LEASE + 0.8
    lease = await read_lease(kube)
    assert lease.spec.holder_identity == follower.name
    assert lease.spec.lease_transitions == 1
    assert follower.gauge == 1.0
    assert ledger.terms == [leader.name, follower.name]


async def test_a_leader_that_cannot_renew_steps_down_within_the_renew_deadline(
    kube, replica, ledger, emulator: Emulator
):
    leader, follower = await the_leader(replica("a"), replica("b"))
    loop = asyncio.get_running_loop()

    cut = loop.time()
    emulator.faults.fail_next("PUT", r"/leases/", 500, times=100)
    await eventually(lambda: not leader.elector.is_leader, timeout=RENEW + 1, what="the leader steps down")

    elapsed = loop.time() - cut
    assert elapsed <= RENEW + 0.2
    assert elapsed < LEASE  # before anyone else may consider the lease expired
    assert leader.gauge == 0.0
    assert ledger.acting == set()
    assert len(emulator.faults.matching("PUT", r"/leases/")) >= 2  # it kept trying until the deadline
    assert not follower.elector.is_leader

    emulator.faults.clear()
    await eventually(
        lambda: leader.elector.is_leader or follower.elector.is_leader, timeout=2 * LEASE, what="a new leader"
    )
    # `leading` is set as the work task is created; it registers itself when it first runs.
    await eventually(lambda: len(ledger.acting) == 1, what="exactly one replica's work running")


async def test_expiry_is_judged_on_the_local_clock_not_on_renew_time(kube, replica, ledger):
    # A leader whose wall clock is an hour slow writes renewTimes that look long expired.
    slow = replica("slow", wall_clock=lambda: datetime.now(UTC) - timedelta(hours=1), release_on_cancel=False)
    await eventually(lambda: slow.elector.is_leader, what="the slow replica leads")
    other = replica("other")

    await renewed_for(kube, 2 * LEASE)
    assert ledger.terms == ["slow"]
    assert not other.elector.is_leader

    # And once it stops renewing, the other takes over after a lease duration, not an hour.
    await slow.stop()
    await eventually(lambda: other.elector.is_leader, timeout=LEASE + 2, what="the other replica leads")


def lone_elector(kube, metrics: Metrics) -> LeaderElector:
    """An elector ``a`` with the test durations, driven by the test itself (no replica fixture)."""
    return LeaderElector(
        kube,
        name=NAME,
        namespace=NAMESPACE,
        identity="a",
        metrics=metrics,
        lease_duration=LEASE,
        renew_deadline=RENEW,
        retry_period=RETRY,
    )


async def test_leader_work_that_fails_ends_leadership_and_releases_the_lease(kube):
    metrics = Metrics()
    elector = lone_elector(kube, metrics)

    async def broken() -> None:
        raise RuntimeError("the dispatcher broke")

    with pytest.raises(RuntimeError, match="the dispatcher broke"):
        await asyncio.wait_for(elector.run(broken), timeout=5)

    assert not elector.is_leader
    assert metrics.registry.get_sample_value("headwind_leader") == 0.0
    assert (await read_lease(kube)).spec.holder_identity in ("", None)


async def test_shutdown_keeps_the_lease_until_the_leader_work_has_drained(kube):
    metrics = Metrics()
    elector = lone_elector(kube, metrics)
    draining, drained = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            draining.set()
            await drained.wait()  # e.g. the dispatcher finishing its in-flight items

    running = asyncio.create_task(elector.run(work))
    await eventually(lambda: elector.is_leader, what="a leads")
    running.cancel()
    await eventually(draining.is_set, what="the work drains")

    await renewed_for(kube, 3 * RETRY)  # still renewed: nobody else acts meanwhile
    assert elector.is_leader
    assert (await read_lease(kube)).spec.holder_identity == "a"

    drained.set()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert not elector.is_leader
    assert (await read_lease(kube)).spec.holder_identity in ("", None)


@pytest.mark.parametrize(
    ("lease", "renew", "retry", "complaint"),
    [
        (10.0, 10.0, 2.0, "greater than renew_deadline"),
        (15.0, 2.0, 2.0, "retry_period"),
        (0.5, 0.3, 0.1, "at least 1 second"),
    ],
)
async def test_inconsistent_durations_are_refused(kube, lease, renew, retry, complaint):
    with pytest.raises(ValueError, match=complaint):
        LeaderElector(
            kube,
            name=NAME,
            namespace=NAMESPACE,
            identity="a",
            metrics=Metrics(),
            lease_duration=lease,
            renew_deadline=renew,
            retry_period=retry,
        )
