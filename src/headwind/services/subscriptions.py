"""Which containers ask to be polled, and how often: the poller's view of the workload caches.

A container is polled when its workload heeds polling (``headwind.sh/event-source`` ``polling``
or ``both``), its policy is not ``none``, and ``headwind.sh/images`` does not leave it out -- for
every workload kind, not only Deployments as in Headwind. Its interval is the workload's
``headwind.sh/polling-interval`` when set (at least :data:`MIN_POLLING_INTERVAL`), else
``HEADWIND_POLLING_INTERVAL``.

Subscriptions are grouped by repository: one check of a repository serves every container that
runs it, whatever workload, kind or namespace it is in; credentials split the group further only
when they differ (see :mod:`headwind.services.poller`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from headwind.model.annotations import EventSource, container_policy, event_sources, polling_interval
from headwind.model.image import ImageRef, InvalidReference, parse_image
from headwind.model.policy import InvalidPolicy, Policy, PolicyKind
from headwind.model.workloads import ObjectKey, Workload

MIN_POLLING_INTERVAL = 10.0
"""The shortest ``headwind.sh/polling-interval`` honoured: anyone who may annotate a workload could
otherwise spend a registry's whole request budget, which every tenant shares, on one repository."""


@dataclass(frozen=True, slots=True)
class Subscription:
    """One container of one workload that wants its repository polled."""

    key: ObjectKey
    container: str
    ref: ImageRef
    policy: Policy
    interval: float
    pull_secrets: tuple[str, ...]
    service_account: str

    @property
    def namespace(self) -> str:
        return self.key.namespace


@dataclass(frozen=True, slots=True)
class Subscriptions:
    by_repository: dict[str, list[Subscription]]
    filtered: int
    """Containers left out (not polled, no policy, untracked, unusable annotations or image)."""


class Planner:
    """Subscriptions of the workloads in the caches, re-reading only workloads that changed.

    The poller plans every round, and reading ten thousand workloads' annotations, policies and
    image references each time costs a fifth of a second. Informers replace a workload's
    projection whenever it changes, so an unchanged workload is the very same object as last
    round, and its subscriptions are reused.
    """

    def __init__(self, default_interval: float) -> None:
        self._default_interval = default_interval
        self._known: dict[ObjectKey, tuple[Workload, list[Subscription]]] = {}

    def plan(self, workloads: Iterable[Workload]) -> Subscriptions:
        """Every polled container of ``workloads``, grouped by normalized repository."""
        grouped: dict[str, list[Subscription]] = defaultdict(list)
        known: dict[ObjectKey, tuple[Workload, list[Subscription]]] = {}
        filtered = 0
        for workload in workloads:
            previous = self._known.get(workload.key)
            if previous is not None and previous[0] is workload:
                found = previous[1]
            else:
                found = list(_of_workload(workload, self._default_interval))
            known[workload.key] = (workload, found)
            filtered += len(workload.containers) - len(found)
            for subscription in found:
                grouped[subscription.ref.repository].append(subscription)
        self._known = known
        return Subscriptions(dict(grouped), filtered)


def _of_workload(workload: Workload, default_interval: float) -> Iterable[Subscription]:
    if workload.deleting:
        return
    annotations = workload.annotations
    try:
        if EventSource.POLLING not in event_sources(annotations):
            return
        own = polling_interval(annotations)
        interval = default_interval if own is None else max(own, MIN_POLLING_INTERVAL)
    except InvalidPolicy:
        return  # the dispatcher's decision names the bad key; nothing to poll meanwhile
    for container in workload.containers:
        try:
            policy = container_policy(annotations, container.name)
            ref = parse_image(container.image)
        except (InvalidPolicy, InvalidReference):
            continue
        if policy is None or policy.kind is PolicyKind.NONE:
            continue
        yield Subscription(
            workload.key,
            container.name,
            ref,
            policy,
            interval,
            workload.image_pull_secrets,
            workload.service_account,
        )
