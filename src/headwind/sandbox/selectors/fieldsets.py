"""The fields a field selector may name, per kind, and their values for one object.

Why this module exists: each apiserver registry declares its selectable fields (``ToSelectableFields``),
and a field label outside that set is refused. This module is that table: for every kind, the field
labels and how each value is read from the object.

Non-obvious choices, copied from the registries: missing strings are ``""`` but missing integers are
``"0"`` and missing booleans ``"false"`` (Go zero values); ``source`` on core Events falls back to
``reportingComponent``; Job's ``status.successful`` reads ``status.succeeded``; cluster-scoped Namespace
and Node expose no ``metadata.namespace`` (the apiserver rejects that field label for them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_Extractor = Callable[[Mapping[str, Any]], str]


def _lookup(obj: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    current: Any = obj
    for part in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _text(*path: str) -> _Extractor:
    """A string field; Go's zero value ``""`` when missing."""

    def extract(obj: Mapping[str, Any]) -> str:
        value = _lookup(obj, path)
        return value if isinstance(value, str) else ""

    return extract


def _number(*path: str) -> _Extractor:
    """An int32 field rendered by ``strconv.Itoa``; ``"0"`` when missing."""

    def extract(obj: Mapping[str, Any]) -> str:
        value = _lookup(obj, path)
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else "0"

    return extract


def _flag(*path: str) -> _Extractor:
    """A bool field rendered by ``strconv.FormatBool``; ``"false"`` when missing."""

    def extract(obj: Mapping[str, Any]) -> str:
        return "true" if _lookup(obj, path) is True else "false"

    return extract


def _first_of(*extractors: _Extractor) -> _Extractor:
    """The first non-empty result, e.g. ``source.component`` falling back to ``reportingComponent``."""

    def extract(obj: Mapping[str, Any]) -> str:
        return next((text for text in (get(obj) for get in extractors) if text), "")

    return extract


def _first_pod_ip(obj: Mapping[str, Any]) -> str:
    ips = _lookup(obj, ("status", "podIPs"))
    return _text("ip")(ips[0]) if isinstance(ips, list) and ips and isinstance(ips[0], Mapping) else ""


def _reference_fields(prefix: str, source: str) -> dict[str, _Extractor]:
    names = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
    return {f"{prefix}.{name}": _text(source, name) for name in names}


_NAME_ONLY: dict[str, _Extractor] = {"metadata.name": _text("metadata", "name")}
_OBJECT_META: dict[str, _Extractor] = {**_NAME_ONLY, "metadata.namespace": _text("metadata", "namespace")}
_EVENT_COMMON: dict[str, _Extractor] = {**_OBJECT_META, "reason": _text("reason"), "type": _text("type")}

_KIND_FIELDS: dict[str, dict[str, _Extractor]] = {
    "Event": {
        **_EVENT_COMMON,
        **_reference_fields("involvedObject", "involvedObject"),
        "reportingComponent": _text("reportingComponent"),
        "source": _first_of(_text("source", "component"), _text("reportingComponent")),
    },
    "events.k8s.io/Event": {
        **_EVENT_COMMON,
        **_reference_fields("regarding", "regarding"),
        "reportingController": _text("reportingController"),
    },
    "Pod": {
        **_OBJECT_META,
        "spec.nodeName": _text("spec", "nodeName"),
        "spec.restartPolicy": _text("spec", "restartPolicy"),
        "spec.schedulerName": _text("spec", "schedulerName"),
        "spec.serviceAccountName": _text("spec", "serviceAccountName"),
        "spec.hostNetwork": _flag("spec", "hostNetwork"),
        "status.phase": _text("status", "phase"),
        "status.podIP": _first_of(_text("status", "podIP"), _first_pod_ip),
        "status.nominatedNodeName": _text("status", "nominatedNodeName"),
    },
    "Secret": {**_OBJECT_META, "type": _text("type")},
    "Namespace": {**_NAME_ONLY, "status.phase": _text("status", "phase")},
    "ReplicaSet": {**_OBJECT_META, "status.replicas": _number("status", "replicas")},
    # The label says "successful" but the value is status.succeeded, as in the Job registry.
    "Job": {**_OBJECT_META, "status.successful": _number("status", "succeeded")},
    "Node": {**_NAME_ONLY, "spec.unschedulable": _flag("spec", "unschedulable")},
}
_SUPPORTED = {kind: frozenset(extractors) for kind, extractors in _KIND_FIELDS.items()}
_DEFAULT_SUPPORTED = frozenset(_OBJECT_META)


def object_fields(kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    """The field set the apiserver matches field selectors against for ``obj``.

    ``kind`` is the bare Kind for core/apps/batch built-ins (``"Pod"``, ``"ReplicaSet"``, ``"Job"``) and
    ``"events.k8s.io/Event"`` for the events.k8s.io view; anything else gets the metadata fields only.
    """
    extractors = _KIND_FIELDS.get(kind, _OBJECT_META)
    return {field: extract(obj) for field, extract in extractors.items()}


def supported_fields(kind: str) -> frozenset[str]:
    """The field labels a field selector may use for ``kind`` (the keys of :func:`object_fields`)."""
    return _SUPPORTED.get(kind, _DEFAULT_SUPPORTED)
