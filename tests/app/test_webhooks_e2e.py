"""End to end: a real registry notifies the operator, and the dispatcher decides about the workloads.

A real CNCF distribution registry is configured with ``notifications.endpoints`` pointing at the
operator's webhook server; pushing to it is all a test does. The operator runs whole (informers,
leader election, dispatcher, intake) against the sandbox emulator.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from kubernetes_asyncio import client

from headwind.app.runtime import Operator
from headwind.model.annotations import EventSource
from headwind.model.decisions import UP_TO_DATE, UPDATE_AVAILABLE, Decision
from headwind.model.workloads import ObjectKey

from ..registry.fixtures import RegistryFactory
from ..registry.server import NotificationEndpoint, RunningRegistry
from ..sandbox.manifests import deployment
from ..waiting import eventually
from .conftest import StartOperator

TOKEN = "hook-token"


def latest(operator: Operator, key: ObjectKey) -> Decision | None:
    return next((d for d in reversed(operator.dispatcher.recent) if d.key == key), None)


def targets(operator: Operator, key: ObjectKey) -> list[str]:
    decision = latest(operator, key)
    return (
        []
        if decision is None or decision.outcome != UPDATE_AVAILABLE
        else [c.target for c in decision.changes]
    )


async def notifying_registry(factory: RegistryFactory, operator: Operator) -> RunningRegistry:
    url = f"http://127.0.0.1:{operator.servers.ports['webhooks']}/webhook/registry"
    endpoint = NotificationEndpoint("headwind", url, headers={"Authorization": [f"Bearer {TOKEN}"]})
    return await factory(notifications=[endpoint])


async def create(kube: client.ApiClient, name: str, image: str, **annotations: str) -> ObjectKey:
    body = deployment(name, image, annotations={f"headwind.sh/{k}": v for k, v in annotations.items()})
    await client.AppsV1Api(kube).create_namespaced_deployment("default", body)
    return ObjectKey("Deployment", "default", name)


def sample(operator: Operator, name: str, labels: dict[str, str]) -> float:
    return operator.metrics.registry.get_sample_value(name, labels) or 0.0


async def test_a_push_to_a_private_registry_reaches_the_workload_that_runs_it(
    start_operator: StartOperator, kube: client.ApiClient, registry_factory: RegistryFactory
) -> None:
    operator = await start_operator(webhook_token=TOKEN, webhook_require_auth=True)
    await operator.wait_synced(5)
    registry = await notifying_registry(registry_factory, operator)
    web = await create(kube, "web", f"{registry.host}/team/app:1.0.0", policy="minor")
    polled = await create(
        kube, "polled", f"{registry.host}/team/app:1.0.0", **{"policy": "minor", "event-source": "polling"}
    )
    await eventually(lambda: latest(operator, web) is not None, what="a first decision")

    async with registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.1.0")

    await eventually(
        lambda: targets(operator, web) == [f"{registry.host}/team/app:1.1.0"], timeout=10, what="1.1.0"
    )
    decision = latest(operator, web)
    assert decision is not None and decision.changes[0].source == "webhook"
    polled_decision = latest(operator, polled)
    assert (
        polled_decision is not None and polled_decision.outcome == UP_TO_DATE
    )  # polling only: webhooks ignored


async def test_only_manifest_pushes_count_and_a_chart_push_is_a_chart_event(
    start_operator: StartOperator, registry_factory: RegistryFactory
) -> None:
    operator = await start_operator(webhook_token=TOKEN)
    await operator.wait_synced(5)
    registry = await notifying_registry(registry_factory, operator)

    async with registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")  # blob pushes, HEAD pulls, then the manifest
        await pusher.push_chart("charts/mychart", "0.1.0")

    def accepted() -> float:
        return sample(operator, "headwind_webhook_events_total", {"source": "registry"})

    await eventually(lambda: accepted() == 2, timeout=10, what="two events: the image and the chart")
    app = [
        c.tag
        for c, _ in operator.catalog.candidates(f"{registry.host}/team/app", "default", {EventSource.WEBHOOK})
    ]
    chart = [
        c.tag
        for c, _ in operator.catalog.candidates(f"{registry.host}/charts/mychart", "x", {EventSource.WEBHOOK})
    ]
    assert (app, chart) == (["1.0.0"], ["0.1.0"])
    requests = sample(operator, "headwind_webhook_requests_total", {"source": "registry", "status": "202"})
    assert requests > 2  # blob and pull notifications were answered 202 and ignored


async def test_a_registry_without_the_token_is_refused(
    start_operator: StartOperator, registry_factory: RegistryFactory
) -> None:
    operator = await start_operator(webhook_token="another-token")
    await operator.wait_synced(5)
    registry = await notifying_registry(registry_factory, operator)

    async with registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")

    await eventually(
        lambda: sample(operator, "headwind_webhook_auth_failures_total", {"source": "registry"}) > 0,
        timeout=10,
        what="an auth failure",
    )
    assert sample(operator, "headwind_webhook_events_total", {"source": "registry"}) == 0


async def test_a_standby_refuses_with_503_so_the_sender_retries(start_operator: StartOperator) -> None:
    leader = await start_operator()
    await eventually(lambda: leader.elector is not None and leader.elector.is_leader, what="a leader")
    standby = await start_operator()
    await standby.wait_synced(5)
    body: dict[str, Any] = {"push_data": {"tag": "1.0"}, "repository": {"repo_name": "team/app"}}

    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{standby.servers.ports['webhooks']}/webhook/dockerhub"
        async with session.post(url, json=body) as response:
            status, retry_after = response.status, response.headers.get("Retry-After")

    assert (status, retry_after) == (503, "2")


def pod(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "headwind", **labels}},
        "spec": {"containers": [{"name": "headwind", "image": "headwind:dev"}]},
    }


async def labels_of(kube: client.ApiClient, name: str) -> dict[str, str]:
    found = await client.CoreV1Api(kube).read_namespaced_pod(name, "default")
    return dict(found.metadata.labels or {})


async def test_the_leader_labels_its_pod_for_the_webhook_service_and_unlabels_it_when_it_stops(
    start_operator: StartOperator, kube: client.ApiClient
) -> None:
    await client.CoreV1Api(kube).create_namespaced_pod("default", pod("headwind-0"))
    operator = await start_operator(namespace="default", identity="headwind-0")

    async def labelled() -> bool:
        return (await labels_of(kube, "headwind-0")).get("headwind.sh/leader") == "true"

    await eventually(labelled, timeout=5, what="the leader label")
    await operator.shutdown()

    assert await labels_of(kube, "headwind-0") == {"app": "headwind"}


async def test_a_standby_removes_a_stale_leader_label_from_its_pod(
    start_operator: StartOperator, kube: client.ApiClient
) -> None:
    leader = await start_operator()
    await eventually(lambda: leader.elector is not None and leader.elector.is_leader, what="a leader")
    await client.CoreV1Api(kube).create_namespaced_pod(
        "default", pod("headwind-1", **{"headwind.sh/leader": "true"})
    )

    standby = await start_operator(namespace="default", identity="headwind-1")

    assert standby.elector is not None and not standby.elector.is_leader
    assert await labels_of(kube, "headwind-1") == {"app": "headwind"}
