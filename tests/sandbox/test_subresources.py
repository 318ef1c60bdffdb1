"""The status and scale subresources: who may write which part of an object."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from headwind.sandbox.emulator import Emulator

from .manifests import deployment, widget, widget_crd

MERGE = "application/merge-patch+json"


async def test_the_main_endpoint_ignores_status(kube: client.ApiClient, emulator: Emulator) -> None:
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kube)
    body = widget("w")
    body["status"] = {"phase": "Forged"}
    created = await custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", body)
    assert "status" not in created
    patched = await custom.patch_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", "w", {"status": {"phase": "Forged"}}, _content_type=MERGE
    )
    assert "status" not in patched
    assert patched["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_the_status_endpoint_changes_only_status_and_not_generation(kube: client.ApiClient) -> None:
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kube)
    await custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", widget("w", 1))
    patched = await custom.patch_namespaced_custom_object_status(
        "example.com",
        "v1",
        "default",
        "widgets",
        "w",
        {"spec": {"size": 9}, "status": {"phase": "Ready"}},
        _content_type=MERGE,
    )
    assert patched["status"] == {"phase": "Ready"}
    assert patched["spec"]["size"] == 1
    assert patched["metadata"]["generation"] == 1


async def test_a_deployment_created_with_status_starts_with_an_empty_one(kube: client.ApiClient) -> None:
    body = deployment("fresh")
    body["status"] = {"replicas": 7, "readyReplicas": 7}
    raw = await client.AppsV1Api(kube).create_namespaced_deployment("default", body, _preload_content=False)
    created = await raw.json()
    assert created["status"] == {}


async def test_the_scale_subresource_reads_and_sets_replicas(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    apps = client.AppsV1Api(kube)
    await apps.create_namespaced_deployment("default", deployment("scaled", replicas=2))
    scale = await apps.read_namespaced_deployment_scale("scaled", "default")
    assert scale.spec.replicas == 2
    assert scale.status.selector == "app=scaled"
    await apps.patch_namespaced_deployment_scale("scaled", "default", {"spec": {"replicas": 5}})
    updated = await apps.read_namespaced_deployment("scaled", "default")
    assert updated.spec.replicas == 5
    assert updated.metadata.generation == 2


async def test_replacing_scale_with_a_stale_version_is_409(kube: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube)
    await apps.create_namespaced_deployment("default", deployment("sc"))
    scale = await apps.read_namespaced_deployment_scale("sc", "default")
    await apps.patch_namespaced_deployment("sc", "default", {"metadata": {"labels": {"touched": "yes"}}})
    body = {
        "apiVersion": "autoscaling/v1",
        "kind": "Scale",
        "metadata": {
            "name": "sc",
            "namespace": "default",
            "resourceVersion": scale.metadata.resource_version,
        },
        "spec": {"replicas": 4},
    }
    with pytest.raises(ApiException) as raised:
        await apps.replace_namespaced_deployment_scale("sc", "default", body)
    assert raised.value.status == 409
