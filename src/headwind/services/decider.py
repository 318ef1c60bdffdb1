"""Deciding about one workload: for each tracked container, what its policy chooses among known tags.

This is the dispatcher's ``decide`` for workloads. It reads only what is already in memory -- the
informer's projection of the workload and the :class:`~headwind.services.catalog.TagCatalog` --
and performs no I/O, so a decision is cheap, repeatable and testable without a cluster. For each
container it resolves the policy from the annotations (per-container overrides included), parses
the image reference, gathers the candidates the workload's event sources know, and runs
:func:`~headwind.model.selection.select`. The result is one :class:`Decision`:

* ``update-available`` with a :class:`ContainerChange` per container that would move (the new
  image spelled as the pod spec spells it, pinned by digest when the old one was or when the
  ``digest`` policy chose);
* ``up-to-date``, ``not-tracked`` or ``invalid`` (annotations that cannot be used, with every
  offending key named -- logged once per change of the workload's resourceVersion);
* ``gone`` when the workload was deleted meanwhile (never an exception: the dispatcher retries
  exceptions forever).

Applying a change (and approvals, history, rollback) is the update pipeline's job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog

from headwind.model.annotations import EventSource, container_policy, event_sources
from headwind.model.decisions import (
    GONE,
    INVALID,
    NOT_TRACKED,
    SEEN,
    UP_TO_DATE,
    UPDATE_AVAILABLE,
    ContainerChange,
    Decision,
)
from headwind.model.image import ImageRef, InvalidReference, parse_image
from headwind.model.policy import InvalidPolicy, Policy, PolicyKind
from headwind.model.selection import Candidate, select
from headwind.model.workloads import Container, ObjectKey, Workload

from .catalog import TagCatalog

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Verdict:
    change: ContainerChange | None
    note: str


class WorkloadDecider:
    """The ``decide`` function for workload keys; other kinds are recorded as seen."""

    def __init__(
        self,
        workloads: Mapping[str, Callable[[ObjectKey], Workload | None]],
        catalog: TagCatalog,
        clock: Callable[[], datetime],
    ) -> None:
        self._lookup = workloads
        self._catalog = catalog
        self._clock = clock
        self._reported: dict[ObjectKey, str] = {}

    async def __call__(self, key: ObjectKey) -> Decision:
        return self.decide(key)

    def decide(self, key: ObjectKey) -> Decision:
        lookup = self._lookup.get(key.kind)
        if lookup is None:
            return self._decision(key, SEEN, "observed by the dispatcher")
        workload = lookup(key)
        if workload is None or workload.deleting:
            self._reported.pop(key, None)
            return self._decision(key, GONE, "the workload no longer exists")
        try:
            sources = event_sources(workload.annotations)
            policies = {
                container.name: container_policy(workload.annotations, container.name)
                for container in workload.containers
            }
        except InvalidPolicy as error:
            return self._invalid(workload, error.problems)
        tracked = {
            name: policy for name, policy in policies.items() if policy and policy.kind is not PolicyKind.NONE
        }
        if not tracked:
            return self._decision(key, NOT_TRACKED, "no container has an update policy")
        if not sources:
            return self._decision(key, NOT_TRACKED, "headwind.sh/event-source is none")
        verdicts = [
            self._container(workload, container, tracked[container.name], sources)
            for container in workload.containers
            if container.name in tracked
        ]
        changes = tuple(verdict.change for verdict in verdicts if verdict.change is not None)
        reason = "; ".join(verdict.note for verdict in verdicts)
        return self._decision(key, UPDATE_AVAILABLE if changes else UP_TO_DATE, reason, changes)

    def _container(
        self, workload: Workload, container: Container, policy: Policy, sources: frozenset[EventSource]
    ) -> _Verdict:
        try:
            ref = parse_image(container.image)
        except InvalidReference as error:
            return _Verdict(None, f"{container.name}: {error.problem}")
        known = self._catalog.candidates(ref.repository, workload.key.namespace, sources)
        if not known:
            return _Verdict(None, f"{container.name}: no tags of {ref.repository} known yet")
        current_tag = ref.effective_tag or None
        running = ref.digest or (
            self._catalog.baseline_digest(ref.repository, workload.key.namespace, current_tag)
            if current_tag
            else None
        )
        selection = select(policy, current_tag, [candidate for candidate, _ in known], current_digest=running)
        target = selection.target
        if target is None:
            return _Verdict(None, f"{container.name}: {ref} is the newest {policy.kind.value} allows")
        if ref.pinned and target.digest is None:
            # Moving a pinned image to a bare tag would silently unpin it; wait for the digest
            # (polling reads it; so do webhooks of registries that report digests).
            return _Verdict(
                None,
                f"{container.name}: {target.tag} chosen, but its digest is not known yet and {ref} is "
                "pinned by digest; it stays pinned until the digest is known",
            )
        source = next(source for candidate, source in known if candidate.tag == target.tag)
        change = ContainerChange(
            container.name,
            container.image.strip(),
            _rewritten(ref, policy, target),
            policy.describe(),
            source.value,
        )
        return _Verdict(change, str(change))

    def _invalid(self, workload: Workload, problems: list[str]) -> Decision:
        reason = "; ".join(problems)
        if self._reported.get(workload.key) != workload.resource_version:
            self._reported[workload.key] = workload.resource_version
            log.warning("unusable headwind.sh annotations", problems=problems, **workload.key.log_fields())
        return self._decision(workload.key, INVALID, reason)

    def _decision(
        self, key: ObjectKey, outcome: str, reason: str, changes: tuple[ContainerChange, ...] = ()
    ) -> Decision:
        return Decision(key, outcome, reason, self._clock(), changes)


def _rewritten(ref: ImageRef, policy: Policy, target: Candidate) -> str:
    """The new image, spelled like the old: pinned when the digest policy chose or the old was pinned.

    The digest policy keeps the tag it follows in the reference, writing the implicit ``latest``
    out (``nginx`` becomes ``nginx:latest@sha256:...``): without it, the next decision would find no
    tag to follow.
    """
    if policy.kind is PolicyKind.DIGEST and target.digest:
        return ref.with_tag(target.tag, target.digest)
    return ref.with_tag(target.tag, target.digest if ref.pinned else None)
