"""Small, valid objects for emulator tests (the client's models reject invalid ones)."""

from __future__ import annotations

from typing import Any


def deployment(
    name: str = "web",
    image: str = "nginx:1.25.3",
    *,
    namespace: str = "default",
    replicas: int = 1,
    labels: dict[str, str] | None = None,
    containers: list[dict[str, Any]] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": name}, **metadata},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": containers or [{"name": "app", "image": image}]},
            },
        },
    }


def configmap(
    name: str, *, namespace: str = "default", labels: dict[str, str] | None = None, **data: str
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "data": dict(data),
    }


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def widget_schema(**spec_properties: dict[str, Any]) -> dict[str, Any]:
    """The Widget's OpenAPI schema: a required integer ``size``, a ``color`` enum that defaults to red, and
    a status ``phase``; ``spec_properties`` add spec properties or replace these."""
    return {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "integer", "minimum": 0},
                    "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                    **spec_properties,
                },
            },
            "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
        },
    }


def crd(
    group: str,
    kind: str,
    plural: str,
    *,
    versions: tuple[str, ...] = ("v1",),
    schema: dict[str, Any] | None = None,
    scope: str = "Namespaced",
    short_names: tuple[str, ...] = (),
    status: bool = False,
) -> dict[str, Any]:
    """A CustomResourceDefinition; the first version stores, and the schema keeps every field unless given."""
    names: dict[str, Any] = {"plural": plural, "singular": kind.lower(), "kind": kind}
    if short_names:
        names["shortNames"] = list(short_names)
    open_schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": scope,
            "names": names,
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": index == 0,
                    "schema": {"openAPIV3Schema": schema or open_schema},
                    **({"subresources": {"status": {}}} if status else {}),
                }
                for index, version in enumerate(versions)
            ],
        },
    }


def widget_crd(
    *, scope: str = "Namespaced", versions: tuple[str, ...] = ("v1",), schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A small CRD with a status subresource and an enum, for custom-resource semantics."""
    return crd(
        "example.com",
        "Widget",
        "widgets",
        versions=versions,
        schema=schema or widget_schema(),
        scope=scope,
        short_names=("wd",),
        status=True,
    )


def widget(name: str, size: int = 1, *, namespace: str = "default", version: str = "v1") -> dict[str, Any]:
    return {
        "apiVersion": f"example.com/{version}",
        "kind": "Widget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"size": size},
    }


def update_request(
    name: str = "web-nginx-1-26-0", *, namespace: str = "default", **spec: Any
) -> dict[str, Any]:
    """A valid UpdateRequest moving Deployment ``web``'s ``app`` container from nginx 1.25.3 to 1.26.0.

    ``spec`` sets (or, given ``None``, nulls) fields of the spec by their Kubernetes names:
    ``update_request(policy="patch")``, ``update_request(containerName=None)``.
    """
    return {
        "apiVersion": "headwind.sh/v1alpha1",
        "kind": "UpdateRequest",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "targetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": "web",
                "namespace": namespace,
            },
            "updateType": "image",
            "containerName": "app",
            "currentImage": "nginx:1.25.3",
            "newImage": "nginx:1.26.0",
            "policy": "minor",
            **spec,
        },
    }


def helm_release_crd() -> dict[str, Any]:
    """Flux's HelmRelease CRD, just enough to be served (the schema keeps every field)."""
    return crd("helm.toolkit.fluxcd.io", "HelmRelease", "helmreleases", versions=("v2",))
