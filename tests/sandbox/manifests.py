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


def widget_crd(
    *, scope: str = "Namespaced", versions: tuple[str, ...] = ("v1",), schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A small CRD with a status subresource and an enum, for custom-resource semantics."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": scope,
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [
                {
                    "name": v,
                    "served": True,
                    "storage": i == 0,
                    "schema": {"openAPIV3Schema": schema or widget_schema()},
                    "subresources": {"status": {}},
                }
                for i, v in enumerate(versions)
            ],
        },
    }


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
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "helmreleases.helm.toolkit.fluxcd.io"},
        "spec": {
            "group": "helm.toolkit.fluxcd.io",
            "scope": "Namespaced",
            "names": {"kind": "HelmRelease", "plural": "helmreleases", "singular": "helmrelease"},
            "versions": [
                {
                    "name": "v2",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }
