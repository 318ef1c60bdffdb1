"""Registry polling: check each polled repository when it is due, and tell the dispatcher what changed.

Headwind polled with one global sleep after a sequential cycle, only Deployments, one client and
token cache per image, and re-emitted the same event on alternate cycles. Here:

* **A scheduler of due times.** Each repository is due ``interval * (1 +- jitter)`` after its last
  check, where ``interval`` is the smallest ``headwind.sh/polling-interval`` among the containers
  running it (else ``HEADWIND_POLLING_INTERVAL``), so a 60 s workload is checked every ~60 s
  whatever the global interval, and a fresh random factor per check keeps thousands of repositories
  from being checked in lock-step. A repository seen for the first time is due at once (spread
  over the jitter window). The loop sleeps until the next due time, or until a workload changes.
* **One request per repository and credential.** Every container running a repository shares its
  check. Credentials come from each workload's pull secrets (:class:`PullSecretsSource`), so the
  check is split only where namespaces' credentials differ; what one credential revealed is
  recorded for the namespaces that used it, never for others.
* **Only what is needed.** The tag list is read when a container's policy compares tags, keeping
  only the tags some policy there could choose (:func:`~headwind.model.selection.could_choose`);
  the manifest digest of a container's current tag is read only for the ``digest`` policy.
* **Change, not repetition.** Results go into the :class:`~headwind.services.catalog.TagCatalog`;
  the workloads are queued for the dispatcher only when their repository shows new tags or their
  tag new content. A failed check is counted, logged with the registry and repository, and
  retried at the next due time.

The poller runs only on the leader, beside the dispatcher's workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from headwind.adapters.metrics import Metrics
from headwind.adapters.registry.client import ManifestInfo, TagList
from headwind.adapters.registry.errors import RegistryError
from headwind.model.credentials import Credential
from headwind.model.policy import PolicyKind
from headwind.model.selection import could_choose
from headwind.model.workloads import ObjectKey, Workload

from .catalog import TagCatalog
from .subscriptions import Planner, Subscription

log = structlog.get_logger(__name__)

MIN_ROUND_GAP = 0.05
"""Seconds between rounds at least, so a burst of workload changes does not spin the loop."""

MAX_REPOSITORIES_IN_FLIGHT = 32
"""Repositories checked at once; the registry client's own per-registry limits apply beneath."""


class Registry(Protocol):
    """What the poller needs of the registry client."""

    async def tags(
        self,
        registry: str,
        path: str,
        credential: Credential | None,
        *,
        keep: Callable[[str], bool] | None = None,
    ) -> TagList: ...

    async def manifest(
        self,
        registry: str,
        path: str,
        reference: str,
        credential: Credential | None,
        *,
        platforms: bool = False,
    ) -> ManifestInfo: ...


class PullSecretsSource(Protocol):
    """Where a workload's registry credentials come from (its pull secrets, then its ServiceAccount's)."""

    async def credential(
        self, namespace: str, registry: str, *, secret_names: Sequence[str], service_account: str
    ) -> Credential | None: ...


@dataclass
class RoundReport:
    """What one round did; for logs and tests."""

    repositories: int = 0
    tag_requests: int = 0
    digest_requests: int = 0
    new_tags: int = 0
    digest_changes: int = 0
    errors: int = 0
    enqueued: set[ObjectKey] = field(default_factory=set)


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
        self._registry = registry
        self._secrets = secrets
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
        self._changed = asyncio.Event()

    def workloads_changed(self, *_: object) -> None:
        """Informer handler: re-plan now (a new workload may make a repository due at once)."""
        self._changed.set()

    async def run(self, sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        """Poll forever: a round for whatever is due, then wait for the next due time or a change.

        A round that fails unexpectedly (a bug, since registry and API errors are handled per
        repository) is logged with its traceback and counted; the next round runs as planned.
        """
        while True:
            self._changed.clear()
            try:
                await self.poll_due()
            except Exception:
                self._metrics.polling_errors.inc()
                log.exception("polling round failed")
            delay = max(self.next_due_in(), MIN_ROUND_GAP)
            if sleep is not None:
                await sleep(delay)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=delay)

    def next_due_in(self) -> float:
        """Seconds until the next repository is due, as planned by the last round (at most one interval)."""
        now = self._clock()
        due = [
            self._due(self._schedules[repository], interval)
            for repository, interval in self._intervals.items()
        ]
        return max(0.0, min(due, default=now + self._interval) - now)

    async def poll_due(self) -> RoundReport:
        """Check every repository that is due now; the caller decides when to call again."""
        planned = self._planner.plan(self._workloads())
        self._metrics.polling_resources_filtered.inc(planned.filtered)
        now = self._clock()
        self._forget_unused(planned.by_repository)
        self._intervals = {
            repository: _interval_of(subs) for repository, subs in planned.by_repository.items()
        }
        due = {
            repository: subs
            for repository, subs in planned.by_repository.items()
            if now >= self._due(self._schedule(repository, subs, now), _interval_of(subs))
        }
        report = RoundReport(repositories=len(due))
        if not due:
            return report
        self._metrics.polling_cycles.inc()
        limit = asyncio.Semaphore(MAX_REPOSITORIES_IN_FLIGHT)

        async def check(repository: str, subs: list[Subscription]) -> None:
            async with limit:
                await self._check_repository(repository, subs, report)
            self._schedules[repository] = _Schedule(self._clock(), self._factor())

        await asyncio.gather(*(check(repository, subs) for repository, subs in due.items()))
        for key in report.enqueued:
            self._enqueue(key)
        counts = {name: value for name, value in vars(report).items() if name != "enqueued"}
        log.info("polling round", **counts, enqueued=len(report.enqueued))
        return report

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
        for repository in self._schedules.keys() - planned.keys():
            del self._schedules[repository]
        self._catalog.retain(
            {(repository, sub.namespace) for repository, subs in planned.items() for sub in subs}
        )

    # -- checking one repository -----------------------------------------------------------------

    async def _check_repository(self, repository: str, subs: list[Subscription], report: RoundReport) -> None:
        """One tag list (and the digests the ``digest`` policy needs) per distinct credential."""
        for credential, group in (await self._by_credential(repository, subs, report)).items():
            try:
                await self._check_with(repository, group, credential[1], report)
            except RegistryError as error:
                report.errors += 1
                self._metrics.polling_errors.inc()
                log.warning(
                    "polling failed",
                    repository=repository,
                    registry=error.registry,
                    reason=error.reason,
                    error=str(error),
                    namespaces=sorted({sub.namespace for sub in group}),
                )

    async def _by_credential(
        self, repository: str, subs: list[Subscription], report: RoundReport
    ) -> dict[tuple[str, Credential | None], list[Subscription]]:
        """``subs`` split by the credential each one's workload pulls with."""
        groups: dict[tuple[str, Credential | None], list[Subscription]] = defaultdict(list)
        resolved: dict[tuple[str, tuple[str, ...], str], Credential | None] = {}
        for sub in subs:
            source = (sub.namespace, sub.pull_secrets, sub.service_account)
            if source not in resolved:
                try:
                    resolved[source] = await self._secrets.credential(
                        sub.namespace,
                        sub.ref.registry,
                        secret_names=sub.pull_secrets,
                        service_account=sub.service_account,
                    )
                except Exception as error:  # an API error: count it, skip these workloads this round
                    report.errors += 1
                    self._metrics.polling_errors.inc()
                    log.warning(
                        "reading pull secrets failed",
                        repository=repository,
                        error=str(error),
                        **sub.key.log_fields(),
                    )
                    continue
            if source in resolved:
                credential = resolved[source]
                groups[(credential.fingerprint if credential else "anonymous", credential)].append(sub)
        return groups

    async def _check_with(
        self, repository: str, group: list[Subscription], credential: Credential | None, report: RoundReport
    ) -> None:
        registry, path = group[0].ref.registry, group[0].ref.path
        namespaces = sorted({sub.namespace for sub in group})
        listers = [sub for sub in group if sub.policy.kind is not PolicyKind.DIGEST]
        if listers:
            filters = [could_choose(sub.policy, sub.ref.tag) for sub in listers]
            listing = await self._registry.tags(
                registry, path, credential, keep=lambda tag: any(kept(tag) for kept in filters)
            )
            report.tag_requests += 1
            self._metrics.polling_images_checked.inc()
            new = set().union(
                *(self._catalog.record_listing(repository, ns, listing.tags) for ns in namespaces)
            )
            if new:
                report.new_tags += len(new)
                self._metrics.polling_new_tags.inc(len(new))
                report.enqueued.update(sub.key for sub in listers)
        for tag in sorted(
            {sub.ref.tag for sub in group if sub.policy.kind is PolicyKind.DIGEST and sub.ref.tag}
        ):
            manifest = await self._registry.manifest(registry, path, tag, credential)
            report.digest_requests += 1
            first = all(self._catalog.baseline_digest(repository, ns, tag) is None for ns in namespaces)
            changed = [self._catalog.record_digest(repository, ns, tag, manifest.digest) for ns in namespaces]
            if any(changed) or first:
                if any(changed):
                    report.digest_changes += 1
                    self._metrics.polling_digest_changes.inc()
                report.enqueued.update(
                    sub.key for sub in group if sub.policy.kind is PolicyKind.DIGEST and sub.ref.tag == tag
                )


def _interval_of(subs: Sequence[Subscription]) -> float:
    return min(sub.interval for sub in subs)
