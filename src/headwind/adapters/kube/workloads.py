"""The informers of the four workload kinds, indexed by the image repositories they run.

A registry event says "``docker.io/library/nginx`` has a new tag"; the question that follows is
"which workloads run that repository?". Each workload informer keeps the index
:data:`REPOSITORY_INDEX`: normalized repository (:func:`~headwind.model.image.repository_of`,
the same function every event source uses) → the workloads with a container (or init container)
running it, so the answer is one dictionary lookup and never a LIST.

They also keep Headwind's ``headwind_<kind>s_watched`` gauges: how many cached workloads carry a
``headwind.sh/policy`` annotation, counted incrementally from each change (no scan per event).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Protocol

from kubernetes_asyncio.client import ApiClient

from headwind.adapters.metrics import Metrics
from headwind.model.annotations import POLICY
from headwind.model.image import repository_of
from headwind.model.workloads import WORKLOAD_KINDS, ObjectKey, Workload, project

from .informer import Informer, InformerSettings
from .resources import workload_spec

REPOSITORY_INDEX = "repository"


def repositories(workload: Workload) -> set[str]:
    """The normalized repositories of every container and init container of ``workload``."""
    return {repository_of(container.image) for container in workload.containers if container.image.strip()}


def workload_key(workload: Workload) -> ObjectKey:
    return workload.key


def workload_informers(
    api: ApiClient,
    metrics: Metrics,
    namespaces: Sequence[str] = (),
    *,
    settings: InformerSettings | None = None,
) -> dict[str, Informer[Workload]]:
    """One informer per workload kind, keyed by kind name (``Deployment``...); none is started yet."""
    informers: dict[str, Informer[Workload]] = {}
    for kind in WORKLOAD_KINDS:
        informer: Informer[Workload] = Informer(
            api,
            workload_spec(kind),
            functools.partial(project, kind),
            workload_key,
            metrics,
            namespaces,
            settings=settings,
        )
        informer.add_index(REPOSITORY_INDEX, repositories)
        informer.add_handler(WatchedGauge(metrics, kind.kind))
        informers[kind.kind] = informer
    return informers


class Annotated(Protocol):
    @property
    def annotations(self) -> Mapping[str, str]: ...


class WatchedGauge:
    """An informer handler keeping ``metrics.watched[kind]`` equal to the number of cached objects
    with a policy annotation (Headwind's ``headwind_<kind>s_watched``), without scanning per event."""

    def __init__(self, metrics: Metrics, kind: str) -> None:
        self._gauge = metrics.watched.get(kind)
        self._count = 0
        if self._gauge is not None:
            self._gauge.set(0)

    def __call__(self, event_type: str, old: Annotated | None, new: Annotated | None) -> None:
        delta = _annotated(new) - _annotated(old)
        if delta and self._gauge is not None:
            self._count += delta
            self._gauge.set(self._count)


def _annotated(obj: Annotated | None) -> int:
    return int(obj is not None and POLICY in obj.annotations)
