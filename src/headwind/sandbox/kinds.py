"""The resource types the emulator serves: built-in kinds as a table, custom ones from CRDs.

A real apiserver knows a kind by its group, version and plural, and tells clients about it through
discovery (namespaced or not, verbs, short names, subresources). kubectl resolves ``deploy`` or ``ur``
only through those short names, and kubernetes-asyncio builds URLs from group/version/plural, so this
table is the single source for routing, discovery and validation.

Kinds are data, not code: a :class:`ResourceType` says where its objects live (``storage``: two API
versions of one kind share one storage, as ``v1`` Events and ``events.k8s.io/v1`` Events do), whether
it has a status or scale subresource, whether strategic merge patch applies (built-in groups only, as
the apiserver: custom resources have no Go struct tags to merge lists by) and whether it counts
``metadata.generation``. Applying a CustomResourceDefinition adds its served versions to the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

STANDARD_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
REVIEW_VERBS = ("create",)


@dataclass(frozen=True)
class ResourceType:
    """One served group/version/plural and the rules its objects follow."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()
    verbs: tuple[str, ...] = STANDARD_VERBS
    builtin: bool = True
    has_generation: bool = False
    storage_key: str = ""
    codec: str = ""
    categories: tuple[str, ...] = ()
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    stored: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def storage(self) -> str:
        """Where objects live; several versions (or codecs) of one kind share it."""
        return self.storage_key or (f"{self.plural}.{self.group}" if self.group else self.plural)

    @property
    def selector_kind(self) -> str:
        """The key :func:`selectors.object_fields` knows this kind's field set by."""
        return f"{self.group}/{self.kind}" if self.codec else self.kind

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


def _builtin(
    group: str,
    version: str,
    plural: str,
    kind: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    generation: bool = False,
    **extra: Any,
) -> ResourceType:
    return ResourceType(
        group, version, plural, kind, namespaced, short, frozenset(sub), has_generation=generation, **extra
    )


def _review_kind(group: str, plural: str, kind: str) -> ResourceType:
    """A review: created to be answered, never stored (TokenReview, SubjectAccessReview...)."""
    return _builtin(group, "v1", plural, kind, namespaced=False, verbs=REVIEW_VERBS, stored=False)


_WORKLOAD: dict[str, Any] = {"sub": ("status",), "generation": True, "categories": ("all",)}

BUILTIN_TYPES: tuple[ResourceType, ...] = (
    _builtin("", "v1", "namespaces", "Namespace", namespaced=False, short=("ns",), sub=("status",)),
    _builtin("", "v1", "nodes", "Node", namespaced=False, short=("no",), sub=("status",)),
    _builtin("", "v1", "pods", "Pod", short=("po",), sub=("status",), categories=("all",)),
    _builtin("", "v1", "events", "Event", short=("ev",)),
    _builtin("", "v1", "secrets", "Secret"),
    _builtin("", "v1", "configmaps", "ConfigMap", short=("cm",)),
    _builtin("", "v1", "serviceaccounts", "ServiceAccount", short=("sa",)),
    _builtin("", "v1", "services", "Service", short=("svc",), sub=("status",), categories=("all",)),
    _builtin(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        short=("deploy",),
        **{**_WORKLOAD, "sub": ("status", "scale")},
    ),
    _builtin(
        "apps", "v1", "replicasets", "ReplicaSet", short=("rs",), **{**_WORKLOAD, "sub": ("status", "scale")}
    ),
    _builtin(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        short=("sts",),
        **{**_WORKLOAD, "sub": ("status", "scale")},
    ),
    _builtin("apps", "v1", "daemonsets", "DaemonSet", short=("ds",), **_WORKLOAD),
    _builtin("apps", "v1", "controllerrevisions", "ControllerRevision"),
    _builtin("batch", "v1", "jobs", "Job", **_WORKLOAD),
    _builtin("batch", "v1", "cronjobs", "CronJob", short=("cj",), **_WORKLOAD),
    _builtin(
        "events.k8s.io", "v1", "events", "Event", short=("ev",), storage_key="events", codec="events.k8s.io"
    ),
    _builtin("coordination.k8s.io", "v1", "leases", "Lease"),
    _builtin(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short=("crd", "crds"),
        sub=("status",),
        generation=True,
    ),
    _review_kind("authentication.k8s.io", "tokenreviews", "TokenReview"),
    _review_kind("authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview"),
    _review_kind("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
)


def types_from_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """The resource types a CustomResourceDefinition serves, one per served version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = spec.get("group", "")
    plural = names.get("plural", "")
    served: list[ResourceType] = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        served.append(
            ResourceType(
                group=group,
                version=version["name"],
                plural=plural,
                kind=names.get("kind", ""),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                subresources=frozenset(name for name in ("status", "scale") if name in subresources),
                builtin=False,
                has_generation=True,
                categories=tuple(names.get("categories") or ()),
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
            )
        )
    return served


class KindRegistry:
    """Every served resource type, findable by the ways clients name it."""

    def __init__(self, types: Iterable[ResourceType] = BUILTIN_TYPES) -> None:
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self._by_crd: dict[str, list[ResourceType]] = {}
        for rtype in types:
            self._types[(rtype.group, rtype.version, rtype.plural)] = rtype

    def find(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def find_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The type of an object as it names itself (``apiVersion`` + ``kind``)."""
        group, _, version = api_version.rpartition("/")
        for rtype in self._types.values():
            if rtype.group == group and rtype.version == version and rtype.kind == kind:
                return rtype
        return None

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(sorted(self._types.values(), key=lambda t: (t.group, t.version, t.plural)))

    def storages(self) -> set[str]:
        return {rtype.storage for rtype in self._types.values() if rtype.stored}

    def storage_type(self, storage: str) -> ResourceType | None:
        """The canonical type of a storage: the one without a codec, objects are kept in its form."""
        for rtype in self._types.values():
            if rtype.storage == storage and not rtype.codec:
                return rtype
        return None

    def groups(self) -> dict[str, list[str]]:
        """Group name to served versions, preferred (first-registered) version first."""
        groups: dict[str, list[str]] = {}
        for group, version, _ in self._types:
            versions = groups.setdefault(group, [])
            if version not in versions:
                versions.append(version)
        return groups

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rtype for rtype in self if rtype.group == group and rtype.version == version]

    def serve_crd(self, crd_name: str, types: list[ResourceType]) -> None:
        """Make a CRD's versions served, replacing what an earlier revision of it served."""
        self.forget_crd(crd_name)
        for rtype in types:
            self._types[(rtype.group, rtype.version, rtype.plural)] = rtype
        self._by_crd[crd_name] = types

    def forget_crd(self, crd_name: str) -> list[ResourceType]:
        types = self._by_crd.pop(crd_name, [])
        for rtype in types:
            self._types.pop((rtype.group, rtype.version, rtype.plural), None)
        return types

    def crd_conflicts(self, crd_name: str, types: list[ResourceType]) -> str | None:
        """Why these types cannot be served (a name already taken by another kind), if they cannot."""
        for rtype in types:
            existing = self._types.get((rtype.group, rtype.version, rtype.plural))
            if existing is not None and existing not in self._by_crd.get(crd_name, []):
                return f"{rtype.plural}.{rtype.group} is already served"
        return None
