"""ControllerRevisions: the template history of StatefulSets and DaemonSets.

Deployments keep history in ReplicaSets; StatefulSets and DaemonSets keep it in ControllerRevision
objects, one per distinct pod template, named ``<owner>-<hash>``. ``data`` holds the template as a
strategic merge patch (``{"spec": {"template": {..., "$patch": "replace"}}}``), which is what
``kubectl rollout history --revision`` shows and ``kubectl rollout undo`` sends back. The rules both
controllers share (``pkg/controller/history``) live here once:

- a template already recorded is not recorded again; if its revision is not the newest, it gets the
  next number (a rollback reuses history, as for ReplicaSets);
- a name taken by a revision with other data is a hash collision: the collision count goes up and
  the hash changes;
- revisions beyond ``revisionHistoryLimit`` that no Pod uses are deleted, oldest first.

The two kinds hash differently (a StatefulSet hashes the revision's data and labels it
``controller.kubernetes.io/hash``; a DaemonSet hashes the template and labels it
``controller-revision-hash``, the label its Pods carry too); subclasses say which.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import ClassVar

from ..errors import ApiError
from .ownership import Object, controller_ref, owner_reference
from .pods import PODS, PodOwnerController

CONTROLLER_REVISIONS = "controllerrevisions.apps"
POD_REVISION_LABEL = "controller-revision-hash"


def template_patch(owner: Object) -> Object:
    """The revision ``data`` of an owner's current pod template."""
    template = copy.deepcopy(owner["spec"]["template"])
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def template_of(revision: Object) -> Object:
    """The pod template a revision recorded."""
    template = copy.deepcopy(revision["data"]["spec"]["template"])
    template.pop("$patch", None)
    result: Object = template
    return result


def _order(revision: Object) -> tuple[int, str, str]:
    metadata = revision["metadata"]
    return int(revision.get("revision", 0)), metadata.get("creationTimestamp", ""), metadata["name"]


@dataclass(frozen=True)
class History:
    """An owner's revisions (oldest first), the one for its current template, and the collision count."""

    revisions: list[Object]
    update: Object
    collision_count: int

    def named(self, name: str | None) -> Object | None:
        return next((r for r in self.revisions if r["metadata"]["name"] == name), None)


class RevisionedController(PodOwnerController):
    """A Pod owner that records its templates as ControllerRevisions."""

    owns: ClassVar[tuple[str, ...]] = (PODS, CONTROLLER_REVISIONS)
    hash_label = ""

    def revision_hash(self, owner: Object, data: Object, collision_count: int) -> str:
        raise NotImplementedError

    def history(self, owner: Object) -> History:
        """Record the owner's current template (``getStatefulSetRevisions``/``constructHistory``)."""
        revisions = sorted(self.owned(owner, CONTROLLER_REVISIONS), key=_order)
        data = template_patch(owner)
        collisions = int((owner.get("status") or {}).get("collisionCount") or 0)
        equal = [r for r in revisions if r.get("data") == data]
        number = int(revisions[-1].get("revision", 0)) + 1 if revisions else 1
        if equal and equal[-1] is revisions[-1]:
            update = equal[-1]
        elif equal:
            update = self._renumber(equal[-1], number)
        else:
            update, collisions = self._record(owner, data, number, collisions)
        revisions = sorted(
            [r for r in revisions if r["metadata"]["name"] != update["metadata"]["name"]] + [update],
            key=_order,
        )
        return History(revisions, update, collisions)

    def _renumber(self, revision: Object, number: int) -> Object:
        changed = copy.deepcopy(revision)
        changed["revision"] = number
        metadata = changed["metadata"]
        return self.api.update(
            self.api.type_of(CONTROLLER_REVISIONS), metadata["namespace"], metadata["name"], changed
        )

    def _record(self, owner: Object, data: Object, number: int, collisions: int) -> tuple[Object, int]:
        """Create the revision, counting hash collisions until a name is free or already ours."""
        rtype = self.api.type_of(CONTROLLER_REVISIONS)
        namespace = owner["metadata"]["namespace"]
        while True:
            revision = self._revision_object(owner, data, number, collisions)
            try:
                return self.api.create(rtype, namespace, revision), collisions
            except ApiError as error:
                if error.code != 409:
                    raise
            existing = self.api.store.get(CONTROLLER_REVISIONS, namespace, revision["metadata"]["name"])
            ref = controller_ref(existing)
            if (
                existing is not None
                and existing.get("data") == data
                and ref
                and ref.get("uid") == owner["metadata"]["uid"]
            ):
                return existing, collisions
            collisions += 1

    def _revision_object(self, owner: Object, data: Object, number: int, collisions: int) -> Object:
        digest = self.revision_hash(owner, data, collisions)
        labels = (owner["spec"]["template"].get("metadata") or {}).get("labels") or {}
        metadata: Object = {
            "name": f"{owner['metadata']['name']}-{digest}",
            "namespace": owner["metadata"]["namespace"],
            "labels": {**labels, self.hash_label: digest},
            "ownerReferences": [owner_reference(owner)],
        }
        if owner["metadata"].get("annotations"):
            metadata["annotations"] = dict(owner["metadata"]["annotations"])
        return {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": metadata,
            "data": data,
            "revision": number,
        }

    def prune(self, owner: Object, history: History, live: set[str]) -> None:
        """Delete the oldest revisions beyond ``revisionHistoryLimit`` that are not ``live`` (by name)."""
        limit = int(owner["spec"].get("revisionHistoryLimit", 10))
        idle = [r for r in history.revisions if r["metadata"]["name"] not in live]
        rtype = self.api.type_of(CONTROLLER_REVISIONS)
        for revision in idle[: max(len(idle) - limit, 0)]:
            self.api.delete(rtype, revision["metadata"]["namespace"], revision["metadata"]["name"])
