"""The apiserver's object semantics, independent of HTTP: what each verb does to stored objects.

HTTP handlers (``routes.py``) and the simulated controllers both go through :class:`ApiServer`, so
an object a controller writes is stamped, defaulted, validated and watched exactly like one a
client writes. Every method is synchronous: the emulator runs on one event loop, so each call is
atomic, which is what etcd's transactions give the real apiserver, without locks.

Semantics kept because operators depend on them (each is tested through the real client):

- resourceVersion preconditions: PUT or PATCH carrying a stale version gets 409 Conflict; a PUT
  of a custom resource must carry one (the apiserver refuses unconditional updates there);
- an update that changes nothing is a no-op: no new version, no watch event;
- ``generation`` grows only when something outside ``metadata`` and ``status`` changes;
- with a ``status`` subresource the main endpoint ignores status and ``/status`` changes only
  status, so an operator that writes status through the wrong endpoint fails here as on a cluster;
- DELETE with finalizers only marks ``deletionTimestamp``; the object goes when the last finalizer
  does; new finalizers cannot be added to an object being deleted;
- strategic merge patch only for built-in kinds (415 for custom resources, as real).
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import errors, events
from .clock import Clock, timestamp
from .defaults import apply_defaults
from .errors import ApiError
from .kinds import KindRegistry, ResourceType, types_from_crd
from .paging import Pager
from .patching import PatchError, json_patch, merge_patch, strategic_merge_patch
from .selectors import FieldSelector, LabelSelector, SelectorError, object_fields, supported_fields
from .storage import ADDED, DELETED, MODIFIED, Change, Store
from .validation import (
    invalid_message,
    prune_and_default,
    validate_builtin,
    validate_crd,
    validate_custom,
    validate_metadata,
)
from .watches import WatchStream

Object = dict[str, Any]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

CRD_STORAGE = "customresourcedefinitions.apiextensions.k8s.io"
NAMESPACES = "namespaces"
FOREGROUND, BACKGROUND, ORPHAN = "Foreground", "Background", "Orphan"
FOREGROUND_FINALIZER, ORPHAN_FINALIZER = "foregroundDeletion", "orphan"

# The status a new object starts with: the fields the apiserver serializes even at zero (no
# omitempty in the Go types). Clients depend on them: kubernetes-asyncio's models refuse a
# StatefulSet or DaemonSet status without them.
INITIAL_STATUS: dict[str, dict[str, Any]] = {
    "Pod": {"phase": "Pending", "qosClass": "BestEffort"},
    "ReplicaSet": {"replicas": 0},
    "StatefulSet": {"replicas": 0, "availableReplicas": 0},
    "DaemonSet": {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    },
}


@dataclass(frozen=True)
class ListOptions:
    label_selector: str | None = None
    field_selector: str | None = None
    limit: int | None = None
    continue_token: str | None = None


@dataclass(frozen=True)
class DeleteOptions:
    propagation_policy: str | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    dry_run: bool = False


def _meta(obj: Object) -> dict[str, Any]:
    metadata: dict[str, Any] = obj.setdefault("metadata", {})
    return metadata


def _without_volatile(obj: Object) -> Object:
    """The object minus what every write changes anyway, to detect no-op updates."""
    metadata = {
        k: v for k, v in (obj.get("metadata") or {}).items() if k not in ("resourceVersion", "managedFields")
    }
    return {**obj, "metadata": metadata}


def _spec_of(obj: Object) -> Object:
    """Everything that counts for ``generation``: all but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class ApiServer:
    """Create, read, update, patch, delete and watch, with the apiserver's rules."""

    def __init__(self, store: Store, kinds: KindRegistry, clock: Clock) -> None:
        self.store = store
        self.kinds = kinds
        self.clock = clock
        self._pager = Pager()
        store.listen(self._on_change)

    # -- reads ------------------------------------------------------------------------------

    def get(self, rtype: ResourceType, namespace: str, name: str) -> Object:
        return self.encode(rtype, self.stored(rtype, namespace, name))

    def stored(self, rtype: ResourceType, namespace: str, name: str) -> Object:
        """The stored object (not to be mutated), or 404."""
        obj = self.store.get(rtype.storage, namespace if rtype.namespaced else "", name)
        if obj is None:
            raise errors.not_found(rtype.plural, rtype.group, name)
        return obj

    def list_objects(
        self, rtype: ResourceType, namespace: str | None, options: ListOptions = ListOptions()
    ) -> Object:
        """A ``<Kind>List`` at the current resourceVersion, filtered and paginated."""
        selects = self.selection(rtype, namespace, options.label_selector, options.field_selector)
        if options.continue_token:
            page = self._pager.next(options.continue_token, options.limit, self.store.floor)
        else:
            candidates = self.store.items(rtype.storage, namespace if rtype.namespaced else None)
            page = self._pager.first(
                [self.encode(rtype, obj) for obj in candidates if selects(obj)], self.store.rv, options.limit
            )
        metadata: dict[str, Any] = {"resourceVersion": str(page.rv)}
        if page.continue_token:
            metadata["continue"] = page.continue_token
            metadata["remainingItemCount"] = page.remaining
        return {
            "kind": rtype.list_kind,
            "apiVersion": rtype.api_version,
            "metadata": metadata,
            "items": page.items,
        }

    def watch(
        self,
        rtype: ResourceType,
        namespace: str | None,
        options: ListOptions,
        resource_version: str | None,
        send_initial_events: bool = False,
    ) -> WatchStream:
        selects = self.selection(rtype, namespace, options.label_selector, options.field_selector)
        return WatchStream(
            self.store,
            rtype.storage,
            rtype.api_version + rtype.codec,
            selects,
            lambda obj: self.encode(rtype, obj),
            resource_version=resource_version,
            send_initial_events=send_initial_events,
        )

    def selection(
        self,
        rtype: ResourceType,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
    ) -> Callable[[Object], bool]:
        """A predicate over stored objects for a namespace and the two selectors (400 when malformed)."""
        try:
            labels = LabelSelector.parse(label_selector)
            fields = FieldSelector.parse(field_selector, supported_fields(rtype.selector_kind))
        except SelectorError as error:
            raise errors.bad_request(str(error)) from error
        scoped = namespace if rtype.namespaced and namespace else None
        needs_view = bool(rtype.codec) and bool(field_selector)

        def selects(obj: Object) -> bool:
            metadata = obj.get("metadata") or {}
            if scoped is not None and metadata.get("namespace") != scoped:
                return False
            if not labels.matches(metadata.get("labels") or {}):
                return False
            if not field_selector:
                return True
            view = self.encode(rtype, obj) if needs_view else obj
            return fields.matches(object_fields(rtype.selector_kind, view))

        return selects

    # -- codecs -----------------------------------------------------------------------------

    def encode(self, rtype: ResourceType, obj: Object) -> Object:
        """The object as this API version shows it (stored objects are returned as they are)."""
        if rtype.codec == "events.k8s.io":
            return events.to_events_v1(obj)
        if obj.get("apiVersion") != rtype.api_version:
            return {**obj, "apiVersion": rtype.api_version}
        return obj

    def decode(self, rtype: ResourceType, obj: Object) -> Object:
        """A client's object in stored form, with the type's apiVersion and kind."""
        if rtype.codec == "events.k8s.io":
            return events.to_core(obj)
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        return obj

    # -- writes -----------------------------------------------------------------------------

    def create(self, rtype: ResourceType, namespace: str, body: Any, *, dry_run: bool = False) -> Object:
        obj = self.decode(rtype, copy.deepcopy(self._require_object(body)))
        metadata = _meta(obj)
        self._place(rtype, namespace, metadata)
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = self._generate_name(rtype, metadata)
        obj = self._admit(rtype, obj)
        metadata = _meta(obj)  # admission may return a new object (pruning of custom resources)
        name = metadata["name"]
        if self.store.get(rtype.storage, metadata.get("namespace", ""), name) is not None:
            raise errors.already_exists(rtype.plural, rtype.group, name)
        for volatile in (
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "managedFields",
        ):
            metadata.pop(volatile, None)
        metadata["uid"] = str(uuid.uuid4())
        metadata["creationTimestamp"] = timestamp(self.clock.now())
        if rtype.has_generation:
            metadata["generation"] = 1
        self._reset_status_on_create(rtype, obj)
        if rtype.storage == CRD_STORAGE:
            self._establish(obj)
        if dry_run:
            return self.encode(rtype, obj)
        self.store.commit(rtype.storage, obj, ADDED, None)
        return self.encode(rtype, obj)

    def update(
        self, rtype: ResourceType, namespace: str, name: str, body: Any, *, subresource: str = ""
    ) -> Object:
        current = self.stored(rtype, namespace, name)
        new = self.decode(rtype, copy.deepcopy(self._require_object(body)))
        metadata = _meta(new)
        if metadata.get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({metadata.get('name')}) does not match the name on the URL ({name})"
            )
        if not metadata.get("resourceVersion") and not rtype.builtin:
            raise errors.invalid(
                rtype.kind,
                rtype.group,
                name,
                "metadata.resourceVersion",
                "Invalid value: 0x0: must be specified for an update",
            )
        return self._replace(rtype, current, new, subresource)

    def patch(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        content_type: str,
        *,
        subresource: str = "",
    ) -> Object:
        current = self.stored(rtype, namespace, name)
        view = self.scale_of(rtype, current) if subresource == "scale" else self.encode(rtype, current)
        patched = self._apply_patch(rtype, view, body, content_type)
        if subresource == "scale":
            return self.update_scale(rtype, namespace, name, patched)
        return self._replace(rtype, current, self.decode(rtype, patched), subresource)

    def _apply_patch(self, rtype: ResourceType, view: Object, body: Any, content_type: str) -> Object:
        accepted = [JSON_PATCH, MERGE_PATCH] + ([STRATEGIC_PATCH] if rtype.builtin else [])
        media = content_type.split(";")[0].strip()
        if media not in accepted:
            raise errors.unsupported_media_type(media, [*accepted, APPLY_PATCH])
        try:
            if media == JSON_PATCH:
                patched = json_patch(view, body)
            elif media == MERGE_PATCH:
                patched = merge_patch(view, body)
            else:
                patched = strategic_merge_patch(view, body)
        except PatchError as error:
            raise ApiError(
                error.status, "BadRequest" if error.status == 400 else "Invalid", error.message
            ) from error
        if not isinstance(patched, dict):
            raise errors.bad_request("the patch did not produce an object")
        return patched

    def _replace(self, rtype: ResourceType, current: Object, new: Object, subresource: str) -> Object:
        """The common end of PUT and PATCH: preconditions, subresource rules, admission, commit."""
        current_meta = current["metadata"]
        name = current_meta["name"]
        wanted_rv = _meta(new).get("resourceVersion")
        if wanted_rv and wanted_rv != current_meta["resourceVersion"]:
            raise errors.conflict(rtype.plural, rtype.group, name, errors.STALE_OBJECT)
        if subresource == "status":
            result = {**current, "metadata": copy.deepcopy(current_meta)}
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
            result = self._admit(rtype, result)
        else:
            result = self._with_immutables(rtype, current, new)
            result = self._admit(rtype, result)
            self._check_finalizers(rtype, current, result)
            if rtype.has_generation and _spec_of(result) != _spec_of(current):
                _meta(result)["generation"] = current_meta.get("generation", 0) + 1
        if _without_volatile(result) == _without_volatile(current):
            return self.encode(rtype, current)
        if rtype.storage == CRD_STORAGE:
            self._establish(result)
        if current_meta.get("deletionTimestamp") and not self._blocking_finalizers(rtype, result):
            self.store.commit(rtype.storage, result, DELETED, current)
            return self.encode(rtype, result)
        self.store.commit(rtype.storage, result, MODIFIED, current)
        return self.encode(rtype, result)

    def _with_immutables(self, rtype: ResourceType, current: Object, new: Object) -> Object:
        """The new state with what a client cannot change through the main endpoint put back."""
        metadata = _meta(new)
        current_meta = current["metadata"]
        for key in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            if key in current_meta:
                metadata[key] = current_meta[key]
            else:
                metadata.pop(key, None)
        metadata["name"] = current_meta["name"]
        if rtype.namespaced:
            metadata["namespace"] = current_meta["namespace"]
        if "status" in rtype.subresources:
            if "status" in current:
                new["status"] = current["status"]
            else:
                new.pop("status", None)
        return new

    def _check_finalizers(self, rtype: ResourceType, current: Object, result: Object) -> None:
        if not current["metadata"].get("deletionTimestamp"):
            return
        before = set(current["metadata"].get("finalizers") or ())
        added = [f for f in result["metadata"].get("finalizers") or () if f not in before]
        if added:
            raise errors.invalid(
                rtype.kind,
                rtype.group,
                current["metadata"]["name"],
                "metadata.finalizers",
                "Forbidden: no new finalizers can be added if the object is being deleted, "
                f"found new finalizers {added}",
            )

    def _blocking_finalizers(self, rtype: ResourceType, obj: Object) -> list[str]:
        finalizers = list(obj["metadata"].get("finalizers") or ())
        if rtype.storage == NAMESPACES:
            finalizers += (obj.get("spec") or {}).get("finalizers") or []
        return finalizers

    def delete(
        self, rtype: ResourceType, namespace: str, name: str, options: DeleteOptions = DeleteOptions()
    ) -> Object:
        """Delete now, or mark for deletion while finalizers remain; returns the object or a Status."""
        current = self.stored(rtype, namespace, name)
        metadata = current["metadata"]
        preconditions = (
            ("UID", options.precondition_uid, metadata.get("uid")),
            ("ResourceVersion", options.precondition_rv, metadata.get("resourceVersion")),
        )
        for field, wanted, actual in preconditions:
            if wanted and wanted != actual:
                raise errors.conflict(
                    rtype.plural,
                    rtype.group,
                    name,
                    f"Precondition failed: {field} in precondition: {wanted}, "
                    f"{field} in object meta: {actual}",
                )
        if metadata.get("deletionTimestamp"):
            return self.encode(rtype, current)
        final = copy.deepcopy(current)
        finalizers = list(final["metadata"].get("finalizers") or ())
        policy = options.propagation_policy or BACKGROUND
        if policy not in (FOREGROUND, BACKGROUND, ORPHAN):
            raise errors.bad_request(
                f"unsupported propagationPolicy {policy!r}: use Foreground, Background or Orphan"
            )
        if self.store.dependents(metadata.get("uid", "")):
            extra = {FOREGROUND: FOREGROUND_FINALIZER, ORPHAN: ORPHAN_FINALIZER}.get(policy)
            if extra and extra not in finalizers:
                finalizers.append(extra)
        if finalizers:
            final["metadata"]["finalizers"] = finalizers
        if options.dry_run:
            return self.encode(rtype, final)
        if self._blocking_finalizers(rtype, final):
            final["metadata"]["deletionTimestamp"] = timestamp(self.clock.now())
            final["metadata"]["deletionGracePeriodSeconds"] = 0
            if rtype.storage == NAMESPACES:
                final.setdefault("status", {})["phase"] = "Terminating"
            self.store.commit(rtype.storage, final, MODIFIED, current)
            return self.encode(rtype, final)
        self.store.commit(rtype.storage, final, DELETED, current)
        return errors.success(rtype.plural, rtype.group, name, metadata.get("uid", ""))

    def delete_collection(
        self, rtype: ResourceType, namespace: str | None, options: ListOptions, delete: DeleteOptions
    ) -> Object:
        listed = self.list_objects(
            rtype, namespace, ListOptions(options.label_selector, options.field_selector)
        )
        for item in listed["items"]:
            item_meta = item["metadata"]
            try:
                self.delete(rtype, item_meta.get("namespace", ""), item_meta["name"], delete)
            except ApiError as error:
                if error.code != 404:
                    raise
        return listed

    # -- scale subresource -------------------------------------------------------------------

    def scale_of(self, rtype: ResourceType, obj: Object) -> Object:
        """The ``autoscaling/v1`` Scale view of a workload."""
        if "scale" not in rtype.subresources:
            raise errors.not_found(f"{rtype.plural}/scale", rtype.group, obj["metadata"]["name"])
        metadata = obj["metadata"]
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                key: metadata[key]
                for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if key in metadata
            },
            "spec": {"replicas": spec.get("replicas", 0)},
            "status": {
                "replicas": status.get("replicas", 0),
                "selector": str(LabelSelector.from_object(spec.get("selector"))),
            },
        }

    def update_scale(self, rtype: ResourceType, namespace: str, name: str, scale: Any) -> Object:
        current = self.stored(rtype, namespace, name)
        scale = self._require_object(scale)
        wanted_rv = (scale.get("metadata") or {}).get("resourceVersion")
        if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict(rtype.plural, rtype.group, name, errors.STALE_OBJECT)
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.invalid(
                "Scale", "autoscaling", name, "spec.replicas", f"Invalid value: {replicas!r}: must be >= 0"
            )
        new = copy.deepcopy(current)
        new.setdefault("spec", {})["replicas"] = replicas
        new["metadata"].pop("resourceVersion", None)
        updated = self._replace(rtype, current, new, "")
        return self.scale_of(rtype, self.store.get(rtype.storage, namespace, name) or updated)

    # -- admission ---------------------------------------------------------------------------

    def _require_object(self, body: Any) -> Object:
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON object")
        return body

    def _place(self, rtype: ResourceType, namespace: str, metadata: dict[str, Any]) -> None:
        """Put the object in the URL's namespace, which must exist and not be terminating."""
        if not rtype.namespaced:
            metadata.pop("namespace", None)
            return
        if metadata.get("namespace") and metadata["namespace"] != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        metadata["namespace"] = namespace
        ns = self.store.get(NAMESPACES, "", namespace)
        if ns is None:
            raise errors.not_found("namespaces", "", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.forbidden(
                f'{rtype.plural} "{metadata.get("name") or metadata.get("generateName", "")}" is forbidden: '
                f"unable to create new content in namespace {namespace} because it is being terminated"
            )

    def _generate_name(self, rtype: ResourceType, metadata: dict[str, Any]) -> str:
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        for _ in range(16):
            name = metadata["generateName"] + "".join(random.choices(alphabet, k=5))
            if self.store.get(rtype.storage, metadata.get("namespace", ""), name) is None:
                return str(name)
        raise errors.already_exists(rtype.plural, rtype.group, metadata["generateName"])

    def _admit(self, rtype: ResourceType, obj: Object) -> Object:
        """Defaulting, pruning and validation, as the apiserver admits every create and update."""
        if rtype.builtin:
            _drop_nulls(obj)
            if not rtype.codec:
                apply_defaults(rtype.group, rtype.kind, obj)
            problems = validate_builtin(rtype.group, rtype.kind, obj)
            if rtype.storage == CRD_STORAGE:
                problems += validate_crd(obj)
        else:
            obj = prune_and_default(rtype.schema, obj)
            problems = validate_metadata(obj) + validate_custom(rtype.schema, obj)
        if problems:
            qualified = f"{rtype.kind}.{rtype.group}" if rtype.group else rtype.kind
            name = obj["metadata"].get("name", "")
            raise ApiError(
                422,
                "Invalid",
                invalid_message(qualified, name, problems),
                details={
                    "name": name,
                    "group": rtype.group,
                    "kind": rtype.kind,
                    "causes": [problem.cause() for problem in problems],
                },
            )
        return obj

    def _reset_status_on_create(self, rtype: ResourceType, obj: Object) -> None:
        """Status is the controllers' to write: a create through the main endpoint starts it empty."""
        if "status" not in rtype.subresources or rtype.storage == NAMESPACES:
            return
        if rtype.builtin:
            obj["status"] = dict(INITIAL_STATUS.get(rtype.kind, {}))
        else:
            obj.pop("status", None)

    # -- CustomResourceDefinitions -----------------------------------------------------------

    def _establish(self, crd: Object) -> None:
        """Serve a CRD's versions and record that in its status, as the CRD controllers do."""
        name = crd["metadata"]["name"]
        served = types_from_crd(crd)
        if why := self.kinds.crd_conflicts(name, served):
            raise errors.invalid(
                "CustomResourceDefinition", "apiextensions.k8s.io", name, "spec.names.plural", why
            )
        now = timestamp(self.clock.now())
        spec = crd.get("spec") or {}
        crd["status"] = {
            "acceptedNames": spec.get("names") or {},
            "storedVersions": [v["name"] for v in spec.get("versions") or () if v.get("storage")],
            "conditions": [
                {
                    "type": "NamesAccepted",
                    "status": "True",
                    "reason": "NoConflicts",
                    "message": "no conflicts found",
                    "lastTransitionTime": now,
                },
                {
                    "type": "Established",
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": now,
                },
            ],
        }

    def _on_change(self, change: Change) -> None:
        if change.storage == CRD_STORAGE:
            if change.type == DELETED:
                self._forget_crd(change.obj)
            else:
                self.kinds.serve_crd(change.name, types_from_crd(change.obj))

    def _forget_crd(self, crd: Object) -> None:
        """Deleting a CRD deletes every object of it, as the apiserver's CRD cleanup does."""
        types = self.kinds.forget_crd(crd["metadata"]["name"])
        for storage in {rtype.storage for rtype in types}:
            for obj in self.store.items(storage):
                self.store.commit(storage, copy.deepcopy(obj), DELETED, obj)

    def type_of(self, storage: str) -> ResourceType:
        rtype = self.kinds.storage_type(storage)
        if rtype is None:
            raise errors.not_found(storage, "", "")
        return rtype

    def ensure_namespace(self, name: str) -> None:
        """Create a namespace if it is missing (``default`` and the sandbox's own)."""
        if self.store.get(NAMESPACES, "", name) is None:
            ns_type = self.type_of(NAMESPACES)
            self.create(ns_type, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def _drop_nulls(value: Any) -> None:
    """Forget ``null`` map values everywhere in a built-in object, as decoding into Go types does.

    The apiserver reads ``null`` as "unset" for every field of a built-in kind. Clients rely on it:
    kubectl (``rollout undo``, ``set image``) sends a template's empty ObjectMeta as
    ``creationTimestamp: null``, and a rolled-back template must equal its old ReplicaSet's for that
    ReplicaSet to be reused. Custom resources are pruned by their schema instead. (One difference:
    in a string map such as ``data`` or ``labels`` Go keeps a null entry as ``""``; here it goes.)
    """
    if isinstance(value, dict):
        for key in [key for key, item in value.items() if item is None]:
            del value[key]
        for item in value.values():
            _drop_nulls(item)
    elif isinstance(value, list):
        for item in value:
            _drop_nulls(item)
