"""Pods of simulated workloads: naming, hashing, scheduling, creation, readiness.

ReplicaSets, StatefulSets and DaemonSets all make Pods from a pod template and judge them by the
same rules (a Pod is *available* once it has been Ready for ``minReadySeconds``), so those rules live
here once. :class:`PodOwnerController` is their common base: it creates a Pod and immediately writes
the status a kubelet would report (``podstatus.py``), and re-reports its Pods when the health
oracle changes its mind.

Template hashes follow Kubernetes' recipe in spirit: a 32-bit FNV-1a over the template (canonical
JSON here, Go's object dump there), plus the collision count, spelled in the alphabet of
``rand.SafeEncodeString`` so it is a valid label value and never forms a word.

Scheduling is deliberately simple: a Pod goes to a ready, schedulable Node picked by a stable hash of
its name; with no such Node it stays ``Pending`` as ``Unschedulable``, and is not retried later.
"""

from __future__ import annotations

import copy
import json
import random
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ..apiserver import ApiServer
from ..clock import timestamp
from .health import HealthOracle
from .ownership import Object, OwnerController, key_of, owner_reference
from .podstatus import reported, running_status, unschedulable_status, verdicts

NODES, PODS = "nodes", "pods"
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_FNV_OFFSET, _FNV_PRIME = 0x811C9DC5, 0x01000193


def fnv32a(data: bytes) -> int:
    value = _FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def safe_encode(text: str) -> str:
    """``rand.SafeEncodeString``: each character mapped into an alphabet without vowels."""
    return "".join(SAFE_ALPHABET[ord(char) % len(SAFE_ALPHABET)] for char in text)


def compute_hash(value: Any, collision_count: int | None = None) -> str:
    """A stable short hash of a JSON value (a pod template, a revision's data), ~10 characters."""
    data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(fnv32a(data)))


def parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _condition(obj: Object, kind: str) -> Object | None:
    for condition in (obj.get("status") or {}).get("conditions") or ():
        if condition.get("type") == kind:
            found: Object = condition
            return found
    return None


def ready_since(pod: Object) -> datetime | None:
    """When the Pod became Ready, or None if it is not Ready."""
    ready = _condition(pod, "Ready")
    if ready is None or ready.get("status") != "True":
        return None
    return parse_timestamp(ready["lastTransitionTime"])


def available_from(pod: Object, min_ready_seconds: int) -> datetime | None:
    """When the Pod counts as available (Ready for ``minReadySeconds``); None while it is not Ready.

    Inclusive, unlike ``IsPodAvailable``, so that advancing a manual clock by exactly
    ``minReadySeconds`` makes the Pod available.
    """
    since = ready_since(pod)
    return None if since is None else since + timedelta(seconds=min_ready_seconds)


def is_ready(pod: Object) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and ready_since(pod) is not None


def is_active(pod: Object) -> bool:
    """Counted by its controller: not finished and not being deleted (``FilterActivePods``)."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def node_ready(node: Object) -> bool:
    """A Node is ready unless its Ready condition says otherwise (a bare Node object counts as ready)."""
    ready = _condition(node, "Ready")
    return ready is None or ready.get("status") == "True"


def host_ip(node: Object | None) -> str | None:
    for address in ((node or {}).get("status") or {}).get("addresses") or ():
        if address.get("type") == "InternalIP":
            return str(address["address"])
    return None


def pod_from_template(owner: Object, template: Object, name: str, labels: dict[str, str]) -> Object:
    """A Pod of ``template`` controlled by ``owner``, with extra labels."""
    template_meta = template.get("metadata") or {}
    metadata: Object = {
        "name": name,
        "namespace": owner["metadata"]["namespace"],
        "labels": {**(template_meta.get("labels") or {}), **labels},
        "ownerReferences": [owner_reference(owner)],
    }
    if template_meta.get("annotations"):
        metadata["annotations"] = dict(template_meta["annotations"])
    spec = copy.deepcopy(template.get("spec") or {})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


class PodOwnerController(OwnerController):
    """A controller that runs Pods, reports their status as a kubelet would and counts them."""

    owns: ClassVar[tuple[str, ...]] = (PODS,)

    def __init__(self, api: ApiServer, health: HealthOracle) -> None:
        super().__init__(api)
        self.health = health
        self.pods_type = api.type_of(PODS)
        health.subscribe(self.enqueue_all)

    def now(self) -> datetime:
        return self.api.clock.now()

    def active_pods(self, owner: Object) -> list[Object]:
        return [pod for pod in self.owned(owner, PODS) if is_active(pod)]

    def unused_name(self, namespace: str, prefix: str) -> str:
        """``generateName`` as the apiserver spells it: the prefix and five safe characters."""
        while True:
            name = prefix + "".join(random.choices(SAFE_ALPHABET, k=5))
            if self.api.store.get(PODS, namespace, name) is None:
                return name

    def schedule(self, pod: Object) -> Object:
        """Bind the Pod to a ready, schedulable Node (a stable choice by its name), if there is one."""
        nodes = [
            node["metadata"]["name"]
            for node in self.api.store.items(NODES)
            if node_ready(node) and not (node.get("spec") or {}).get("unschedulable")
        ]
        if nodes:
            pod["spec"]["nodeName"] = nodes[zlib.crc32(pod["metadata"]["name"].encode()) % len(nodes)]
        return pod

    def create_pod(self, pod: Object) -> Object:
        """Create the Pod, then report the status its kubelet would."""
        created = self.api.create(self.pods_type, pod["metadata"]["namespace"], pod)
        return self._report(created)

    def delete_pod(self, pod: Object) -> None:
        metadata = pod["metadata"]
        self.api.delete(self.pods_type, metadata["namespace"], metadata["name"])

    def refresh(self, pods: list[Object]) -> list[Object]:
        """Re-report Pods whose reported container states no longer match the oracle's verdicts."""
        return [
            self._report(pod)
            if (pod.get("spec") or {}).get("nodeName") and reported(pod) != verdicts(pod, self.health)
            else pod
            for pod in pods
        ]

    def _report(self, pod: Object) -> Object:
        now = timestamp(self.now())
        node_name = (pod.get("spec") or {}).get("nodeName")
        if node_name:
            node = self.api.store.get(NODES, "", node_name)
            status = running_status(pod, self.health, host_ip(node), now)
        else:
            status = unschedulable_status(pod, self.api.store.count(NODES), now)
        metadata = pod["metadata"]
        body = {**pod, "status": status}
        return self.api.update(
            self.pods_type, metadata["namespace"], metadata["name"], body, subresource="status"
        )

    def count_available(self, owner: Object, pods: list[Object], min_ready_seconds: int) -> int:
        """Pods Ready for at least ``min_ready_seconds``; wakes the owner when the next one will be."""
        key = key_of(self.storage, owner)
        moments = [moment for pod in pods if (moment := available_from(pod, min_ready_seconds)) is not None]
        waiting = [moment for moment in moments if not self.has_passed(key, moment)]
        if waiting:
            self.requeue_at(key, min(waiting))
        return len(moments) - len(waiting)
