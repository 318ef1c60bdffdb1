"""The DaemonSet controller: one Pod per eligible Node, replaced node by node on a template change.

A DaemonSet's rollout is judged by counters, not conditions (``updatedNumberScheduled``,
``numberAvailable`` against ``desiredNumberScheduled``), and a bad image stops it after
``maxUnavailable`` Nodes: the real controller deletes an old Pod only while fewer than
``maxUnavailable`` updated Pods are unavailable, and an old Pod that is itself unavailable is replaced
at once. This module ports that rule (``rollingUpdate`` with ``maxSurge`` 0, ``daemon/update.go``).

Eligible Nodes are the ready ones (a Node without a Ready condition counts as ready, so a bare Node
object created by a test works) whose labels match the template's ``nodeSelector``; taints,
tolerations and affinity are not simulated. The emulator creates the Node objects; a Node added,
changed or deleted wakes every DaemonSet. ``maxSurge`` > 0 (surge Pods next to old ones) is not
simulated: the update proceeds as with ``maxSurge`` 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..storage import Change, Key
from .ownership import Object, key_of, omit_zero
from .pods import NODES, available_from, compute_hash, is_ready, node_ready, pod_from_template
from .revisions import POD_REVISION_LABEL, RevisionedController
from .rolling import scaled

TEMPLATE_GENERATION_LABEL = "pod-template-generation"


def _hash(pod: Object) -> str | None:
    labels: dict[str, str] = pod["metadata"].get("labels") or {}
    return labels.get(POD_REVISION_LABEL)


def _max_unavailable(ds: Object, desired: int) -> int:
    rolling = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
    return scaled(rolling.get("maxUnavailable", 1), desired, round_up=True) or 1


class DaemonSetController(RevisionedController):
    name = "daemonset"
    kind = "DaemonSet"
    storage = "daemonsets.apps"
    hash_label = POD_REVISION_LABEL

    def revision_hash(self, owner: Object, data: Object, collision_count: int) -> str:
        return compute_hash(owner["spec"]["template"], collision_count)

    def wants(self, change: Change) -> Iterable[Key]:
        if change.storage == NODES:
            return [
                (self.storage, ds["metadata"]["namespace"], ds["metadata"]["name"])
                for ds in self.api.store.items(self.storage)
            ]
        return super().wants(change)

    def reconcile(self, key: Key) -> None:
        ds = self.live(key)
        if ds is None:
            return
        history = self.history(ds)
        digest = history.update["metadata"]["labels"][POD_REVISION_LABEL]
        nodes = self._eligible_nodes(ds)
        if not self._manage(ds, nodes, digest) and self._rolling(ds):
            self._replace(ds, nodes, digest)
        by_node = self._pods_by_node(ds)
        self.write_status(key, self._status(ds, nodes, by_node, digest, history.collision_count))
        in_use = {_hash(pod) for pods in by_node.values() for pod in pods} | {digest}
        self.prune(
            ds,
            history,
            {
                r["metadata"]["name"]
                for r in history.revisions
                if r["metadata"]["labels"].get(self.hash_label) in in_use
            },
        )

    def _eligible_nodes(self, ds: Object) -> list[str]:
        selector = (ds["spec"]["template"].get("spec") or {}).get("nodeSelector") or {}
        return [
            node["metadata"]["name"]
            for node in self.api.store.items(NODES)
            if node_ready(node)
            and all((node["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
        ]

    def _pods_by_node(self, ds: Object) -> dict[str, list[Object]]:
        by_node: dict[str, list[Object]] = {}
        for pod in self.refresh(self.active_pods(ds)):
            by_node.setdefault(pod["spec"].get("nodeName", ""), []).append(pod)
        for pods in by_node.values():
            pods.sort(key=lambda pod: (pod["metadata"].get("creationTimestamp", ""), pod["metadata"]["name"]))
        return by_node

    def _rolling(self, ds: Object) -> bool:
        return ((ds["spec"].get("updateStrategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"

    def _manage(self, ds: Object, nodes: list[str], digest: str) -> bool:
        """``manage``: a Pod on every eligible Node, none elsewhere, at most one (the oldest) per Node."""
        by_node = self._pods_by_node(ds)
        doomed = [pod for name, pods in by_node.items() for pod in (pods if name not in nodes else pods[1:])]
        for pod in doomed:
            self.delete_pod(pod)
        missing = [name for name in nodes if name not in by_node]
        for name in missing:
            self._create(ds, name, digest)
        return bool(doomed or missing)

    def _create(self, ds: Object, node: str, digest: str) -> None:
        metadata = ds["metadata"]
        prefix = f"{metadata['name']}-"
        labels = {POD_REVISION_LABEL: digest, TEMPLATE_GENERATION_LABEL: str(metadata.get("generation", 1))}
        pod = pod_from_template(
            ds, ds["spec"]["template"], self.unused_name(metadata["namespace"], prefix), labels
        )
        pod["metadata"]["generateName"] = prefix
        pod["spec"]["nodeName"] = node
        self.create_pod(pod)

    def _replace(self, ds: Object, nodes: list[str], digest: str) -> None:
        """``rollingUpdate``: delete old Pods while the updated ones leave room under maxUnavailable."""
        by_node = self._pods_by_node(ds)
        min_ready, key = ds["spec"].get("minReadySeconds", 0), key_of(self.storage, ds)
        unavailable, broken, candidates = 0, [], []
        for name in nodes:
            pod = by_node[name][0]
            moment = available_from(pod, min_ready)
            available = moment is not None and self.has_passed(key, moment)
            if _hash(pod) == digest:
                unavailable += not available
            elif not available:
                broken.append(pod)
            else:
                candidates.append(pod)
        room = max(_max_unavailable(ds, len(nodes)) - unavailable, 0)
        for pod in broken + candidates[:room]:
            self.delete_pod(pod)

    def _status(
        self, ds: Object, nodes: list[str], by_node: dict[str, list[Object]], digest: str, collisions: int
    ) -> Object:
        scheduled = [pods[0] for name, pods in by_node.items() if name in nodes]
        available = self.count_available(ds, scheduled, ds["spec"].get("minReadySeconds", 0))
        status: Object = {
            "currentNumberScheduled": len(scheduled),
            "numberMisscheduled": sum(len(pods) for name, pods in by_node.items() if name not in nodes),
            "desiredNumberScheduled": len(nodes),
            "numberReady": sum(is_ready(pod) for pod in scheduled),
            "observedGeneration": ds["metadata"].get("generation", 0),
            "updatedNumberScheduled": sum(_hash(pod) == digest for pod in scheduled),
            "numberAvailable": available,
            "numberUnavailable": len(nodes) - available,
            "collisionCount": collisions,
        }
        return omit_zero(
            status, "currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady"
        )
