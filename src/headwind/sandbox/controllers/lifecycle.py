"""Object lifecycle controllers: the garbage collector and namespace termination.

Deleting a Deployment must take its ReplicaSets and Pods with it (or not, with ``Orphan``), and
``Foreground`` deletion keeps the owner until its dependents are gone; operators that clean up
after themselves depend on both. The garbage collector follows ``ownerReferences`` as the real
one does: a dependent whose owners are all gone is deleted; references to owners that are gone
are dropped while another owner remains; the ``orphan`` and ``foregroundDeletion`` finalizers
are processed on the owner.

A deleted Namespace turns Terminating, its contents are deleted (their finalizers respected), and
it disappears when it is empty. A new Namespace gets its ``default`` ServiceAccount, as the
ServiceAccount controller gives it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from ..apiserver import FOREGROUND_FINALIZER, NAMESPACES, ORPHAN_FINALIZER, DeleteOptions
from ..errors import ApiError
from ..storage import ADDED, DELETED, Change, Key, Object
from .base import Controller

SERVICE_ACCOUNTS = "serviceaccounts"


class GarbageCollector(Controller):
    name = "garbage-collector"

    def wants(self, change: Change) -> Iterable[Key]:
        metadata = change.obj.get("metadata") or {}
        key = (change.storage, change.namespace, change.name)
        if change.type == DELETED:
            yield from self.api.store.dependents(metadata.get("uid", ""))
            yield from self._owner_keys(change.obj)
        elif (
            metadata.get("deletionTimestamp")
            and {FOREGROUND_FINALIZER, ORPHAN_FINALIZER} & set(metadata.get("finalizers") or ())
        ) or (change.type == ADDED and metadata.get("ownerReferences")):
            yield key

    def _owner_keys(self, obj: Object) -> Iterable[Key]:
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
            if (owner := self.api.store.find_uid(ref.get("uid", ""))) is not None:
                yield owner

    def reconcile(self, key: Key) -> None:
        obj = self.api.store.get(*key)
        if obj is None:
            return
        metadata = obj["metadata"]
        finalizers = metadata.get("finalizers") or []
        if metadata.get("deletionTimestamp") and ORPHAN_FINALIZER in finalizers:
            self._orphan_dependents(obj)
            self._remove_finalizer(key, ORPHAN_FINALIZER)
            return
        if metadata.get("deletionTimestamp") and FOREGROUND_FINALIZER in finalizers:
            if not self._delete_dependents(obj):
                self._remove_finalizer(key, FOREGROUND_FINALIZER)
            return
        self._collect_if_orphaned(key, obj)

    def _orphan_dependents(self, owner: Object) -> None:
        uid = owner["metadata"]["uid"]
        for dependent_key in self.api.store.dependents(uid):
            dependent = self.api.store.get(*dependent_key)
            if dependent is not None:
                self._drop_references(dependent_key, dependent, {uid})

    def _delete_dependents(self, owner: Object) -> bool:
        """Delete what the owner owns (foreground); True while dependents remain."""
        remaining = self.api.store.dependents(owner["metadata"]["uid"])
        for dependent_key in remaining:
            dependent = self.api.store.get(*dependent_key)
            if dependent is not None and not dependent["metadata"].get("deletionTimestamp"):
                self._delete(dependent_key, "Foreground")
        return bool(self.api.store.dependents(owner["metadata"]["uid"]))

    def _collect_if_orphaned(self, key: Key, obj: Object) -> None:
        refs = obj["metadata"].get("ownerReferences") or []
        if not refs or obj["metadata"].get("deletionTimestamp"):
            return
        gone = {ref.get("uid", "") for ref in refs if self.api.store.find_uid(ref.get("uid", "")) is None}
        if not gone:
            return
        if len(gone) == len(refs):
            self._delete(key, "Background")
        else:
            self._drop_references(key, obj, gone)

    def _drop_references(self, key: Key, obj: Object, uids: set[str]) -> None:
        updated = copy.deepcopy(obj)
        updated["metadata"]["ownerReferences"] = [
            ref for ref in updated["metadata"].get("ownerReferences") or () if ref.get("uid") not in uids
        ]
        if not updated["metadata"]["ownerReferences"]:
            del updated["metadata"]["ownerReferences"]
        rtype = self.api.type_of(key[0])
        self.api.update(rtype, key[1], key[2], updated)

    def _remove_finalizer(self, key: Key, finalizer: str) -> None:
        obj = self.api.store.get(*key)
        if obj is None:
            return
        updated = copy.deepcopy(obj)
        updated["metadata"]["finalizers"] = [
            f for f in obj["metadata"].get("finalizers") or () if f != finalizer
        ]
        self.api.update(self.api.type_of(key[0]), key[1], key[2], updated)

    def _delete(self, key: Key, policy: str) -> None:
        try:
            self.api.delete(
                self.api.type_of(key[0]), key[1], key[2], DeleteOptions(propagation_policy=policy)
            )
        except ApiError as error:
            if error.code != 404:
                raise


class NamespaceController(Controller):
    name = "namespace"

    def wants(self, change: Change) -> Iterable[Key]:
        if change.storage == NAMESPACES:
            yield (NAMESPACES, "", change.name)
        elif change.type == DELETED and change.namespace:
            namespace = self.api.store.get(NAMESPACES, "", change.namespace)
            if namespace is not None and namespace["metadata"].get("deletionTimestamp"):
                yield (NAMESPACES, "", change.namespace)

    def reconcile(self, key: Key) -> None:
        namespace = self.api.store.get(*key)
        if namespace is None:
            return
        name = namespace["metadata"]["name"]
        if not namespace["metadata"].get("deletionTimestamp"):
            self._ensure_default_service_account(name)
            return
        remaining = list(self.api.store.namespaced_keys(name))
        for storage, _, object_name in remaining:
            obj = self.api.store.get(storage, name, object_name)
            if obj is not None and not obj["metadata"].get("deletionTimestamp"):
                try:
                    self.api.delete(self.api.type_of(storage), name, object_name)
                except ApiError as error:
                    if error.code != 404:
                        raise
        if not any(True for _ in self.api.store.namespaced_keys(name)):
            finalized = copy.deepcopy(namespace)
            finalized.setdefault("spec", {})["finalizers"] = []
            self.api.update(self.api.type_of(NAMESPACES), "", name, finalized)

    def _ensure_default_service_account(self, namespace: str) -> None:
        if self.api.store.get(SERVICE_ACCOUNTS, namespace, "default") is None:
            self.api.create(
                self.api.type_of(SERVICE_ACCOUNTS),
                namespace,
                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}},
            )
