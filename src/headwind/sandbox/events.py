"""One set of Events seen through two APIs: core ``v1`` and ``events.k8s.io/v1``.

A real apiserver stores Events once and converts between the two shapes, so an Event that an
operator writes through ``events.k8s.io`` is listed by ``kubectl get events`` and vice versa. The
emulator keeps the core shape in storage and converts at the edge with these two functions. The
field mapping is the apiserver's (k8s.io/kubernetes pkg/apis/events/v1 conversion): ``regarding`` is
``involvedObject``, ``note`` is ``message``, ``reportingController`` is ``reportingComponent``, and
the older counters move under ``deprecated*``.
"""

from __future__ import annotations

from typing import Any

# (core field, events.k8s.io field) pairs that only change name.
_RENAMED = (
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("reportingComponent", "reportingController"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
)
_SHARED = ("metadata", "reason", "type", "action", "related", "eventTime", "reportingInstance")


def _series_to_core(series: dict[str, Any]) -> dict[str, Any]:
    return {"count": series.get("count"), "lastObservedTime": series.get("lastObservedTime")}


def _convert(
    source: dict[str, Any], api_version: str, renamed: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    """Copy the shared fields and rename the others (``renamed`` pairs are ``(from, to)``)."""
    converted: dict[str, Any] = {"apiVersion": api_version, "kind": "Event"}
    for name in _SHARED:
        if name in source:
            converted[name] = source[name]
    for source_name, target_name in renamed:
        if source_name in source:
            converted[target_name] = source[source_name]
    if "series" in source:
        converted["series"] = _series_to_core(source["series"])
    return converted


def to_events_v1(core: dict[str, Any]) -> dict[str, Any]:
    """The ``events.k8s.io/v1`` view of a stored core Event."""
    view = _convert(core, "events.k8s.io/v1", _RENAMED)
    if "reportingController" not in view and (component := (core.get("source") or {}).get("component")):
        view["reportingController"] = component
    return view


def to_core(view: dict[str, Any]) -> dict[str, Any]:
    """The stored core form of an Event written through ``events.k8s.io/v1``."""
    core = _convert(view, "v1", tuple((target, source) for source, target in _RENAMED))
    if "source" not in core and (controller := view.get("reportingController")):
        host = {"host": view["reportingInstance"]} if view.get("reportingInstance") else {}
        core["source"] = {"component": controller, **host}
    return core
