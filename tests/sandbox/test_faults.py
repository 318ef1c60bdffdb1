"""Fault injection and the request log, in process and over the /_sandbox HTTP controls."""

from __future__ import annotations

import json

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from headwind.sandbox.emulator import Emulator

from .manifests import configmap


@pytest.mark.parametrize("status", [500, 503, 409])
async def test_the_next_matching_requests_fail_with_the_scripted_status(
    kube: client.ApiClient, emulator: Emulator, status: int
) -> None:
    core = client.CoreV1Api(kube)
    emulator.faults.fail_next("GET", r"/api/v1/namespaces/default/configmaps", status, times=2)
    for _ in range(2):
        with pytest.raises(ApiException) as raised:
            await core.list_namespaced_config_map("default")
        assert raised.value.status == status
    assert (await core.list_namespaced_config_map("default")).items == []
    assert emulator.faults.pending == 0


async def test_a_429_carries_retry_after(kube: client.ApiClient, emulator: Emulator) -> None:
    emulator.faults.fail_next("*", r"/configmaps", 429, retry_after=3)
    with pytest.raises(ApiException) as raised:
        await client.CoreV1Api(kube).list_namespaced_config_map("default")
    assert raised.value.status == 429
    assert raised.value.headers["Retry-After"] == "3"
    assert json.loads(raised.value.body)["details"]["retryAfterSeconds"] == 3


async def test_faults_match_only_their_method_and_path(kube: client.ApiClient, emulator: Emulator) -> None:
    core = client.CoreV1Api(kube)
    emulator.faults.fail_next("POST", r"/configmaps$", 500)
    await core.list_namespaced_config_map("default")
    await core.list_namespace()
    with pytest.raises(ApiException):
        await core.create_namespaced_config_map("default", configmap("x"))
    await core.create_namespaced_config_map("default", configmap("x"))


async def test_a_fault_can_target_watches_only_by_query(kube: client.ApiClient, emulator: Emulator) -> None:
    core = client.CoreV1Api(kube)
    emulator.faults.fail_next("GET", r"/configmaps\?.*watch=", 500)
    await core.list_namespaced_config_map("default")
    raw = await core.list_namespaced_config_map(
        "default", watch=True, timeout_seconds=1, _preload_content=False
    )
    assert raw.status == 500


async def test_the_request_log_records_method_path_status_and_user(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("logged"))
    with pytest.raises(ApiException):
        await core.read_namespaced_config_map("missing", "default")
    created, missing = emulator.faults.matching("*", r"/configmaps")[-2:]
    assert (created.method, created.status, created.user) == ("POST", 201, "sandbox-admin")
    assert (missing.method, missing.path, missing.status) == (
        "GET",
        "/api/v1/namespaces/default/configmaps/missing",
        404,
    )


async def test_latency_is_added_to_every_request(kube: client.ApiClient, emulator: Emulator) -> None:
    import asyncio

    emulator.faults.latency = 0.2
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.CoreV1Api(kube).list_namespace()
    assert loop.time() - started >= 0.2


async def test_the_http_controls_script_faults_and_cut_watches(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    import aiohttp

    async with aiohttp.ClientSession(emulator.url) as http:
        async with http.post(
            "/_sandbox/faults", json={"method": "GET", "path": "/namespaces$", "status": 503}
        ) as r:
            assert r.status == 201
        with pytest.raises(ApiException) as raised:
            await client.CoreV1Api(kube).list_namespace()
        assert raised.value.status == 503
        async with http.post("/_sandbox/faults", json={"method": "GET"}) as r:
            assert r.status == 400
            assert "needs method, path" in (await r.json())["message"]
        async with http.post("/_sandbox/drop-watches") as r:
            assert (await r.json()) == {"dropped": 0}
        async with http.post("/_sandbox/compact") as r:
            assert (await r.json())["resourceVersion"] == str(emulator.store.rv)
        async with http.get("/_sandbox/requests") as r:
            logged = (await r.json())["requests"]
        assert any(entry["status"] == 503 for entry in logged)
