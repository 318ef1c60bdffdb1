"""The StatefulSet controller: ordered Pods ``<name>-0..N-1`` and a one-at-a-time rolling update.

StatefulSets roll differently from Deployments, and an operator that rolls them back must know how:
Pods are replaced in place from the highest ordinal down, each one only after the previous is Running
and Ready, so a bad image stops the rollout at the highest ordinal with every other Pod untouched. The
status tells the story through revisions rather than conditions: ``updateRevision`` is the
ControllerRevision of the current template, ``currentRevision`` the one the Pods had before, and the
two converge when every Pod is updated and ready.

Simulated as real (``stateful_set_control.go``): ``OrderedReady`` (wait for each Pod) and
``Parallel`` management; ``rollingUpdate.partition`` (ordinals below it keep the current revision);
``OnDelete`` (nothing is replaced; a Pod deleted by hand comes back at the update revision, and
``currentRevision`` never moves, as on a cluster). Also as real, reverting the template of a stuck
rollout does not repair it: the broken Pod is not Ready, so the controller waits for it forever until
someone deletes it ("forced rollback" in the Kubernetes docs).

Not simulated: PersistentVolumeClaims from ``volumeClaimTemplates``, ``maxUnavailable``, and
``persistentVolumeClaimRetentionPolicy``.
"""

from __future__ import annotations

from ..storage import Key
from .ownership import Object, omit_zero
from .pods import compute_hash, is_ready, pod_from_template
from .revisions import POD_REVISION_LABEL, History, RevisionedController, template_of
from .rolling import spec_replicas

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def _strategy(sts: Object) -> tuple[str, int]:
    """The update strategy type and the partition (0 unless a RollingUpdate sets one)."""
    strategy = sts["spec"].get("updateStrategy") or {}
    kind = strategy.get("type") or "RollingUpdate"
    partition = (strategy.get("rollingUpdate") or {}).get("partition") or 0
    return kind, int(partition) if kind == "RollingUpdate" else 0


def _revision(pod: Object) -> str | None:
    labels: dict[str, str] = pod["metadata"].get("labels") or {}
    return labels.get(POD_REVISION_LABEL)


class StatefulSetController(RevisionedController):
    name = "statefulset"
    kind = "StatefulSet"
    storage = "statefulsets.apps"
    hash_label = "controller.kubernetes.io/hash"

    def revision_hash(self, owner: Object, data: Object, collision_count: int) -> str:
        return compute_hash(data, collision_count)

    def reconcile(self, key: Key) -> None:
        sts = self.live(key)
        if sts is None:
            return
        history = self.history(sts)
        current = history.named((sts.get("status") or {}).get("currentRevision")) or history.update
        self._step(sts, self._pods(sts), current, history.update)
        pods = list(self._pods(sts).values())
        self.write_status(key, self._status(sts, pods, current, history))
        live = {current["metadata"]["name"], history.update["metadata"]["name"]}
        self.prune(sts, history, live | {r for pod in pods if (r := _revision(pod))})

    def _pods(self, sts: Object) -> dict[int, Object]:
        """The live Pods by ordinal (Pods whose names do not follow ``<name>-<ordinal>`` are ignored)."""
        prefix = sts["metadata"]["name"] + "-"
        by_ordinal = {}
        for pod in self.refresh(self.active_pods(sts)):
            suffix = pod["metadata"]["name"].removeprefix(prefix)
            if pod["metadata"]["name"].startswith(prefix) and suffix.isdigit():
                by_ordinal[int(suffix)] = pod
        return by_ordinal

    def _step(self, sts: Object, pods: dict[int, Object], current: Object, update: Object) -> None:
        """One pass of ``updateStatefulSet``: create, then delete condemned, then replace one Pod."""
        replicas = spec_replicas(sts)
        ordered = sts["spec"].get("podManagementPolicy", "OrderedReady") != "Parallel"
        kind, partition = _strategy(sts)
        for ordinal in range(replicas):
            pod = pods.get(ordinal)
            if pod is None:
                at_current = kind == "RollingUpdate" and ordinal < partition
                self._create(sts, ordinal, current if at_current else update)
                if ordered:
                    return
            elif ordered and not is_ready(pod):
                return
        condemned = sorted((ordinal for ordinal in pods if ordinal >= replicas), reverse=True)
        for ordinal in condemned[:1] if ordered else condemned:
            self.delete_pod(pods[ordinal])
        if condemned or kind != "RollingUpdate":
            return
        for ordinal in range(replicas - 1, partition - 1, -1):
            pod = pods.get(ordinal)
            if pod is not None and _revision(pod) != update["metadata"]["name"]:
                self.delete_pod(pod)
                return
            if pod is None or not is_ready(pod):
                return

    def _create(self, sts: Object, ordinal: int, revision: Object) -> None:
        name = f"{sts['metadata']['name']}-{ordinal}"
        labels = {
            POD_REVISION_LABEL: revision["metadata"]["name"],
            POD_NAME_LABEL: name,
            POD_INDEX_LABEL: str(ordinal),
        }
        pod = pod_from_template(sts, template_of(revision), name, labels)
        pod["spec"]["hostname"] = name
        if sts["spec"].get("serviceName"):
            pod["spec"]["subdomain"] = sts["spec"]["serviceName"]
        self.create_pod(self.schedule(pod))

    def _status(self, sts: Object, pods: list[Object], current: Object, history: History) -> Object:
        current_name, update_name = current["metadata"]["name"], history.update["metadata"]["name"]
        revisions = [_revision(pod) for pod in pods]
        status: Object = {
            "observedGeneration": sts["metadata"].get("generation", 0),
            "replicas": len(pods),
            "readyReplicas": sum(is_ready(pod) for pod in pods),
            "currentReplicas": revisions.count(current_name),
            "updatedReplicas": revisions.count(update_name),
            "currentRevision": current_name,
            "updateRevision": update_name,
            "collisionCount": history.collision_count,
            "availableReplicas": self.count_available(sts, pods, sts["spec"].get("minReadySeconds", 0)),
        }
        done = status["updatedReplicas"] == status["replicas"] == status["readyReplicas"]
        if _strategy(sts)[0] == "RollingUpdate" and done:
            status.update(currentRevision=update_name, currentReplicas=status["updatedReplicas"])
        return omit_zero(status, "replicas", "availableReplicas", "collisionCount")
