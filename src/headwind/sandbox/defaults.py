"""API-server defaulting for the built-in kinds the sandbox serves.

Why this module exists: a real kube-apiserver fills in dozens of fields the client never sent
(``spec.replicas``, ``imagePullPolicy``, ``terminationMessagePath``, probe timings, ...). Operator code
reads those fields back, compares desired with actual state and patches them. A test that passes against
the emulator must not fail on a real cluster for lack of a defaulted field -- so the sandbox applies the
same defaults, on every create and update, before validation.

The rules are ports of ``SetDefaults_*`` in ``k8s.io/kubernetes/pkg/apis/{core,apps,batch}/v1`` plus the
few create-time admission plugins every cluster runs (ServiceAccount, Priority, DefaultTolerationSeconds).
Non-obvious choices:

* Go distinguishes pointer fields from value fields. A pointer (``replicas``, ``suspend``,
  ``maxSurge``...) is defaulted only when absent or ``null``, so an explicit ``0``/``false`` stays. A
  value field (``dnsPolicy``, probe ``periodSeconds``...) is defaulted when absent, ``null``, ``""`` or
  ``0``, because Go cannot tell "unset" from the zero value. The tables below say which is which.
* Pod *templates* get only ``SetDefaults_PodSpec``; ``enableServiceLinks``, requests-from-limits,
  host-network ports and the admission defaults (service account, priority, tolerations) exist only on
  Pods, as on a real cluster. A CronJob's ``jobTemplate`` gets pod-template defaults but not the Job
  defaults (``backoffLimit`` & co. appear only on the Job the controller creates).
* Job ``completions`` defaults to 1 only when ``parallelism`` is also unset (a work-queue Job keeps
  ``completions`` unset). StatefulSet ``rollingUpdate.partition`` is filled only when the apiserver
  itself created ``rollingUpdate`` or the client sent one.
* ``imagePullPolicy`` follows ``parsers.ParseImageName``: the docker reference grammar decides what is a
  tag (``localhost:5000/app`` has none), a reference without tag and digest means ``:latest``, and an
  unparsable reference falls back to ``IfNotPresent``.
* Namespaces always carry the ``kubernetes.io/metadata.name`` label (the apiserver overwrites it);
  ``spec.finalizers`` is only filled when absent, so a namespace that has been finalized (``[]``) is not
  given its finalizer back on a later update.

Everything here is idempotent and touches only fields the apiserver would fill; unknown kinds and
unknown fields are left alone. Resource quantities are not re-canonicalized.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

__all__ = ["apply_defaults"]

_Obj = dict[str, Any]
_Hook = Callable[[_Obj], None]

# --------------------------------------------------------------------------------------------------------
# A tiny declarative schema: which defaults apply where
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Struct:
    """How to default one JSON object (a Go struct) and the structs nested in it.

    ``values``   value fields: absent, null, "" or 0 count as unset.
    ``pointers`` pointer fields: only absent or null count as unset.
    ``hooks``    rules a table cannot express; they run after the tables, before nested structs.
    ``embedded`` nested value structs: created when missing, then defaulted.
    ``optional`` nested pointer structs: defaulted only when present.
    ``lists``    lists of structs: every dict item is defaulted.
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    pointers: Mapping[str, Any] = field(default_factory=dict)
    hooks: tuple[_Hook, ...] = ()
    embedded: Mapping[str, _Struct] = field(default_factory=dict)
    optional: Mapping[str, _Struct] = field(default_factory=dict)
    lists: Mapping[str, _Struct] = field(default_factory=dict)


def _is_go_zero(value: Any) -> bool:
    return value is None or value == "" or (type(value) is int and value == 0)


def _is_null(value: Any) -> bool:
    return value is None


def _fill(target: _Obj, defaults: Mapping[str, Any], unset: Callable[[Any], bool] = _is_null) -> None:
    for key, default in defaults.items():
        if unset(target.get(key)):
            target[key] = copy.deepcopy(default)


def _apply(struct: _Struct, target: _Obj) -> None:
    _fill(target, struct.values, _is_go_zero)
    _fill(target, struct.pointers)
    for hook in struct.hooks:
        hook(target)
    _fill(target, {key: {} for key in struct.embedded})
    for key, child in {**struct.embedded, **struct.optional}.items():
        if isinstance(target.get(key), dict):
            _apply(child, target[key])
    for key, child in struct.lists.items():
        for item in _dicts(target.get(key)):
            _apply(child, item)


def _dicts(value: Any) -> list[_Obj]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dict_at(target: _Obj, *path: str) -> _Obj | None:
    current: Any = target
    for key in path:
        current = current.get(key) if isinstance(current, dict) else None
    return current if isinstance(current, dict) else None


# --------------------------------------------------------------------------------------------------------
# imagePullPolicy: the docker reference grammar (github.com/distribution/reference)
# --------------------------------------------------------------------------------------------------------

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?",
    re.ASCII,
)
_HEX_64 = re.compile(r"[a-f0-9]{64}")
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_NAME_MAX = 255


def _normalized(image: str) -> str | None:
    """``splitDockerDomain``: add ``docker.io/`` (and ``library/``) so the grammar sees a full name."""
    if _HEX_64.fullmatch(image):
        return None  # a bare image ID is refused by ParseNormalizedNamed
    first, slash, rest = image.partition("/")
    is_domain = bool(slash) and (
        any(c in first for c in ".:") or first == "localhost" or first.lower() != first
    )
    domain, remainder = (first, rest) if is_domain else ("docker.io", image)
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    repository = remainder.split(":", 1)[0]
    return None if repository.lower() != repository else f"{domain}/{remainder}"


def _valid_digest(digest: str) -> bool:
    algorithm, _, encoded = digest.partition(":")
    length = _DIGEST_HEX_LENGTHS.get(algorithm)
    return length == len(encoded) and re.fullmatch(r"[a-f0-9]+", encoded) is not None


def _image_tag(image: str) -> str | None:
    """The tag ``ParseImageName`` reports: ``latest`` when there is neither tag nor digest, None on error."""
    normalized = _normalized(image)
    match = _REFERENCE.fullmatch(normalized) if normalized is not None else None
    if match is None or len(match["name"]) > _NAME_MAX:
        return None
    if match["digest"] is not None and not _valid_digest(match["digest"]):
        return None
    if match["tag"] is None and match["digest"] is None:
        return "latest"
    return match["tag"]


def _default_image_pull_policy(container: _Obj) -> None:
    if _is_go_zero(container.get("imagePullPolicy")):
        image = container.get("image")
        tag = _image_tag(image) if isinstance(image, str) else None
        container["imagePullPolicy"] = "Always" if tag == "latest" else "IfNotPresent"


# --------------------------------------------------------------------------------------------------------
# Pod specs (SetDefaults_PodSpec and the structs inside a PodSpec)
# --------------------------------------------------------------------------------------------------------

_DEFAULT_MODE = 0o644  # 420: Secret, ConfigMap, DownwardAPI and Projected volumes


def _default_empty_dir(volume: _Obj) -> None:
    """A volume naming no source at all is an emptyDir (``SetDefaults_Volume``)."""
    if all(value is None for key, value in volume.items() if key != "name"):
        volume["emptyDir"] = {}


def _sync_service_account(spec: _Obj, fallback: str | None = None) -> None:
    """``serviceAccount`` is a deprecated alias the v1 conversion keeps equal to ``serviceAccountName``.

    ``fallback`` is what the ServiceAccount admission plugin assigns to a Pod that names no account.
    """
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") or fallback
    if name:
        spec["serviceAccountName"] = name
        spec["serviceAccount"] = name


_HTTP_GET = _Struct(values={"path": "/", "scheme": "HTTP"})
_HANDLER = _Struct(optional={"httpGet": _HTTP_GET})
_PROBE = _Struct(
    values={"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
    optional={"httpGet": _HTTP_GET, "grpc": _Struct(pointers={"service": ""})},
)
_FIELD_REF_HOLDER = _Struct(optional={"fieldRef": _Struct(values={"apiVersion": "v1"})})
_CONTAINER = _Struct(
    values={"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"},
    hooks=(_default_image_pull_policy,),
    embedded={"resources": _Struct()},
    optional={
        "livenessProbe": _PROBE,
        "readinessProbe": _PROBE,
        "startupProbe": _PROBE,
        "lifecycle": _Struct(optional={"postStart": _HANDLER, "preStop": _HANDLER}),
    },
    lists={
        "ports": _Struct(values={"protocol": "TCP"}),
        "env": _Struct(optional={"valueFrom": _FIELD_REF_HOLDER}),
    },
)
_MODE_ONLY = _Struct(pointers={"defaultMode": _DEFAULT_MODE})
_PROJECTION = _Struct(
    optional={
        "downwardAPI": _Struct(lists={"items": _FIELD_REF_HOLDER}),
        "serviceAccountToken": _Struct(pointers={"expirationSeconds": 3600}),
    }
)
_VOLUME = _Struct(
    hooks=(_default_empty_dir,),
    optional={
        "secret": _MODE_ONLY,
        "configMap": _MODE_ONLY,
        "downwardAPI": replace(_MODE_ONLY, lists={"items": _FIELD_REF_HOLDER}),
        "projected": replace(_MODE_ONLY, lists={"sources": _PROJECTION}),
        "hostPath": _Struct(pointers={"type": ""}),
    },
)
_POD_SPEC = _Struct(
    values={"dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler"},
    pointers={"securityContext": {}, "terminationGracePeriodSeconds": 30},
    hooks=(_sync_service_account,),
    lists={
        "volumes": _VOLUME,
        "initContainers": _CONTAINER,
        "containers": _CONTAINER,
        "ephemeralContainers": _CONTAINER,
    },
)
_POD_TEMPLATE = _Struct(embedded={"spec": _POD_SPEC})

# --------------------------------------------------------------------------------------------------------
# Pods only: SetDefaults_Pod and the create-time admission plugins
# --------------------------------------------------------------------------------------------------------

_RESOURCE_CONTAINERS = ("initContainers", "containers")  # not ephemeralContainers, as SetDefaults_Pod
# Priority admission: the built-in classes; any other class needs a PriorityClass lookup, left to callers.
_BUILTIN_PRIORITIES = {"": 0, "system-cluster-critical": 2000000000, "system-node-critical": 2000001000}
# DefaultTolerationSeconds admission: pods tolerate unready/unreachable nodes for five minutes.
_NODE_PROBLEM_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def _default_requests_to_limits(spec: _Obj) -> None:
    for name in _RESOURCE_CONTAINERS:
        for container in _dicts(spec.get(name)):
            limits = _dict_at(container, "resources", "limits")
            if limits is not None:
                requests = container["resources"].setdefault("requests", {})
                for resource, quantity in limits.items():
                    requests.setdefault(resource, quantity)


def _default_host_ports(spec: _Obj) -> None:
    if spec.get("hostNetwork") is not True:
        return
    for name in _RESOURCE_CONTAINERS:
        for container in _dicts(spec.get(name)):
            for port in _dicts(container.get("ports")):
                if _is_go_zero(port.get("hostPort")) and not _is_go_zero(port.get("containerPort")):
                    port["hostPort"] = port["containerPort"]


def _default_priority(spec: _Obj) -> None:
    class_name = spec.get("priorityClassName") or ""
    if spec.get("priority") is None and class_name in _BUILTIN_PRIORITIES:
        _fill(spec, {"priority": _BUILTIN_PRIORITIES[class_name], "preemptionPolicy": "PreemptLowerPriority"})


def _tolerates(tolerations: list[_Obj], key: str) -> bool:
    return any(
        toleration.get("key") in (None, "", key) and toleration.get("effect") in (None, "", "NoExecute")
        for toleration in tolerations
    )


def _default_tolerations(spec: _Obj) -> None:
    tolerations = spec.get("tolerations")
    if tolerations is not None and not isinstance(tolerations, list):
        return
    existing = _dicts(tolerations)
    missing = [
        {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
        for key in _NODE_PROBLEM_TAINTS
        if not _tolerates(existing, key)
    ]
    if missing:
        spec["tolerations"] = [*(tolerations or []), *missing]


_POD = _Struct(
    embedded={
        "spec": replace(
            _POD_SPEC,
            pointers={**_POD_SPEC.pointers, "enableServiceLinks": True},
            hooks=(
                partial(_sync_service_account, fallback="default"),
                _default_priority,
                _default_tolerations,
                _default_requests_to_limits,
                _default_host_ports,
            ),
        )
    }
)

# --------------------------------------------------------------------------------------------------------
# Workloads (apps/v1, batch/v1)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _UpdateStrategy:
    """The ``strategy``/``updateStrategy`` rule shared by Deployments, DaemonSets and StatefulSets.

    Deployments and DaemonSets always get a ``rollingUpdate`` block when the type is RollingUpdate; a
    StatefulSet only when the apiserver itself chose the type (``only_when_type_defaulted``).
    """

    field_name: str
    rolling_update: Mapping[str, Any]
    only_when_type_defaulted: bool = False

    def __call__(self, spec: _Obj) -> None:
        _fill(spec, {self.field_name: {}})
        strategy = spec[self.field_name]
        if not isinstance(strategy, dict):
            return
        type_defaulted = _is_go_zero(strategy.get("type"))
        if type_defaulted:
            strategy["type"] = "RollingUpdate"
        if strategy["type"] != "RollingUpdate":
            return
        if strategy.get("rollingUpdate") is None and (type_defaulted or not self.only_when_type_defaulted):
            strategy["rollingUpdate"] = {}
        rolling = strategy.get("rollingUpdate")
        if isinstance(rolling, dict):
            _fill(rolling, self.rolling_update)


def _default_job_counts(spec: _Obj) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2**31 - 1 if spec.get("backoffLimitPerIndex") is not None else 6
    if spec.get("podReplacementPolicy") is None:
        has_failure_policy = spec.get("podFailurePolicy") is not None
        spec["podReplacementPolicy"] = "Failed" if has_failure_policy else "TerminatingOrFailed"


def _copy_template_labels(job: _Obj) -> None:
    """A Job without labels takes its pod template's labels (``SetDefaults_Job``)."""
    labels = _dict_at(job, "spec", "template", "metadata", "labels")
    metadata = job.get("metadata")
    if labels and isinstance(metadata, dict) and not metadata.get("labels"):
        metadata["labels"] = dict(labels)


_NAME_LABEL = "kubernetes.io/metadata.name"


def _label_namespace_name(namespace: _Obj) -> None:
    metadata = namespace.get("metadata")
    if isinstance(metadata, dict) and metadata.get("name"):
        labels = metadata.get("labels")
        metadata["labels"] = {**(labels if isinstance(labels, dict) else {}), _NAME_LABEL: metadata["name"]}


_RETAIN = "Retain"
_REVISION_HISTORY = {"revisionHistoryLimit": 10}
_PVC = _Struct(
    embedded={
        "spec": _Struct(pointers={"volumeMode": "Filesystem"}),
        "status": _Struct(values={"phase": "Pending"}),
    }
)
_JOB_SPEC = _Struct(
    pointers={"completionMode": "NonIndexed", "suspend": False},
    hooks=(_default_job_counts,),
    embedded={"template": _POD_TEMPLATE},
    optional={
        "podFailurePolicy": _Struct(
            lists={"rules": _Struct(lists={"onPodConditions": _Struct(values={"status": "True"})})}
        )
    },
)


def _workload(spec: _Struct) -> _Struct:
    """A top-level object whose ``spec`` is always present (a value struct in Go)."""
    return _Struct(embedded={"spec": spec})


_KINDS: dict[tuple[str, str], _Struct] = {
    ("apps", "Deployment"): _workload(
        _Struct(
            pointers={"replicas": 1, **_REVISION_HISTORY, "progressDeadlineSeconds": 600},
            hooks=(_UpdateStrategy("strategy", {"maxUnavailable": "25%", "maxSurge": "25%"}),),
            embedded={"template": _POD_TEMPLATE},
        )
    ),
    ("apps", "ReplicaSet"): _workload(
        _Struct(pointers={"replicas": 1}, embedded={"template": _POD_TEMPLATE})
    ),
    ("apps", "StatefulSet"): _workload(
        _Struct(
            values={"podManagementPolicy": "OrderedReady"},
            pointers={"replicas": 1, **_REVISION_HISTORY},
            hooks=(_UpdateStrategy("updateStrategy", {"partition": 0}, only_when_type_defaulted=True),),
            embedded={
                "template": _POD_TEMPLATE,
                "persistentVolumeClaimRetentionPolicy": _Struct(
                    values={"whenDeleted": _RETAIN, "whenScaled": _RETAIN}
                ),
            },
            lists={"volumeClaimTemplates": _PVC},
        )
    ),
    ("apps", "DaemonSet"): _workload(
        _Struct(
            pointers=_REVISION_HISTORY,
            hooks=(_UpdateStrategy("updateStrategy", {"maxUnavailable": 1, "maxSurge": 0}),),
            embedded={"template": _POD_TEMPLATE},
        )
    ),
    ("batch", "Job"): _Struct(hooks=(_copy_template_labels,), embedded={"spec": _JOB_SPEC}),
    ("batch", "CronJob"): _workload(
        _Struct(
            values={"concurrencyPolicy": "Allow"},
            pointers={"suspend": False, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1},
            embedded={"jobTemplate": _workload(_Struct(embedded={"template": _POD_TEMPLATE}))},
        )
    ),
    ("", "Pod"): _POD,
    ("", "PodTemplate"): _Struct(embedded={"template": _POD_TEMPLATE}),
    ("", "PersistentVolumeClaim"): _PVC,
    ("", "Secret"): _Struct(values={"type": "Opaque"}),
    ("", "Namespace"): _Struct(
        hooks=(_label_namespace_name,),
        embedded={
            "spec": _Struct(pointers={"finalizers": ["kubernetes"]}),
            "status": _Struct(values={"phase": "Active"}),
        },
    ),
}


def apply_defaults(group: str, kind: str, obj: dict[str, Any]) -> None:
    """Fill in what kube-apiserver would default on ``obj`` (a built-in ``group``/``kind``), in place.

    ``group`` is ``""`` (or ``"core"``) for the core API. Idempotent; unknown kinds are left untouched.
    """
    struct = _KINDS.get(("" if group == "core" else group, kind))
    if struct is not None and isinstance(obj, dict):
        _apply(struct, obj)
