"""Webhook intake: push events in, catalog updated, the workloads running the repository queued.

The webhook server parses and authenticates; this is what happens next, the same for every source.
Each push is recorded in the :class:`~headwind.services.catalog.TagCatalog` (the dispatcher reads
candidates there) and the workloads whose containers run the pushed repository -- one index
lookup per informer, never a LIST -- are queued for the dispatcher, unless their
``headwind.sh/event-source`` ignores webhooks (``polling``, ``none``). Headwind's webhook path never
read that annotation.

Two refusals, both answered ``503`` with ``Retry-After`` so that registries which retry do, and
nothing is lost:

* this replica is not the leader (only the leader's dispatcher acts; the webhook Service should
  route to the leader, see the README, but a request may race a leader change);
* the dispatcher's queue is full.

A refused delivery may have been partly taken (some workloads queued); taking it again is
harmless, because the catalog and the queue are idempotent.

Chart pushes (Helm charts in OCI registries) are recorded in the catalog under the chart's
repository, for the Helm release issue to consume; no workload runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import structlog

from headwind.adapters.kube.informer import Informer
from headwind.adapters.kube.workloads import REPOSITORY_INDEX
from headwind.model.annotations import EventSource, event_sources
from headwind.model.policy import InvalidPolicy
from headwind.model.pushes import CHART, PushEvent
from headwind.model.workloads import ObjectKey, Workload

from .catalog import TagCatalog

log = structlog.get_logger(__name__)

RETRY_AFTER_NOT_LEADER = 2
RETRY_AFTER_QUEUE_FULL = 5


class Refused(Exception):
    """The delivery cannot be taken now; ``retry_after`` seconds is a fair wait."""

    def __init__(self, reason: str, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Taken:
    events: int
    workloads: int


class PushIntake:
    """See the module docstring."""

    def __init__(
        self,
        catalog: TagCatalog,
        workloads: Mapping[str, Informer[Workload]],
        enqueue: Callable[[ObjectKey], bool],
        acting: Callable[[], bool],
    ) -> None:
        self._catalog = catalog
        self._workloads = workloads
        self._enqueue = enqueue
        self._acting = acting

    def take(self, events: Sequence[PushEvent]) -> Taken:
        """Record ``events`` and queue the workloads they concern; :class:`Refused` when not possible."""
        if not self._acting():
            raise Refused(
                "not-leader",
                "this replica is not the leader; retry (the webhook Service should select the leader)",
                RETRY_AFTER_NOT_LEADER,
            )
        queued: set[ObjectKey] = set()
        for event in events:
            if event.tag:
                self._catalog.record_push(event.key, event.tag, event.digest)
            if event.kind == CHART:
                log.info("chart pushed", chart=event.key, version=event.tag, source=event.source)
                continue
            for key in self._listening(event.key):
                if key not in queued and not self._enqueue(key):
                    raise Refused(
                        "queue-full", "the dispatcher's queue is full; retry later", RETRY_AFTER_QUEUE_FULL
                    )
                queued.add(key)
        return Taken(len(events), len(queued))

    def _listening(self, repository: str) -> Iterable[ObjectKey]:
        """Keys of the workloads running ``repository`` that heed webhooks."""
        for informer in self._workloads.values():
            for workload in informer.by_index(REPOSITORY_INDEX, repository):
                if _heeds_webhooks(workload):
                    yield workload.key


def _heeds_webhooks(workload: Workload) -> bool:
    try:
        return EventSource.WEBHOOK in event_sources(workload.annotations)
    except InvalidPolicy:
        return True  # the dispatcher's decision names the bad annotation
