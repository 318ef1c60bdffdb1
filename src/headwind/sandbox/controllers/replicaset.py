"""The ReplicaSet controller: keep ``spec.replicas`` Pods of the template running, and count them.

Deployments only ever scale ReplicaSets; it is this controller's status (``readyReplicas``,
``availableReplicas``) that tells the Deployment controller whether a rollout may continue, just as
on a cluster. Pods are named ``<replicaset>-<5 characters>`` like ``generateName`` does. When there
are too many, the ones least far along go first (unscheduled, then pending, then not ready, then the
newest), the order of the real controller's ``ActivePods`` ranking, so scaling down during a bad
rollout removes the broken Pods before the healthy ones.
"""

from __future__ import annotations

from ..storage import Key
from .ownership import Object, omit_zero
from .pods import PodOwnerController, is_ready, parse_timestamp, pod_from_template

_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def _deletion_rank(pod: Object) -> tuple[bool, int, bool, float]:
    """Sorts the Pods to delete first to the front."""
    created = parse_timestamp(pod["metadata"]["creationTimestamp"]).timestamp()
    phase = (pod.get("status") or {}).get("phase", "Pending")
    return bool(pod["spec"].get("nodeName")), _PHASE_RANK.get(phase, 0), is_ready(pod), -created


def _fully_labeled(pod: Object, labels: dict[str, str]) -> bool:
    present = pod["metadata"].get("labels") or {}
    return all(present.get(key) == value for key, value in labels.items())


class ReplicaSetController(PodOwnerController):
    name = "replicaset"
    kind = "ReplicaSet"
    storage = "replicasets.apps"

    def reconcile(self, key: Key) -> None:
        replica_set = self.live(key)
        if replica_set is None:
            return
        pods = self.refresh(self.active_pods(replica_set))
        wanted = replica_set["spec"].get("replicas", 1)
        if len(pods) < wanted:
            pods += [self._start(replica_set) for _ in range(wanted - len(pods))]
        elif len(pods) > wanted:
            ranked = sorted(pods, key=_deletion_rank)
            for pod in ranked[: len(pods) - wanted]:
                self.delete_pod(pod)
            pods = ranked[len(pods) - wanted :]
        self.write_status(key, self._status(replica_set, pods))

    def _start(self, replica_set: Object) -> Object:
        metadata = replica_set["metadata"]
        prefix = f"{metadata['name']}-"
        pod = pod_from_template(
            replica_set, replica_set["spec"]["template"], self.unused_name(metadata["namespace"], prefix), {}
        )
        pod["metadata"]["generateName"] = prefix
        return self.create_pod(self.schedule(pod))

    def _status(self, replica_set: Object, pods: list[Object]) -> Object:
        spec = replica_set["spec"]
        labels = (spec["template"].get("metadata") or {}).get("labels") or {}
        status = {
            "replicas": len(pods),
            "fullyLabeledReplicas": sum(_fully_labeled(pod, labels) for pod in pods),
            "readyReplicas": sum(is_ready(pod) for pod in pods),
            "availableReplicas": self.count_available(replica_set, pods, spec.get("minReadySeconds", 0)),
            "observedGeneration": replica_set["metadata"].get("generation", 0),
        }
        return omit_zero(status, "replicas")
