"""The Deployment controller: one ReplicaSet per pod template, rolled by the real controller's rules.

This is the controller whose behaviour Headwind's automatic rollback depends on, so it follows
``pkg/controller/deployment`` step by step rather than jumping to an end state: each sync finds or
creates the new ReplicaSet (``<deployment>-<pod-template-hash>``), scales it up within ``maxSurge``,
scales old ones down within ``maxUnavailable`` as far as the ReplicaSets report available Pods, and
writes the status (``deployment_status.py``). The Pods' health comes from the ReplicaSet controller
and so, in the end, from the health oracle: nothing here looks at images.

A template that equals an old ReplicaSet's (a rollback, ``kubectl rollout undo``) makes that
ReplicaSet new again, with the next revision number; ``kubectl rollout history`` reads exactly these
annotations. ``spec.paused`` stops rollouts (no new ReplicaSet) but not scaling of a lone
ReplicaSet. The progress deadline is a timer on the sandbox clock, never a sleep.

Not simulated: proportional scaling of several ReplicaSets during a rollout, adoption of orphaned
ReplicaSets by selector, ``ReplicaFailure`` conditions, and Events.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import ClassVar

from ..clock import timestamp
from ..errors import ApiError
from ..storage import Key
from . import deployment_status as conditions
from . import rolling
from .ownership import Object, OwnerController, controller_ref, omit_zero, owner_reference
from .pods import compute_hash

REPLICASETS = "replicasets.apps"


class DeploymentController(OwnerController):
    name = "deployment"
    kind = "Deployment"
    storage = "deployments.apps"
    owns: ClassVar[tuple[str, ...]] = (REPLICASETS,)

    def reconcile(self, key: Key) -> None:
        deploy = self.live(key)
        if deploy is None or not (deploy["spec"].get("selector") or {}):
            return
        _Sync(self, key, deploy).run()


class _Sync:
    """One sync of one Deployment (``syncDeployment``), holding its working status."""

    def __init__(self, controller: DeploymentController, key: Key, deploy: Object) -> None:
        self.controller = controller
        self.api = controller.api
        self.rs_type = self.api.type_of(REPLICASETS)
        self.key = key
        self.deploy = deploy
        self.stamp = timestamp(self.api.clock.now())
        self.previous: Object = deploy.get("status") or {}
        self.working: Object = copy.deepcopy(self.previous)
        self.sets = controller.owned(deploy, REPLICASETS)
        self.hash = compute_hash(deploy["spec"]["template"], self.working.get("collisionCount"))
        self.new_set: Object | None = None

    def run(self) -> None:
        self._check_paused_conditions()
        if self.deploy["spec"].get("paused"):
            self._sync_paused()
        elif rolling.is_recreate(self.deploy):
            self._recreate()
        else:
            self._roll()
        self._finish()

    # -- ReplicaSets -------------------------------------------------------------------------

    def _old_sets(self) -> list[Object]:
        new_name = self.new_set["metadata"]["name"] if self.new_set else None
        return [rs for rs in self.sets if rs["metadata"]["name"] != new_name]

    def _matches(self, replica_set: Object) -> bool:
        """``EqualIgnoreHash``, or the template's hash label (robust to defaulting drift between kinds)."""
        if (replica_set["metadata"].get("labels") or {}).get(rolling.HASH_LABEL) == self.hash:
            return True
        template = rolling.without_hash(replica_set["spec"]["template"])
        return template == rolling.without_hash(self.deploy["spec"]["template"])

    def _find_new(self, create: bool) -> None:
        """``getNewReplicaSet``: find (and bring up to date) or create the template's ReplicaSet."""
        found = next((rs for rs in sorted(self.sets, key=_created) if self._matches(rs)), None)
        old = [rs for rs in self.sets if rs is not found]
        revision = rolling.max_revision(old) + 1
        if found is not None:
            self.new_set = self._sync_revision(found, revision)
        elif create:
            self.new_set = self._create(revision, old)

    def _sync_revision(self, replica_set: Object, revision: int) -> Object:
        current = _annotations(replica_set)
        annotations = rolling.new_set_annotations(self.deploy, current, revision, exists=True)
        min_ready = self.deploy["spec"].get("minReadySeconds", 0)
        if annotations != current or replica_set["spec"].get("minReadySeconds", 0) != min_ready:
            changed = copy.deepcopy(replica_set)
            changed["metadata"]["annotations"] = annotations
            changed["spec"]["minReadySeconds"] = min_ready
            replica_set = self._write(changed)
        if not conditions.get_condition(self.working, conditions.PROGRESSING):
            self._progressing("True", "FoundNewReplicaSet", f'Found new replica set "{_name(replica_set)}"')
        return replica_set

    def _progressing(self, state: str, reason: str, message: str) -> None:
        """Record a step of the rollout in the working ``Progressing`` condition (if it has a deadline)."""
        if conditions.progress_deadline(self.deploy) is not None:
            update = conditions.condition(conditions.PROGRESSING, state, reason, message, self.stamp)
            conditions.set_condition(self.working, update)

    def _create(self, revision: int, old: list[Object]) -> Object | None:
        new = self._new_set_object(revision)
        new["spec"]["replicas"] = rolling.new_replicas(self.deploy, [*old, new], 0)
        metadata = self.deploy["metadata"]
        try:
            created = self.api.create(self.rs_type, metadata["namespace"], new)
        except ApiError as error:
            if error.code != 409:
                raise
            return self._collided(new["metadata"]["name"])
        self.sets.append(created)
        self._progressing("True", "NewReplicaSetCreated", f'Created new replica set "{_name(created)}"')
        return created

    def _new_set_object(self, revision: int) -> Object:
        spec = self.deploy["spec"]
        template = copy.deepcopy(spec["template"])
        labels = {**((template.get("metadata") or {}).get("labels") or {}), rolling.HASH_LABEL: self.hash}
        template.setdefault("metadata", {})["labels"] = labels
        selector = copy.deepcopy(spec["selector"])
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), rolling.HASH_LABEL: self.hash}
        metadata = {
            "name": f"{self.deploy['metadata']['name']}-{self.hash}",
            "namespace": self.deploy["metadata"]["namespace"],
            "labels": dict(labels),
            "annotations": rolling.new_set_annotations(self.deploy, {}, revision, exists=False),
            "ownerReferences": [owner_reference(self.deploy)],
        }
        replica_spec = {"replicas": 0, "minReadySeconds": spec.get("minReadySeconds", 0)}
        replica_spec.update(selector=selector, template=template)
        return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": metadata, "spec": replica_spec}

    def _collided(self, name: str) -> Object | None:
        """A ReplicaSet of that name exists: ours (use it) or a hash collision (count it, retry)."""
        existing = self.api.store.get(REPLICASETS, self.deploy["metadata"]["namespace"], name)
        ref = controller_ref(existing) or {}
        if (
            existing is not None
            and ref.get("uid") == self.deploy["metadata"]["uid"]
            and self._matches(existing)
        ):
            self.sets.append(existing)
            return existing
        self.working["collisionCount"] = int(self.working.get("collisionCount") or 0) + 1
        return None

    def _write(self, replica_set: Object) -> Object:
        metadata = replica_set["metadata"]
        written = self.api.update(self.rs_type, metadata["namespace"], metadata["name"], replica_set)
        self.sets = [written if rs["metadata"]["name"] == metadata["name"] else rs for rs in self.sets]
        if self.new_set is not None and self.new_set["metadata"]["name"] == metadata["name"]:
            self.new_set = written
        return written

    def _scale(self, replica_set: Object, replicas: int) -> bool:
        """``scaleReplicaSet``: set the size and the replica annotations; True if the size changed."""
        wanted = rolling.replicas_annotations(self.deploy)
        annotations = _annotations(replica_set)
        resized = rolling.spec_replicas(replica_set) != replicas
        if resized or any(annotations.get(k) != v for k, v in wanted.items()):
            changed = copy.deepcopy(replica_set)
            changed["spec"]["replicas"] = replicas
            changed["metadata"]["annotations"] = {**annotations, **wanted}
            self._write(changed)
        return resized

    # -- strategies ---------------------------------------------------------------------------

    def _roll(self) -> None:
        """``rolloutRolling``: grow the new ReplicaSet, else shrink old ones, else clean up."""
        self._find_new(create=True)
        if self.new_set is None:
            return
        replicas, current = rolling.spec_replicas(self.deploy), rolling.spec_replicas(self.new_set)
        if current != replicas:
            target = replicas if current > replicas else rolling.new_replicas(self.deploy, self.sets, current)
            if self._scale(self.new_set, target):
                return
        shrink = rolling.old_scale_down(self.deploy, self._old_sets(), self.new_set)
        for replica_set in self._old_sets():
            if replica_set["metadata"]["name"] in shrink:
                self._scale(replica_set, shrink[replica_set["metadata"]["name"]])
        if not shrink and conditions.is_complete(self.deploy, self.previous):
            self._clean_up()

    def _recreate(self) -> None:
        """``rolloutRecreate``: all old Pods go before the new ReplicaSet is scaled up."""
        self._find_new(create=False)
        active = [rs for rs in self._old_sets() if rolling.spec_replicas(rs) > 0]
        for replica_set in active:
            self._scale(replica_set, 0)
        if active or any(rolling.status_count(rs, "replicas") > 0 for rs in self._old_sets()):
            return
        if self.new_set is None:
            self._find_new(create=True)
        if self.new_set is not None:
            self._scale(self.new_set, rolling.spec_replicas(self.deploy))
        if conditions.is_complete(self.deploy, self.previous):
            self._clean_up()

    def _sync_paused(self) -> None:
        """``sync`` of a paused Deployment: no new ReplicaSet, but a lone active one follows the scale."""
        self._find_new(create=False)
        active = [rs for rs in self.sets if rolling.spec_replicas(rs) > 0]
        latest = self.new_set or max(self.sets, key=_created, default=None)
        lone = active[0] if len(active) == 1 else None if active else latest
        if lone is not None:
            self._scale(lone, rolling.spec_replicas(self.deploy))
        self._clean_up()

    def _check_paused_conditions(self) -> None:
        if conditions.progress_deadline(self.deploy) is None:
            return
        reason = (conditions.get_condition(self.working, conditions.PROGRESSING) or {}).get("reason")
        paused = bool(self.deploy["spec"].get("paused"))
        if reason == conditions.TIMED_OUT or paused == (reason == conditions.PAUSED):
            return
        if paused:
            self._progressing("Unknown", conditions.PAUSED, "Deployment is paused")
        else:
            self._progressing("Unknown", conditions.RESUMED, "Deployment is resumed")

    def _clean_up(self) -> None:
        """``cleanupDeployment``: delete the oldest empty ReplicaSets beyond ``revisionHistoryLimit``."""
        limit = self.deploy["spec"].get("revisionHistoryLimit", 10)
        if limit is None:
            return
        old = sorted(self._old_sets(), key=lambda rs: (rolling.revision(rs), _created(rs)))
        for replica_set in old[: max(len(old) - int(limit), 0)]:
            observed = rolling.status_count(replica_set, "observedGeneration")
            if rolling.spec_replicas(replica_set) or rolling.status_count(replica_set, "replicas"):
                continue
            if replica_set["metadata"].get("generation", 0) > observed:
                continue
            self.api.delete(self.rs_type, replica_set["metadata"]["namespace"], _name(replica_set))
            self.sets.remove(replica_set)

    # -- status -------------------------------------------------------------------------------

    def _finish(self) -> None:
        """``syncRolloutStatus`` (``syncDeploymentStatus`` when paused), then wait for the deadline."""
        if self.new_set is not None:
            self._mirror_revision(self.new_set)
        status = conditions.calculate(self.deploy, self.working, self.sets, self.new_set, self.stamp)
        paused = bool(self.deploy["spec"].get("paused"))
        if not paused:
            passed = partial(self.controller.has_passed, self.key)
            status = conditions.with_progress(
                self.deploy, self.working, status, self.new_set, self.stamp, passed
            )
        self.controller.write_status(self.key, omit_zero(status))
        due = conditions.deadline_of(self.deploy, status)
        if due is not None and not paused:
            self.controller.requeue_at(self.key, due)

    def _mirror_revision(self, new_set: Object) -> None:
        """``SetDeploymentRevision``: the Deployment shows its new ReplicaSet's revision."""
        revision = _annotations(new_set).get(rolling.REVISION)
        current = self.api.store.get(*self.key)
        if revision is None or current is None or _annotations(current).get(rolling.REVISION) == revision:
            return
        changed = copy.deepcopy(current)
        changed["metadata"]["annotations"] = {**_annotations(current), rolling.REVISION: revision}
        metadata = changed["metadata"]
        self.api.update(self.api.type_of(self.key[0]), metadata["namespace"], metadata["name"], changed)


def _annotations(obj: Object) -> dict[str, str]:
    return dict(obj["metadata"].get("annotations") or {})


def _name(obj: Object) -> str:
    return str(obj["metadata"]["name"])


def _created(obj: Object) -> tuple[str, str]:
    return obj["metadata"].get("creationTimestamp", ""), obj["metadata"]["name"]
