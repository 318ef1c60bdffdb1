"""The three patch types over HTTP, chosen by Content-Type as the apiserver chooses them."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from ..support import with_widget
from .manifests import deployment

MERGE = "application/merge-patch+json"
IMAGE = "/spec/template/spec/containers/0/image"


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


@pytest.fixture
async def apps(kube: client.ApiClient) -> client.AppsV1Api:
    """The apps API, with Deployment ``pair`` (``two_containers``) created in ``default``."""
    apps = client.AppsV1Api(kube)
    await apps.create_namespaced_deployment("default", two_containers())
    return apps


async def test_a_strategic_patch_of_one_container_keeps_the_other_and_its_ports(
    apps: client.AppsV1Api,
) -> None:
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


async def test_a_merge_patch_replaces_lists_whole(apps: client.AppsV1Api) -> None:
    patched = await apps.patch_namespaced_deployment(
        "pair",
        "default",
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2.0"}]}}}},
        _content_type=MERGE,
    )
    assert [c.name for c in patched.spec.template.spec.containers] == ["app"]


async def test_a_json_patch_with_a_passing_test_op_applies(apps: client.AppsV1Api) -> None:
    patched = await apps.patch_namespaced_deployment(
        "pair",
        "default",
        [
            {"op": "test", "path": IMAGE, "value": "app:1.0"},
            {"op": "replace", "path": IMAGE, "value": "app:3.0"},
        ],
    )
    assert patched.spec.template.spec.containers[0].image == "app:3.0"


async def test_a_json_patch_whose_test_op_fails_is_422_and_changes_nothing(apps: client.AppsV1Api) -> None:
    with pytest.raises(ApiException) as raised:
        await apps.patch_namespaced_deployment(
            "pair",
            "default",
            [
                {"op": "test", "path": IMAGE, "value": "app:0.9"},
                {"op": "replace", "path": IMAGE, "value": "x:1"},
            ],
        )
    assert raised.value.status == 422
    unchanged = await apps.read_namespaced_deployment("pair", "default")
    assert unchanged.spec.template.spec.containers[0].image == "app:1.0"
    assert unchanged.metadata.generation == 1


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        pytest.param("application/json-patch+json", 400, id="a_json_patch_that_is_not_a_list_is_400"),
        pytest.param("application/apply-patch+yaml", 415, id="an_unknown_patch_content_type_is_415"),
    ],
)
async def test_a_patch_the_content_type_cannot_carry_is_refused(
    apps: client.AppsV1Api, content_type: str, status: int
) -> None:
    with pytest.raises(ApiException) as raised:
        await apps.patch_namespaced_deployment(
            "pair", "default", {"spec": {"replicas": 2}}, _content_type=content_type
        )
    assert raised.value.status == status


async def test_custom_resources_refuse_strategic_merge_with_415(kube: client.ApiClient) -> None:
    custom = await with_widget(kube)
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
    custom = await with_widget(kube)
    with pytest.raises(ApiException) as raised:
        await custom.patch_namespaced_custom_object(
            "example.com", "v1", "default", "widgets", "w", {"spec": {"size": 2}}
        )
    assert raised.value.status == 400
    patched = await custom.patch_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", "w", {"spec": {"size": 2}}, _content_type=MERGE
    )
    assert patched["spec"]["size"] == 2
