"""Owners and their dependents: the plumbing every simulated workload controller shares.

Each workload controller owns objects of other kinds through a controller ``ownerReference``
(Deployment → ReplicaSets → Pods; StatefulSet and DaemonSet → Pods and ControllerRevisions). A change
to a dependent must wake its owner, as the real controllers' informers map pod events to their
controller's key. :class:`OwnerController` does that mapping once, finds dependents through the
store's owner index (not by scanning namespaces), and writes status only when it differs, so a
reconcile of a settled object costs reads and no writes.

Only controller references count: the sandbox creates every dependent itself, so the adoption and
release of orphans by label selector, which the real controllers do, is not simulated.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from ..apiserver import ApiServer
from ..storage import Change, Key
from .base import Controller

Object = dict[str, Any]
_TICK = timedelta(microseconds=1)


def controller_ref(obj: Object | None) -> Object | None:
    """The ownerReference with ``controller: true``, if any."""
    for ref in ((obj or {}).get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            found: Object = ref
            return found
    return None


def owner_reference(owner: Object) -> Object:
    """A controller reference to ``owner``, blocking its foreground deletion, as controllers set it."""
    metadata = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": metadata["name"],
        "uid": metadata["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def key_of(storage: str, obj: Object) -> Key:
    metadata = obj["metadata"]
    return storage, metadata.get("namespace", ""), metadata["name"]


def omit_zero(status: Object, *always: str) -> Object:
    """Drop zero counters, as Go's ``omitempty`` does, except the fields serialised without it."""
    return {k: v for k, v in status.items() if k in always or v not in (0, None, "", [])}


class OwnerController(Controller):
    """A controller of ``kind`` objects (in ``storage``) whose dependents live in ``owns``."""

    kind: ClassVar[str] = ""
    storage: ClassVar[str] = ""
    owns: ClassVar[tuple[str, ...]] = ()

    def __init__(self, api: ApiServer) -> None:
        super().__init__(api)
        self.rtype = api.type_of(self.storage)
        self._requeues: dict[Key, datetime] = {}
        self._passed: dict[Key, datetime] = {}

    def wants(self, change: Change) -> Iterable[Key]:
        if change.storage == self.storage:
            return [(self.storage, change.namespace, change.name)]
        if change.storage not in self.owns:
            return []
        refs = (controller_ref(change.obj), controller_ref(change.prev))
        names = {ref["name"] for ref in refs if ref is not None and ref.get("kind") == self.kind}
        return [(self.storage, change.namespace, name) for name in sorted(names)]

    def enqueue_all(self) -> None:
        """Reconcile every object of this controller (after a cluster-wide change such as a node's)."""
        for obj in self.api.store.items(self.storage):
            self.enqueue(key_of(self.storage, obj))

    def requeue_at(self, key: Key, due: datetime) -> None:
        """Reconcile ``key`` again at simulated time ``due`` (a deadline, a minReadySeconds wait).

        Only one wake-up per key is kept, the earliest; a later one is asked for again when it fires.
        """
        now = self.api.clock.now()
        if self.has_passed(key, due):
            return
        scheduled = self._requeues.get(key)
        if scheduled is not None and scheduled <= due:
            return
        self._requeues[key] = due
        self.api.clock.call_later((due - now).total_seconds(), lambda: self._reached(key, due))

    def _reached(self, key: Key, due: datetime) -> None:
        if self._requeues.get(key) == due:
            del self._requeues[key]
        self._passed[key] = max(self._passed.get(key, due), due)
        self.enqueue(key)

    def has_passed(self, key: Key, moment: datetime) -> bool:
        """Whether simulated time reached ``moment`` for ``key``.

        True when the clock says so, or when a wake-up for that moment already fired: a scaled clock
        runs timers early (``delay * scale``) while its ``now()`` stays wall-clock time, so its
        timers, not its ``now()``, tell that a simulated deadline passed.
        """
        return self.api.clock.now() >= moment or self._passed.get(key, moment - _TICK) >= moment

    def live(self, key: Key) -> Object | None:
        """The object to reconcile, or None when it is gone or being deleted (the collector's turn)."""
        obj = self.api.store.get(*key)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            self._requeues.pop(key, None)
            self._passed.pop(key, None)
            return None
        return obj

    def owned(self, owner: Object, storage: str) -> list[Object]:
        """The live objects of ``storage`` that ``owner`` controls."""
        uid = owner["metadata"]["uid"]
        found = []
        for key in self.api.store.dependents(uid):
            obj = self.api.store.get(*key) if key[0] == storage else None
            ref = controller_ref(obj)
            if obj is not None and ref is not None and ref.get("uid") == uid:
                found.append(obj)
        return found

    def write_status(self, key: Key, status: Object) -> Object | None:
        """Replace the status of the object at ``key`` through ``/status`` if it differs."""
        current = self.api.store.get(*key)
        if current is None or current.get("status") == status:
            return current
        rtype = self.api.type_of(key[0])
        return self.api.update(rtype, key[1], key[2], {**current, "status": status}, subresource="status")
