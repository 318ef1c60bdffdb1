"""Discovery documents and CustomResourceDefinitions, including our own CRD manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from ..support import status_message, with_widget
from .manifests import update_request, widget, widget_crd

MERGE = "application/merge-patch+json"
MANIFESTS = Path(__file__).resolve().parents[2] / "manifests" / "crds"


async def get_json(kube: client.ApiClient, path: str) -> dict:
    response = await kube.call_api(
        path,
        "GET",
        response_types_map={200: "object"},
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
    )
    assert isinstance(response, dict)
    return response


async def test_version_and_core_discovery(kube: client.ApiClient) -> None:
    version = await client.VersionApi(kube).get_code()
    assert version.major == "1"
    resources = await get_json(kube, "/api/v1")
    by_name = {r["name"]: r for r in resources["resources"]}
    assert by_name["pods"]["namespaced"] is True
    assert by_name["namespaces"]["namespaced"] is False
    assert "watch" in by_name["configmaps"]["verbs"]
    assert by_name["configmaps"]["shortNames"] == ["cm"]
    assert "pods/status" in by_name


async def test_apps_discovery_lists_short_names_and_subresources(kube: client.ApiClient) -> None:
    groups = await get_json(kube, "/apis")
    assert "apps" in {g["name"] for g in groups["groups"]}
    apps = await get_json(kube, "/apis/apps/v1")
    by_name = {r["name"]: r for r in apps["resources"]}
    assert by_name["deployments"]["shortNames"] == ["deploy"]
    assert by_name["deployments/scale"]["kind"] == "Scale"
    assert by_name["deployments/scale"]["group"] == "autoscaling"
    assert "deployments/status" in by_name


async def test_a_missing_group_is_404(kube: client.ApiClient) -> None:
    with pytest.raises(ApiException) as raised:
        await get_json(kube, "/apis/helm.toolkit.fluxcd.io/v2")
    assert raised.value.status == 404


async def test_applying_a_crd_serves_its_resource_and_lists_it_in_discovery(kube: client.ApiClient) -> None:
    crd = await client.ApiextensionsV1Api(kube).create_custom_resource_definition(widget_crd())
    conditions = {c.type: c.status for c in crd.status.conditions}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    group = await get_json(kube, "/apis/example.com/v1")
    assert group["resources"][0]["shortNames"] == ["wd"]
    custom = client.CustomObjectsApi(kube)
    await custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", widget("w"))
    listed = await custom.list_namespaced_custom_object("example.com", "v1", "default", "widgets")
    assert listed["kind"] == "WidgetList"
    assert [item["metadata"]["name"] for item in listed["items"]] == ["w"]


async def test_custom_resources_are_validated_pruned_and_defaulted_by_their_schema(
    kube: client.ApiClient,
) -> None:
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(widget_crd())
    custom = client.CustomObjectsApi(kube)
    body = widget("w")
    body["spec"]["unknownField"] = "dropped"
    created = await custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", body)
    assert created["spec"] == {"size": 1, "color": "red"}
    bad = widget("bad")
    bad["spec"]["color"] = "green"
    with pytest.raises(ApiException) as raised:
        await custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", bad)
    assert raised.value.status == 422
    assert "Unsupported value" in status_message(raised.value)


async def test_replacing_a_custom_resource_requires_a_resource_version(kube: client.ApiClient) -> None:
    custom = await with_widget(kube)
    with pytest.raises(ApiException) as raised:
        await custom.replace_namespaced_custom_object(
            "example.com", "v1", "default", "widgets", "w", widget("w", 2)
        )
    assert raised.value.status == 422


async def test_every_served_version_shares_one_storage(kube: client.ApiClient) -> None:
    custom = await with_widget(kube, versions=("v1", "v1beta1"))
    seen = await custom.get_namespaced_custom_object("example.com", "v1beta1", "default", "widgets", "w")
    assert seen["apiVersion"] == "example.com/v1beta1"


async def test_deleting_a_crd_deletes_its_objects_and_stops_serving(kube: client.ApiClient) -> None:
    custom = await with_widget(kube)
    await client.ApiextensionsV1Api(kube).delete_custom_resource_definition("widgets.example.com")
    with pytest.raises(ApiException) as raised:
        await custom.list_namespaced_custom_object("example.com", "v1", "default", "widgets")
    assert raised.value.status == 404


@pytest.mark.parametrize("manifest", sorted(MANIFESTS.glob("*.yaml")), ids=lambda p: p.name)
async def test_our_crd_manifests_are_accepted_and_served(kube: client.ApiClient, manifest: Path) -> None:
    crd = yaml.safe_load(manifest.read_text())
    created = await client.ApiextensionsV1Api(kube).create_custom_resource_definition(crd)
    spec = crd["spec"]
    served = [v["name"] for v in spec["versions"] if v.get("served")]
    for version in served:
        resources = await get_json(kube, f"/apis/{spec['group']}/{version}")
        assert spec["names"]["plural"] in {r["name"] for r in resources["resources"]}
    assert created.status.accepted_names.kind == spec["names"]["kind"]


async def test_an_update_request_with_a_phase_outside_the_enum_is_rejected(kube: client.ApiClient) -> None:
    crd = yaml.safe_load((MANIFESTS / "updaterequest.yaml").read_text())
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(crd)
    custom = client.CustomObjectsApi(kube)
    await custom.create_namespaced_custom_object(
        "headwind.sh", "v1alpha1", "default", "updaterequests", update_request("web-nginx-1-26-0")
    )

    async def patch_status(status: dict[str, Any]) -> Any:
        return await custom.patch_namespaced_custom_object_status(
            "headwind.sh",
            "v1alpha1",
            "default",
            "updaterequests",
            "web-nginx-1-26-0",
            {"status": status},
            _content_type=MERGE,
        )

    approved = await patch_status({"phase": "Approved", "approvedBy": "alice"})
    assert approved["status"]["phase"] == "Approved"
    with pytest.raises(ApiException) as raised:
        await patch_status({"phase": "Bogus"})
    assert raised.value.status == 422


@pytest.mark.parametrize("path", ["/api", "/api/", "/apis", "/apis/", "/version", "/version/"])
async def test_discovery_roots_answer_with_and_without_a_trailing_slash(
    kube: client.ApiClient, path: str
) -> None:
    assert await get_json(kube, path)
