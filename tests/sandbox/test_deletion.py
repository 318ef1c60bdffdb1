"""Deletion: finalizers, garbage collection by ownerReferences, namespaces, preconditions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from headwind.sandbox.emulator import Emulator

from ..support import default_configmap_events
from .manifests import configmap


def owned(name: str, owner: Any, **extra: Any) -> dict[str, Any]:
    body = configmap(name)
    body["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": owner.metadata.name,
            "uid": owner.metadata.uid,
            **extra,
        }
    ]
    return body


async def owner_with_dependents(core: client.CoreV1Api, *dependents: str) -> Any:
    """Create ConfigMap ``owner`` and, for each name in ``dependents``, a ConfigMap it owns."""
    owner = await core.create_namespaced_config_map("default", configmap("owner"))
    for name in dependents:
        await core.create_namespaced_config_map("default", owned(name, owner))
    return owner


async def names(core: client.CoreV1Api, namespace: str = "default") -> set[str]:
    return {item.metadata.name for item in (await core.list_namespaced_config_map(namespace)).items}


async def test_a_finalizer_holds_the_object_until_it_is_removed(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    body = configmap("held")
    body["metadata"]["finalizers"] = ["example.com/cleanup"]
    await core.create_namespaced_config_map("default", body)
    async with watch.Watch() as w:
        stream = default_configmap_events(w, core, field_selector="metadata.name=held")
        assert (await stream.__anext__())["type"] == "ADDED"
        await core.delete_namespaced_config_map("held", "default")
        marked = await stream.__anext__()
        assert marked["type"] == "MODIFIED"
        assert marked["raw_object"]["metadata"]["deletionTimestamp"]
        still = await core.read_namespaced_config_map("held", "default")
        assert still.metadata.deletion_timestamp is not None
        await core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
        assert (await stream.__anext__())["type"] == "DELETED"
    with pytest.raises(ApiException) as raised:
        await core.read_namespaced_config_map("held", "default")
    assert raised.value.status == 404


async def test_no_new_finalizer_may_be_added_to_an_object_being_deleted(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    body = configmap("closing")
    body["metadata"]["finalizers"] = ["a/one"]
    await core.create_namespaced_config_map("default", body)
    await core.delete_namespaced_config_map("closing", "default")
    with pytest.raises(ApiException) as raised:
        await core.patch_namespaced_config_map(
            "closing", "default", {"metadata": {"finalizers": ["a/one", "b/two"]}}
        )
    assert raised.value.status == 422


async def test_deleting_an_owner_collects_its_dependents_in_the_background(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    await owner_with_dependents(core, "child-1", "child-2")
    await core.create_namespaced_config_map("default", configmap("bystander"))
    await core.delete_namespaced_config_map("owner", "default")
    await emulator.wait_idle()
    assert await names(core) == {"bystander"}


async def test_orphan_propagation_keeps_dependents_and_drops_their_owner_reference(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    await owner_with_dependents(core, "kept")
    await core.delete_namespaced_config_map("owner", "default", propagation_policy="Orphan")
    await emulator.wait_idle()
    kept = await core.read_namespaced_config_map("kept", "default")
    assert kept.metadata.owner_references is None
    assert "owner" not in await names(core)


async def test_foreground_deletion_keeps_the_owner_until_dependents_are_gone(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    owner = await core.create_namespaced_config_map("default", configmap("owner"))
    child = owned("slow-child", owner, blockOwnerDeletion=True)
    child["metadata"]["finalizers"] = ["example.com/slow"]
    await core.create_namespaced_config_map("default", child)
    await core.delete_namespaced_config_map("owner", "default", propagation_policy="Foreground")
    await emulator.wait_idle()
    waiting = await core.read_namespaced_config_map("owner", "default")
    assert "foregroundDeletion" in waiting.metadata.finalizers
    await core.patch_namespaced_config_map("slow-child", "default", {"metadata": {"finalizers": None}})
    await emulator.wait_idle()
    assert await names(core) == set()


async def test_a_dependent_with_a_remaining_owner_survives_and_loses_the_dangling_reference(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    first = await core.create_namespaced_config_map("default", configmap("first"))
    second = await core.create_namespaced_config_map("default", configmap("second"))
    shared = owned("shared", first)
    shared["metadata"]["ownerReferences"] += owned("x", second)["metadata"]["ownerReferences"]
    await core.create_namespaced_config_map("default", shared)
    await core.delete_namespaced_config_map("first", "default")
    await emulator.wait_idle()
    survivor = await core.read_namespaced_config_map("shared", "default")
    assert [ref.name for ref in survivor.metadata.owner_references] == ["second"]


async def test_deleting_a_namespace_deletes_its_contents_then_itself(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": "doomed"}})
    await core.create_namespaced_config_map("doomed", configmap("inside", namespace="doomed"))
    await core.delete_namespace("doomed")
    await emulator.wait_idle()
    with pytest.raises(ApiException) as raised:
        await core.read_namespace("doomed")
    assert raised.value.status == 404
    assert await names(core, "doomed") == set()


async def test_creating_in_a_terminating_namespace_is_forbidden(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": "closing"}})
    blocker = configmap("blocker", namespace="closing")
    blocker["metadata"]["finalizers"] = ["example.com/hold"]
    await core.create_namespaced_config_map("closing", blocker)
    await core.delete_namespace("closing")
    await emulator.wait_idle()
    assert (await core.read_namespace("closing")).status.phase == "Terminating"
    with pytest.raises(ApiException) as raised:
        await core.create_namespaced_config_map("closing", configmap("late", namespace="closing"))
    assert raised.value.status == 403
    await core.patch_namespaced_config_map("blocker", "closing", {"metadata": {"finalizers": None}})
    await emulator.wait_idle()
    with pytest.raises(ApiException):
        await core.read_namespace("closing")


async def test_a_delete_precondition_on_a_stale_version_is_409(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("pre"))
    await core.patch_namespaced_config_map("pre", "default", {"data": {"k": "v"}})
    with pytest.raises(ApiException) as raised:
        await core.delete_namespaced_config_map(
            "pre", "default", body={"preconditions": {"resourceVersion": created.metadata.resource_version}}
        )
    assert raised.value.status == 409
    assert "pre" in await names(core)


async def test_delete_collection_by_label(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        await core.create_namespaced_config_map("default", configmap(name, labels={"tier": tier}))
    await core.delete_collection_namespaced_config_map("default", label_selector="tier=web")
    assert await names(core) == {"c"}


async def test_a_watch_sees_the_deletion_with_a_new_version(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("bye"))
    async with watch.Watch() as w:
        stream = default_configmap_events(w, core, after=created)
        await core.delete_namespaced_config_map("bye", "default")
        event = await asyncio.wait_for(stream.__anext__(), 5)
    assert event["type"] == "DELETED"
    assert int(event["raw_object"]["metadata"]["resourceVersion"]) > int(created.metadata.resource_version)
