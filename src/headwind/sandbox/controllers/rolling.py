"""The Deployment controller's arithmetic, free of I/O: how far to scale which ReplicaSet, and revisions.

These are ports of the real controller's rules (``pkg/controller/deployment/util`` and
``rolling.go``), kept apart from the controller so that they read like the originals:

- *fenceposts*: ``maxSurge`` rounds up, ``maxUnavailable`` rounds down, and if both come out zero
  ``maxUnavailable`` is 1. So 3 replicas with the default 25%/25% allow one extra Pod and no
  unavailable one: a new ReplicaSet whose Pods never become ready stops at 1 replica while the old
  one keeps all 3, which is why a bad image never takes a service down.
- scale-up of the new ReplicaSet is bounded by ``replicas + maxSurge`` Pods in total; scale-down of
  old ones first removes their unavailable Pods, then only as far as ``replicas - maxUnavailable``
  Pods stay available, oldest ReplicaSet first.
- revisions: the new ReplicaSet's ``deployment.kubernetes.io/revision`` is one more than any old
  one's; a ReplicaSet that becomes new again (a rollback) keeps its former numbers in
  ``revision-history``.

The functions take and return plain numbers and annotation maps; the controller does the writes.
"""

from __future__ import annotations

import math
from typing import Any

Object = dict[str, Any]

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
_NOT_COPIED = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        REVISION_HISTORY,
        DESIRED_REPLICAS,
        MAX_REPLICAS,
        "deprecated.deployment.rollback.to",
    }
)
MAX_HISTORY_CHARS = 2000


def spec_replicas(obj: Object) -> int:
    return int((obj.get("spec") or {}).get("replicas", 1))


def status_count(obj: Object, field: str) -> int:
    return int((obj.get("status") or {}).get(field, 0))


def scaled(value: int | str | None, total: int, round_up: bool) -> int:
    """``GetScaledValueFromIntOrPercent``."""
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value or 0)


def is_recreate(deploy: Object) -> bool:
    return ((deploy["spec"].get("strategy") or {}).get("type") or "RollingUpdate") == "Recreate"


def fenceposts(deploy: Object) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) in Pods: ``MaxSurge`` and ``MaxUnavailable`` of the real controller."""
    if is_recreate(deploy):
        return 0, 0
    replicas = spec_replicas(deploy)
    rolling = (deploy["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    surge = scaled(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = scaled(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def new_replicas(deploy: Object, all_sets: list[Object], current: int) -> int:
    """``NewRSNewReplicas``: how far the new ReplicaSet may grow now (from ``current``)."""
    replicas = spec_replicas(deploy)
    if is_recreate(deploy):
        return replicas
    surge, _ = fenceposts(deploy)
    pods = sum(spec_replicas(rs) for rs in all_sets)
    if pods >= replicas + surge:
        return current
    return current + min(replicas + surge - pods, replicas - current)


def _by_age(sets: list[Object]) -> list[Object]:
    return sorted(sets, key=lambda rs: (rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"]))


def old_scale_down(deploy: Object, old_sets: list[Object], new_set: Object) -> dict[str, int]:
    """``reconcileOldReplicaSets``: new sizes of the old ReplicaSets that shrink now, by name."""
    active = [rs for rs in old_sets if spec_replicas(rs) > 0]
    if not active:
        return {}
    _, max_unavailable = fenceposts(deploy)
    min_available = spec_replicas(deploy) - max_unavailable
    new_unavailable = spec_replicas(new_set) - status_count(new_set, "availableReplicas")
    budget = sum(spec_replicas(rs) for rs in [*active, new_set]) - min_available - new_unavailable
    if budget <= 0:
        return {}
    sizes = {rs["metadata"]["name"]: spec_replicas(rs) for rs in active}
    for rs in _by_age(active):  # cleanupUnhealthyReplicas: unavailable Pods go first
        unhealthy = sizes[rs["metadata"]["name"]] - status_count(rs, "availableReplicas")
        cut = min(budget, max(unhealthy, 0))
        sizes[rs["metadata"]["name"]] -= cut
        budget -= cut
    available = sum(status_count(rs, "availableReplicas") for rs in [*active, new_set])
    excess = available - min_available
    for rs in _by_age(active):  # scaleDownOldReplicaSetsForRollingUpdate
        cut = min(sizes[rs["metadata"]["name"]], max(excess, 0))
        sizes[rs["metadata"]["name"]] -= cut
        excess -= cut
    return {
        rs["metadata"]["name"]: sizes[rs["metadata"]["name"]]
        for rs in active
        if sizes[rs["metadata"]["name"]] != spec_replicas(rs)
    }


def revision(obj: Object) -> int:
    text = (obj["metadata"].get("annotations") or {}).get(REVISION, "")
    return int(text) if text.isdigit() else 0


def max_revision(sets: list[Object]) -> int:
    return max((revision(rs) for rs in sets), default=0)


def _append_history(history: str, old: str) -> str:
    revisions = [r for r in history.split(",") if r] + [old]
    while revisions and len(",".join(revisions)) > MAX_HISTORY_CHARS:
        revisions.pop(0)
    return ",".join(revisions)


def replicas_annotations(deploy: Object) -> dict[str, str]:
    """``SetReplicasAnnotations``: the desired and maximum Pod counts of the Deployment."""
    surge, _ = fenceposts(deploy)
    return {DESIRED_REPLICAS: str(spec_replicas(deploy)), MAX_REPLICAS: str(spec_replicas(deploy) + surge)}


def new_set_annotations(
    deploy: Object, current: dict[str, str], new_revision: int, exists: bool
) -> dict[str, str]:
    """``SetNewReplicaSetAnnotations``: the annotations the new ReplicaSet should carry."""
    annotations = dict(current)
    for key, value in (deploy["metadata"].get("annotations") or {}).items():
        if key not in _NOT_COPIED:
            annotations[key] = value
    old = annotations.get(REVISION, "")
    if (int(old) if old.isdigit() else 0) < new_revision:
        annotations[REVISION] = str(new_revision)
        if old:
            annotations[REVISION_HISTORY] = _append_history(annotations.get(REVISION_HISTORY, ""), old)
    if not exists:
        annotations.update(replicas_annotations(deploy))
    return annotations


def without_hash(template: Object) -> Object:
    """The template minus the ``pod-template-hash`` label (for ``EqualIgnoreHash``)."""
    metadata = dict(template.get("metadata") or {})
    labels = {k: v for k, v in (metadata.get("labels") or {}).items() if k != HASH_LABEL}
    metadata["labels"] = labels
    return {**template, "metadata": metadata}
