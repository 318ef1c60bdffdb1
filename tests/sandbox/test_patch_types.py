"""The three patch types over HTTP, chosen by Content-Type as the apiserver chooses them."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from .manifests import deployment, widget, widget_crd

MERGE = "application/merge-patch+json"


def two_containers() -> dict:
    return deployment(
        "pair",
        containers=[
            {
                "name": "app",
                "image": "app:1.0",
                "ports": [{"containerPort": 8080}],
                "env": [{"name": "MODE", "value": "prod"}],
            },
            {"name": "side", "image": "side:1.0"},
        ],
    )


async def test_a_strategic_patch_of_one_container_keeps_the_other_and_its_ports(
    kube: client.ApiClient,
) -> None:
    apps = client.AppsV1Api(kube)
    await apps.create_namespaced_deployment("default", two_containers())
    patched = await apps.patch_namespaced_deployment(
        "pair",
        "default",
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2.0"}]}}}},
    )
    containers = {c.name: c for c in patched.spec.template.spec.containers}
    assert containers["app"].image == "app:2.0"
    assert containers["app"].ports[0].container_port == 8080
    assert containers["app"].env[0].name == "MODE"
    assert containers["side"].image == "side:1.0"


async def test_a_merge_patch_replaces_lists_whole(kube: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube)
    await apps.create_namespaced_deployment("default", two_containers())
    patched = await apps.patch_namespaced_deployment(
        "pair",
        "default",
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2.0"}]}}}},
        _content_type=MERGE,
    )
    assert [c.name for c in patched.spec.template.spec.containers] == ["app"]


async def test_a_json_patch_with_a_passing_test_op_applies(kube: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube)
    await apps.create_namespaced_deployment("default", two_containers())
    path = "/spec/template/spec/containers/0/image"
    patched = await apps.patch_namespaced_deployment(
        "pair",
        "default",
        [
            {"op": "test", "path": path, "value": "app:1.0"},
            {"op": "replace", "path": path, "value": "app:3.0"},
        ],
    )
    assert patched.spec.template.spec.containers[0].image == "app:3.0"


async def test_a_json_patch_whose_test_op_fails_is_422_and_changes_nothing(kube: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube)
    await apps.create_namespaced_deployment("default", two_containers())
    path = "/spec/template/spec/containers/0/image"
    with pytest.raises(ApiException) as raised:
        await apps.patch_namespaced_deployment(
            "pair",
            "default",
            [
                {"op": "test", "path": path, "value": "app:0.9"},
                {"op": "replace", "path": path, "value": "x:1"},
            ],
        )
    assert raised.value.status == 422
    unchanged = await apps.read_namespaced_deployment("pair", "default")
    assert unchanged.spec.template.spec.containers[0].image == "app:1.0"
    assert unchanged.metadata.generation == 1


async def test_a_json_patch_that_is_not_a_list_is_400(kube: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube)
    await apps.create_namespaced_deployment("default", two_containers())
    with pytest.raises(ApiException) as raised:
        await apps.patch_namespaced_deployment(
            "pair", "default", {"spec": {"replicas": 2}}, _content_type="application/json-patch+json"
        )
    assert raised.value.status == 400


async def test_custom_resources_refuse_strategic_merge_with_415(kube: client.ApiClient) -> None:
    extensions = client.ApiextensionsV1Api(kube)
    custom = client.CustomObjectsApi(kube)
    await extensions.create_custom_resource_definition(widget_crd())
    await custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", widget("w"))
    with pytest.raises(ApiException) as raised:
        await custom.patch_namespaced_custom_object(
            "example.com",
            "v1",
            "default",
            "widgets",
            "w",
            {"spec": {"size": 2}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert raised.value.status == 415


async def test_custom_objects_api_dict_patch_without_content_type_is_400_as_on_a_cluster(
    kube: client.ApiClient,
) -> None:
    """kubernetes-asyncio sends a dict as json-patch on CustomObjectsApi; a real apiserver says 400."""
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kube)
    await custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", widget("w"))
    with pytest.raises(ApiException) as raised:
        await custom.patch_namespaced_custom_object(
            "example.com", "v1", "default", "widgets", "w", {"spec": {"size": 2}}
        )
    assert raised.value.status == 400
    patched = await custom.patch_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", "w", {"spec": {"size": 2}}, _content_type=MERGE
    )
    assert patched["spec"]["size"] == 2


async def test_an_unknown_patch_content_type_is_415(kube: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube)
    await apps.create_namespaced_deployment("default", two_containers())
    with pytest.raises(ApiException) as raised:
        await apps.patch_namespaced_deployment(
            "pair", "default", {"spec": {"replicas": 2}}, _content_type="application/apply-patch+yaml"
        )
    assert raised.value.status == 415
