"""Object semantics through the real client: identity, versions, concurrency, listing, defaulting."""

from __future__ import annotations

import json

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from headwind.sandbox.emulator import Emulator

from ..support import status_message
from .manifests import configmap, deployment


async def test_create_stamps_identity_and_an_increasing_resource_version(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    first = await core.create_namespaced_config_map("default", configmap("one"))
    second = await core.create_namespaced_config_map("default", configmap("two"))
    assert first.metadata.uid and second.metadata.uid and first.metadata.uid != second.metadata.uid
    assert first.metadata.creation_timestamp is not None
    assert int(second.metadata.resource_version) > int(first.metadata.resource_version)


async def test_create_answers_201_created(kube: client.ApiClient) -> None:
    _, status, _ = await client.CoreV1Api(kube).create_namespaced_config_map_with_http_info(
        "default", configmap("created")
    )
    assert status == 201


async def test_generate_name_appends_five_random_characters(kube: client.ApiClient) -> None:
    body = configmap("")
    body["metadata"] = {"generateName": "cache-"}
    created = await client.CoreV1Api(kube).create_namespaced_config_map("default", body)
    assert created.metadata.name.startswith("cache-")
    assert len(created.metadata.name) == len("cache-") + 5


async def test_create_in_a_missing_namespace_is_404(kube: client.ApiClient) -> None:
    with pytest.raises(ApiException) as raised:
        await client.CoreV1Api(kube).create_namespaced_config_map(
            "nowhere", configmap("x", namespace="nowhere")
        )
    assert raised.value.status == 404
    assert 'namespaces "nowhere" not found' in status_message(raised.value)


async def test_creating_an_existing_name_is_409_already_exists(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("dup"))
    with pytest.raises(ApiException) as raised:
        await core.create_namespaced_config_map("default", configmap("dup"))
    assert raised.value.status == 409
    assert json.loads(raised.value.body)["reason"] == "AlreadyExists"


async def test_put_with_a_stale_resource_version_is_409_conflict(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("cc", a="1"))
    stale = created.metadata.resource_version
    await core.patch_namespaced_config_map("cc", "default", {"data": {"a": "2"}})
    body = configmap("cc", a="3")
    body["metadata"]["resourceVersion"] = stale
    with pytest.raises(ApiException) as raised:
        await core.replace_namespaced_config_map("cc", "default", body)
    assert raised.value.status == 409
    assert "the object has been modified" in status_message(raised.value)


async def test_patch_carrying_a_stale_resource_version_is_409_conflict(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("pc", a="1"))
    await core.patch_namespaced_config_map("pc", "default", {"data": {"a": "2"}})
    with pytest.raises(ApiException) as raised:
        await core.patch_namespaced_config_map(
            "pc",
            "default",
            {"metadata": {"resourceVersion": created.metadata.resource_version}, "data": {"a": "3"}},
        )
    assert raised.value.status == 409


async def test_put_without_a_resource_version_is_an_unconditional_update(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("uu", a="1"))
    replaced = await core.replace_namespaced_config_map("uu", "default", configmap("uu", a="2"))
    assert replaced.data == {"a": "2"}


async def test_an_update_that_changes_nothing_keeps_the_resource_version(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("same", a="1"))
    again = await core.patch_namespaced_config_map("same", "default", {"data": {"a": "1"}})
    assert again.metadata.resource_version == created.metadata.resource_version


async def test_generation_grows_only_when_the_spec_changes(kube: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube)
    created = await apps.create_namespaced_deployment("default", deployment("gen"))
    assert created.metadata.generation == 1
    labelled = await apps.patch_namespaced_deployment(
        "gen", "default", {"metadata": {"labels": {"team": "a"}}}
    )
    assert labelled.metadata.generation == 1
    scaled = await apps.patch_namespaced_deployment("gen", "default", {"spec": {"replicas": 3}})
    assert scaled.metadata.generation == 2


async def test_list_names_its_kind_and_resource_version_and_sorts_by_namespace_and_name(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": "alpha"}})
    for namespace, name in (("default", "b"), ("alpha", "z"), ("default", "a")):
        await core.create_namespaced_config_map(namespace, configmap(name, namespace=namespace))
    raw = await core.list_config_map_for_all_namespaces(_preload_content=False)
    listed = await raw.json()
    assert listed["kind"] == "ConfigMapList"
    assert listed["metadata"]["resourceVersion"] == str(emulator.store.rv)
    names = [(item["metadata"]["namespace"], item["metadata"]["name"]) for item in listed["items"]]
    assert names == sorted(names)


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("tier=web", ["a", "b"]),
        ("tier==web", ["a", "b"]),
        ("tier!=web", ["c", "d"]),
        ("tier in (web,db)", ["a", "b", "c"]),
        ("tier notin (web)", ["c", "d"]),
        ("tier", ["a", "b", "c"]),
        ("!tier", ["d"]),
        ("tier=web,env=prod", ["a"]),
    ],
)
async def test_label_selectors_filter_lists(
    kube: client.ApiClient, selector: str, expected: list[str]
) -> None:
    core = client.CoreV1Api(kube)
    labels = {"a": {"tier": "web", "env": "prod"}, "b": {"tier": "web"}, "c": {"tier": "db"}, "d": {}}
    for name, label_set in labels.items():
        await core.create_namespaced_config_map("default", configmap(name, labels=label_set))
    listed = await core.list_namespaced_config_map("default", label_selector=selector)
    assert sorted(item.metadata.name for item in listed.items) == expected


async def test_field_selectors_filter_by_name_and_namespace(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": "other"}})
    await core.create_namespaced_config_map("default", configmap("x"))
    await core.create_namespaced_config_map("other", configmap("x", namespace="other"))
    await core.create_namespaced_config_map("other", configmap("y", namespace="other"))
    by_name = await core.list_config_map_for_all_namespaces(field_selector="metadata.name=x")
    assert sorted(i.metadata.namespace for i in by_name.items) == ["default", "other"]
    by_namespace = await core.list_config_map_for_all_namespaces(
        field_selector="metadata.namespace=other,metadata.name!=x"
    )
    assert [i.metadata.name for i in by_namespace.items] == ["y"]


async def test_an_unsupported_field_selector_is_400(kube: client.ApiClient) -> None:
    with pytest.raises(ApiException) as raised:
        await client.CoreV1Api(kube).list_namespaced_config_map("default", field_selector="spec.color=red")
    assert raised.value.status == 400
    assert "field label not supported" in status_message(raised.value)


async def test_event_field_selectors_use_the_involved_object(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    for name, target in (("e1", "web"), ("e2", "api")):
        await core.create_namespaced_event(
            "default",
            {
                "metadata": {"name": name},
                "involvedObject": {"kind": "Deployment", "name": target, "namespace": "default"},
                "reason": "Updated",
                "message": "m",
                "type": "Normal",
            },
        )
    listed = await core.list_namespaced_event(
        "default", field_selector="involvedObject.kind=Deployment,involvedObject.name=web"
    )
    assert [e.metadata.name for e in listed.items] == ["e1"]


async def test_pages_are_one_consistent_snapshot_while_objects_change(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    for index in range(5):
        await core.create_namespaced_config_map("default", configmap(f"p{index}"))
    first = await core.list_namespaced_config_map("default", limit=2)
    assert [i.metadata.name for i in first.items] == ["p0", "p1"]
    assert first.metadata.remaining_item_count == 3
    await core.delete_namespaced_config_map("p3", "default")
    await core.create_namespaced_config_map("default", configmap("p5"))
    rest = await core.list_namespaced_config_map("default", limit=10, _continue=first.metadata._continue)
    assert [i.metadata.name for i in rest.items] == ["p2", "p3", "p4"]
    assert rest.metadata.resource_version == first.metadata.resource_version
    assert not rest.metadata._continue


async def test_an_expired_continue_token_is_410(kube: client.ApiClient, emulator: Emulator) -> None:
    core = client.CoreV1Api(kube)
    for index in range(3):
        await core.create_namespaced_config_map("default", configmap(f"q{index}"))
    first = await core.list_namespaced_config_map("default", limit=1)
    await core.create_namespaced_config_map("default", configmap("later"))
    emulator.compact()
    with pytest.raises(ApiException) as raised:
        await core.list_namespaced_config_map("default", limit=1, _continue=first.metadata._continue)
    assert raised.value.status == 410
    assert "continue parameter is too old" in status_message(raised.value)


async def test_a_deployment_is_defaulted_as_the_apiserver_defaults_it(kube: client.ApiClient) -> None:
    raw = await client.AppsV1Api(kube).create_namespaced_deployment(
        "default", deployment("defaults", "nginx:latest"), _preload_content=False
    )
    created = await raw.json()
    spec = created["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Always" and pod["dnsPolicy"] == "ClusterFirst"
    container = pod["containers"][0]
    assert container["imagePullPolicy"] == "Always"
    assert container["terminationMessagePath"] == "/dev/termination-log"


async def test_a_deployment_whose_selector_misses_its_template_is_422_invalid(kube: client.ApiClient) -> None:
    body = deployment("mismatch")
    body["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    with pytest.raises(ApiException) as raised:
        await client.AppsV1Api(kube).create_namespaced_deployment("default", body)
    assert raised.value.status == 422
    assert "selector" in status_message(raised.value)


async def test_the_default_namespace_and_its_service_account_exist(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    names = {ns.metadata.name for ns in (await core.list_namespace()).items}
    assert {"default", "kube-system"} <= names
    account = await core.read_namespaced_service_account("default", "default")
    assert account.metadata.name == "default"


async def test_null_fields_of_a_built_in_kind_are_unset_and_then_defaulted(kube: client.ApiClient) -> None:
    body = deployment("nulls")
    body["spec"]["replicas"] = None
    body["spec"]["template"]["metadata"]["creationTimestamp"] = None
    raw = await client.AppsV1Api(kube).create_namespaced_deployment("default", body, _preload_content=False)
    created = await raw.json()
    assert created["spec"]["replicas"] == 1
    assert "creationTimestamp" not in created["spec"]["template"]["metadata"]
