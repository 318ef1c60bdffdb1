"""Watch semantics through kubernetes-asyncio's own Watch: start points, resume, 410, bookmarks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from headwind.sandbox.emulator import Emulator

from ..support import client_session, default_configmap_events
from ..waiting import eventually
from .manifests import configmap

Event = tuple[str, str]


async def collect(
    stream: AsyncIterator[dict[str, Any]], count: int, timeout: float = 5.0
) -> list[dict[str, Any]]:
    """The next ``count`` events of a watch, failing the test if they do not come in time."""
    events: list[dict[str, Any]] = []

    async def read() -> None:
        async for event in stream:
            events.append(event)
            if len(events) == count:
                return

    await asyncio.wait_for(read(), timeout)
    return events


def summary(events: list[dict[str, Any]]) -> list[Event]:
    return [(e["type"], e["raw_object"]["metadata"].get("name", "")) for e in events]


async def test_a_watch_without_version_starts_with_the_current_state_as_added(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a"))
    await core.create_namespaced_config_map("default", configmap("b"))
    async with watch.Watch() as w:
        stream = default_configmap_events(w, core)
        first = await collect(stream, 2)
        await core.create_namespaced_config_map("default", configmap("c"))
        later = await collect(stream, 1)
    assert summary(first) == [("ADDED", "a"), ("ADDED", "b")]
    assert summary(later) == [("ADDED", "c")]


async def test_a_watch_from_a_version_replays_what_happened_after_it(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    listed = await core.list_namespaced_config_map("default")
    await core.create_namespaced_config_map("default", configmap("x", v="1"))
    await core.patch_namespaced_config_map("x", "default", {"data": {"v": "2"}})
    await core.delete_namespaced_config_map("x", "default")
    async with watch.Watch() as w:
        events = await collect(default_configmap_events(w, core, after=listed), 3)
    assert summary(events) == [("ADDED", "x"), ("MODIFIED", "x"), ("DELETED", "x")]
    versions = [int(e["raw_object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and len(set(versions)) == 3


async def test_a_watch_from_a_compacted_version_gets_410_expired(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    listed = await core.list_namespaced_config_map("default")
    await core.create_namespaced_config_map("default", configmap("gone"))
    emulator.compact()
    raw = await core.list_namespaced_config_map(
        "default",
        watch=True,
        resource_version=listed.metadata.resource_version,
        timeout_seconds=5,
        _preload_content=False,
    )
    line = await raw.content.readline()
    assert b'"type":"ERROR"' in line and b'"code":410' in line and b'"reason":"Expired"' in line
    with pytest.raises(ApiException) as raised:
        async with watch.Watch() as w:
            await collect(
                w.stream(
                    core.list_namespaced_config_map,
                    "default",
                    resource_version=listed.metadata.resource_version,
                ),
                1,
            )
    assert raised.value.status == 410


async def test_a_dropped_watch_resumes_from_its_last_version_without_loss_or_duplicates(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    async with watch.Watch() as w:
        stream = w.stream(core.list_namespaced_config_map, "default")
        await core.create_namespaced_config_map("default", configmap("r1"))
        assert summary(await collect(stream, 1)) == [("ADDED", "r1")]
        assert emulator.drop_watches() == 1
        await core.create_namespaced_config_map("default", configmap("r2"))
        await core.create_namespaced_config_map("default", configmap("r3"))
        assert summary(await collect(stream, 2)) == [("ADDED", "r2"), ("ADDED", "r3")]
    resumed = [r for r in emulator.faults.matching("GET", "/configmaps$") if r.watch]
    assert len(resumed) == 2 and resumed[1].query.get("resourceVersion")


async def test_the_server_ends_a_watch_after_its_timeout(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with watch.Watch() as w:
        events = [e async for e in w.stream(core.list_namespaced_config_map, "default", timeout_seconds=1)]
    assert events == []
    assert 0.9 <= loop.time() - started < 5


async def test_the_default_server_timeout_ends_watches_that_ask_for_none(
    make_emulator: Any, tmp_path: Any
) -> None:
    emulator = await make_emulator(watch_timeout=0.3)
    async with client_session(emulator, tmp_path) as api_client:
        raw = await client.CoreV1Api(api_client).list_namespaced_config_map(
            "default", watch=True, _preload_content=False
        )
        body = await asyncio.wait_for(raw.read(), 5)
    assert body == b""


async def test_bookmarks_carry_the_current_version_when_asked_for(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("bm"))
    async with watch.Watch() as w:
        events = await collect(default_configmap_events(w, core, allow_watch_bookmarks=True), 2)
    assert events[0]["type"] == "ADDED"
    assert events[1]["type"] == "BOOKMARK"
    assert events[1]["raw_object"]["metadata"]["resourceVersion"] == str(emulator.store.rv)
    assert w.resource_version == str(emulator.store.rv)


async def test_no_bookmarks_unless_asked(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    async with watch.Watch() as w:
        events = [e async for e in w.stream(core.list_namespaced_config_map, "default", timeout_seconds=1)]
    assert events == []


async def test_an_object_leaving_the_selector_is_sent_as_deleted_and_one_entering_as_added(
    kube: client.ApiClient,
) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("sel", labels={"tier": "web"}))
    async with watch.Watch() as w:
        stream = default_configmap_events(w, core, label_selector="tier=web")
        assert summary(await collect(stream, 1)) == [("ADDED", "sel")]
        left = await core.patch_namespaced_config_map(
            "sel", "default", {"metadata": {"labels": {"tier": "db"}}}
        )
        deleted = await collect(stream, 1)
        await core.patch_namespaced_config_map("sel", "default", {"metadata": {"labels": {"tier": "web"}}})
        added = await collect(stream, 1)
    assert summary(deleted) == [("DELETED", "sel")]
    assert deleted[0]["raw_object"]["metadata"]["resourceVersion"] == left.metadata.resource_version
    assert summary(added) == [("ADDED", "sel")]


async def test_a_namespaced_watch_sees_only_its_namespace(kube: client.ApiClient) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": "elsewhere"}})
    async with watch.Watch() as w:
        stream = default_configmap_events(w, core)
        await core.create_namespaced_config_map("elsewhere", configmap("far", namespace="elsewhere"))
        await core.create_namespaced_config_map("default", configmap("near"))
        assert summary(await collect(stream, 1)) == [("ADDED", "near")]


async def test_send_initial_events_ends_the_initial_state_with_an_annotated_bookmark(
    kube: client.ApiClient,
) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("init"))
    raw = await core.list_namespaced_config_map(
        "default",
        watch=True,
        send_initial_events=True,
        resource_version_match="NotOlderThan",
        allow_watch_bookmarks=True,
        timeout_seconds=2,
        _preload_content=False,
    )
    first, second = await raw.content.readline(), await raw.content.readline()
    assert b'"type":"ADDED"' in first
    assert b'"type":"BOOKMARK"' in second and b"k8s.io/initial-events-end" in second
    raw.close()


async def test_fan_out_reaches_every_watcher(kube: client.ApiClient, emulator: Emulator) -> None:
    core = client.CoreV1Api(kube)
    watches = [watch.Watch() for _ in range(5)]
    streams = [default_configmap_events(w, core) for w in watches]
    try:
        readers = [asyncio.ensure_future(collect(s, 1)) for s in streams]
        await eventually(lambda: emulator.store.watcher_count("configmaps") == 5, what="five open watches")
        await core.create_namespaced_config_map("default", configmap("fan"))
        results = await asyncio.gather(*readers)
    finally:
        for w in watches:
            await w.close()
    assert all(summary(events) == [("ADDED", "fan")] for events in results)
