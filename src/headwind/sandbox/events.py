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


def to_events_v1(core: dict[str, Any]) -> dict[str, Any]:
    """The ``events.k8s.io/v1`` view of a stored core Event."""
    view: dict[str, Any] = {"apiVersion": "events.k8s.io/v1", "kind": "Event"}
    for name in _SHARED:
        if name in core:
            view[name] = core[name]
    for core_name, view_name in _RENAMED:
        if core_name in core:
            view[view_name] = core[core_name]
    if "series" in core:
        view["series"] = _series_to_core(core["series"])
    if "reportingController" not in view and (component := (core.get("source") or {}).get("component")):
        view["reportingController"] = component
    return view


def to_core(view: dict[str, Any]) -> dict[str, Any]:
    """The stored core form of an Event written through ``events.k8s.io/v1``."""
    core: dict[str, Any] = {"apiVersion": "v1", "kind": "Event"}
    for name in _SHARED:
        if name in view:
            core[name] = view[name]
    for core_name, view_name in _RENAMED:
        if view_name in view:
            core[core_name] = view[view_name]
    if "series" in view:
        core["series"] = _series_to_core(view["series"])
    if "source" not in core and (controller := view.get("reportingController")):
        core["source"] = {
            "component": controller,
            **({"host": h} if (h := view.get("reportingInstance")) else {}),
        }
    return core
