"""API discovery documents, built from the kind table so they can never disagree with routing.

kubectl resolves every resource name it is given (``deploy``, ``ur``, ``updaterequests.headwind.sh``)
through these documents, and the operator detects whether Flux's CRDs exist by the same means, so
each resource lists its verbs, short names, and its ``/status`` and ``/scale`` subresources exactly
as the apiserver does. Custom resources appear here the moment their CRD is applied.
"""

from __future__ import annotations

from typing import Any

from .kinds import KindRegistry, ResourceType

SERVER_VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-headwind-sandbox",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
}

SUBRESOURCE_KINDS = {"status": None, "scale": ("autoscaling", "v1", "Scale")}
SUBRESOURCE_VERBS = {"status": ["get", "patch", "update"], "scale": ["get", "patch", "update"]}


def core_versions() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def _group_document(group: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{group}/{version}", "version": version} for version in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def group_list(kinds: KindRegistry) -> dict[str, Any]:
    groups = [_group_document(group, versions) for group, versions in kinds.groups().items() if group]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(kinds: KindRegistry, name: str) -> dict[str, Any] | None:
    versions = kinds.groups().get(name)
    if not versions or not name:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_document(name, versions)}


def _resource(rtype: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": rtype.plural,
        "singularName": rtype.singular,
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": list(rtype.verbs),
    }
    if rtype.short_names:
        entry["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        entry["categories"] = list(rtype.categories)
    return entry


def _subresource(rtype: ResourceType, sub: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": f"{rtype.plural}/{sub}",
        "singularName": "",
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": SUBRESOURCE_VERBS[sub],
    }
    if scale := SUBRESOURCE_KINDS[sub]:
        entry["group"], entry["version"], entry["kind"] = scale
    return entry


def resource_list(kinds: KindRegistry, group_name: str, version: str) -> dict[str, Any] | None:
    types = kinds.in_group_version(group_name, version)
    if not types:
        return None
    resources: list[dict[str, Any]] = []
    for rtype in types:
        resources.append(_resource(rtype))
        resources.extend(_subresource(rtype, sub) for sub in sorted(rtype.subresources))
    group_version = f"{group_name}/{version}" if group_name else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }
