"""The apps workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet): one set of checks and their data.

Why this module exists: the four kinds share their rules (non-negative counters, a selector that selects
the pod template, pods that always restart, an update strategy) and differ only in data: which counters,
which strategy field and Go type names, whether a selector is required, whether the pod spec is
checked. A :class:`Workload` holds those differences, so a kind is a table entry, not a copy of the rules.

Non-obvious, as in Go: a bad strategy type is printed as the Go struct the apiserver prints
(``apps.DeploymentStrategy{Type:"Bogus", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}``, a fixed
pointer when ``rollingUpdate`` is set); a StatefulSet answers ``Invalid value ... must be 'RollingUpdate'
or 'OnDelete'`` where the others answer ``Unsupported value``; the apiserver does not validate a
StatefulSet's pod spec, so neither does the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .errors import FieldError, child, forbidden, invalid, required, unsupported
from .labelselector import EMPTY_SELECTOR, is_empty_selector, selector_errors, selects
from .pods import pod_template
from .spelling import GoValue, go_quote, go_string_map
from .values import as_map, nonnegative


@dataclass(frozen=True)
class _Strategy:
    """A workload's update strategy: its field, Go type names (for the bad value) and types."""

    field: str
    go_type: str
    rolling_go_type: str
    types: tuple[str, ...]
    unsupported: bool  # NotSupported; otherwise Invalid "must be 'A' or 'B'" (StatefulSet)


@dataclass(frozen=True)
class Workload:
    """What differs between the apps workloads; the checks themselves are shared."""

    noun: str  # "empty selector is invalid for <noun>"
    owner: str  # "activeDeadlineSeconds in <owner> is not Supported"
    counters: tuple[str, ...]  # non-negative integers of the spec
    strategy: _Strategy | None
    selector_required: bool = True  # a DaemonSet without selector only fails the template match
    pod_spec: bool = True  # a StatefulSet's pod spec is not validated by the apiserver


DEPLOYMENT: Final = Workload(
    "deployment",
    "ReplicaSet",
    ("replicas", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"),
    _Strategy(
        "strategy",
        "apps.DeploymentStrategy",
        "apps.RollingUpdateDeployment",
        ("Recreate", "RollingUpdate"),
        True,
    ),
)
REPLICASET: Final = Workload("deployment", "ReplicaSet", ("replicas", "minReadySeconds"), None)
STATEFULSET: Final = Workload(
    "statefulset",
    "StatefulSet",
    ("replicas", "minReadySeconds"),
    _Strategy(
        "updateStrategy",
        "apps.StatefulSetUpdateStrategy",
        "apps.RollingUpdateStatefulSetStrategy",
        ("RollingUpdate", "OnDelete"),
        False,
    ),
    pod_spec=False,
)
DAEMONSET: Final = Workload(
    "daemonset",
    "DaemonSet",
    ("minReadySeconds", "revisionHistoryLimit"),
    _Strategy(
        "updateStrategy",
        "apps.DaemonSetUpdateStrategy",
        "apps.RollingUpdateDaemonSet",
        ("RollingUpdate", "OnDelete"),
        True,
    ),
    selector_required=False,
)


def check_workload(rules: Workload, obj: Mapping[str, Any]) -> list[FieldError]:
    spec = as_map(obj.get("spec"))
    template = as_map(spec.get("template"))
    return [
        *nonnegative(spec, "spec", rules.counters),
        *_workload_selector(spec.get("selector"), rules),
        *_template_selected(spec.get("selector"), template, "spec.template"),
        *pod_template(template, "spec.template", pod_spec=rules.pod_spec),
        *_always_restarts(template, rules.owner),
        *_strategy_errors(spec, rules.strategy),
    ]


def _workload_selector(selector: Any, rules: Workload) -> list[FieldError]:
    if selector is None:
        return [required("spec.selector")] if rules.selector_required else []
    errors = selector_errors(as_map(selector), "spec.selector")
    if is_empty_selector(as_map(selector)):
        errors.append(invalid("spec.selector", EMPTY_SELECTOR, f"empty selector is invalid for {rules.noun}"))
    return errors


def _template_selected(selector: Any, template: Mapping[str, Any], path: str) -> list[FieldError]:
    """The selector must select the pods the template makes (an empty one selects everything)."""
    labels = as_map(template.get("metadata")).get("labels")
    if selects(selector, as_map(labels)) is not False:
        return []
    detail = "`selector` does not match template `labels`"
    return [invalid(child(path, "metadata.labels"), go_string_map(labels), detail)]


def _always_restarts(template: Mapping[str, Any], owner: str) -> list[FieldError]:
    spec = as_map(template.get("spec"))
    policy = spec.get("restartPolicy") or "Always"
    errors = (
        [] if policy == "Always" else [unsupported("spec.template.spec.restartPolicy", policy, ("Always",))]
    )
    if spec.get("activeDeadlineSeconds") is not None:
        detail = f"activeDeadlineSeconds in {owner} is not Supported"
        errors.append(forbidden("spec.template.spec.activeDeadlineSeconds", detail))
    return errors


def _strategy_errors(spec: Mapping[str, Any], rules: _Strategy | None) -> list[FieldError]:
    if rules is None:
        return []
    strategy = as_map(spec.get(rules.field))
    kind, path = strategy.get("type") or "RollingUpdate", child("spec", rules.field)
    if kind == "Recreate" and kind in rules.types and strategy.get("rollingUpdate") is not None:
        detail = "may not be specified when strategy `type` is 'Recreate'"
        return [forbidden(child(path, "rollingUpdate"), detail)]
    if kind in rules.types:
        return []
    pointer = "nil" if strategy.get("rollingUpdate") is None else "0xc000000000"
    value = GoValue(
        f"{rules.go_type}{{Type:{go_quote(str(kind))}, RollingUpdate:(*{rules.rolling_go_type})({pointer})}}"
    )
    if rules.unsupported:
        return [unsupported(path, value, rules.types)]
    return [invalid(path, value, "must be " + " or ".join(f"'{option}'" for option in rules.types))]
