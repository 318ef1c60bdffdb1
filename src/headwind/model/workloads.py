"""Workloads as Headwind sees them: a table of kinds, keys, and slim projections of objects.

Headwind (Rust) has a near-identical 700-line controller per workload kind. Here a kind is data:
where its API lives and where its containers sit in the object (a CronJob's pod template is two
levels deeper than a Deployment's). Everything downstream works on :class:`Workload`, a slim
projection holding only what decisions need — identity, versions, annotations, containers and
their images, pull credentials, owners, status essentials — never the whole object, so caching
ten thousand workloads costs little and nothing reads fields it did not ask for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WorkloadKind:
    """A kind of workload Headwind updates, and where its pod template lives."""

    kind: str
    group: str
    version: str
    plural: str
    template_path: tuple[str, ...]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def pod_spec(self, obj: Mapping[str, Any]) -> Mapping[str, Any]:
        node: Any = obj
        for step in (*self.template_path, "spec"):
            node = node.get(step) if isinstance(node, Mapping) else None
        return node if isinstance(node, Mapping) else {}


DEPLOYMENT = WorkloadKind("Deployment", "apps", "v1", "deployments", ("spec", "template"))
STATEFULSET = WorkloadKind("StatefulSet", "apps", "v1", "statefulsets", ("spec", "template"))
DAEMONSET = WorkloadKind("DaemonSet", "apps", "v1", "daemonsets", ("spec", "template"))
CRONJOB = WorkloadKind("CronJob", "batch", "v1", "cronjobs", ("spec", "jobTemplate", "spec", "template"))

WORKLOAD_KINDS: tuple[WorkloadKind, ...] = (DEPLOYMENT, STATEFULSET, DAEMONSET, CRONJOB)
KINDS_BY_NAME: Mapping[str, WorkloadKind] = {kind.kind: kind for kind in WORKLOAD_KINDS}


@dataclass(frozen=True, order=True)
class ObjectKey:
    """``kind namespace/name``: how work items, logs and indexes name an object."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def log_fields(self) -> dict[str, str]:
        """The ``kind``/``namespace``/``name`` every log line about an object carries."""
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    init: bool = False


@dataclass(frozen=True)
class OwnerRef:
    kind: str
    name: str
    uid: str
    controller: bool


@dataclass(frozen=True)
class Workload:
    """The slim projection of a workload object."""

    key: ObjectKey
    uid: str
    resource_version: str
    generation: int
    annotations: Mapping[str, str]
    labels: Mapping[str, str]
    containers: tuple[Container, ...]
    image_pull_secrets: tuple[str, ...]
    service_account: str
    owners: tuple[OwnerRef, ...]
    observed_generation: int
    replicas: int
    ready_replicas: int
    updated_replicas: int
    conditions: Mapping[str, str]
    deleting: bool = False

    def images(self) -> tuple[str, ...]:
        return tuple(container.image for container in self.containers)


def string_map(value: Any) -> dict[str, str]:
    """A JSON map of strings (labels, annotations), or {} for anything else."""
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def int_or_zero(value: Any) -> int:
    """A JSON integer, or 0 for anything else (booleans are not integers here)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _containers(pod_spec: Mapping[str, Any]) -> tuple[Container, ...]:
    found: list[Container] = []
    for field, init in (("initContainers", True), ("containers", False)):
        for container in pod_spec.get(field) or ():
            if isinstance(container, Mapping) and container.get("name"):
                found.append(Container(str(container["name"]), str(container.get("image", "")), init))
    return tuple(found)


def _status_replicas(kind: WorkloadKind, status: Mapping[str, Any]) -> tuple[int, int, int]:
    """replicas, ready, updated, whatever each kind calls them."""
    if kind is DAEMONSET:
        return (
            int_or_zero(status.get("desiredNumberScheduled")),
            int_or_zero(status.get("numberReady")),
            int_or_zero(status.get("updatedNumberScheduled")),
        )
    return (
        int_or_zero(status.get("replicas")),
        int_or_zero(status.get("readyReplicas")),
        int_or_zero(status.get("updatedReplicas")),
    )


def project(kind: WorkloadKind, obj: Mapping[str, Any]) -> Workload:
    """The projection of one workload object as the API returned it (raw JSON)."""
    metadata = obj.get("metadata") or {}
    status = obj.get("status") or {}
    pod_spec = kind.pod_spec(obj)
    replicas, ready, updated = _status_replicas(kind, status)
    return Workload(
        key=ObjectKey(kind.kind, str(metadata.get("namespace", "")), str(metadata.get("name", ""))),
        uid=str(metadata.get("uid", "")),
        resource_version=str(metadata.get("resourceVersion", "")),
        generation=int_or_zero(metadata.get("generation")),
        annotations=string_map(metadata.get("annotations")),
        labels=string_map(metadata.get("labels")),
        containers=_containers(pod_spec),
        image_pull_secrets=tuple(
            str(ref["name"])
            for ref in pod_spec.get("imagePullSecrets") or ()
            if isinstance(ref, Mapping) and ref.get("name")
        ),
        service_account=str(pod_spec.get("serviceAccountName") or "default"),
        owners=tuple(
            OwnerRef(
                str(ref.get("kind", "")),
                str(ref.get("name", "")),
                str(ref.get("uid", "")),
                bool(ref.get("controller")),
            )
            for ref in metadata.get("ownerReferences") or ()
            if isinstance(ref, Mapping)
        ),
        observed_generation=int_or_zero(status.get("observedGeneration")),
        replicas=replicas,
        ready_replicas=ready,
        updated_replicas=updated,
        conditions={
            str(c.get("type")): str(c.get("status"))
            for c in status.get("conditions") or ()
            if isinstance(c, Mapping) and c.get("type")
        },
        deleting=bool(metadata.get("deletionTimestamp")),
    )
