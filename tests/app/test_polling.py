"""End to end: the operator polls a real registry and the dispatcher decides about the sandbox's workloads.

A real CNCF distribution registry, the sandbox emulator, and the whole operator (informers, leader
election, dispatcher, poller) with polling every half second. A user sees the result as the
dispatcher's decision about the workload; applying it is the update pipeline's job.
"""

from __future__ import annotations

import aiohttp
from kubernetes_asyncio import client

from headwind.app.runtime import Operator
from headwind.model.decisions import UP_TO_DATE, UPDATE_AVAILABLE, Decision
from headwind.model.workloads import ObjectKey

from ..registry.pusher import Pusher
from ..registry.server import RunningRegistry
from ..sandbox.manifests import deployment
from ..waiting import eventually
from .conftest import StartOperator

POLLING = {"polling_enabled": True, "polling_interval": 0.5, "polling_jitter": 0.0}


def latest(operator: Operator, key: ObjectKey) -> Decision | None:
    return next((d for d in reversed(operator.dispatcher.recent) if d.key == key), None)


def outcome_is(operator: Operator, key: ObjectKey, outcome: str, target: str | None = None) -> bool:
    decision = latest(operator, key)
    if decision is None or decision.outcome != outcome:
        return False
    return target is None or [change.target for change in decision.changes] == [target]


async def create(kube: client.ApiClient, name: str, image: str, **annotations: str) -> ObjectKey:
    body = deployment(name, image, annotations={f"headwind.sh/{k}": v for k, v in annotations.items()})
    await client.AppsV1Api(kube).create_namespaced_deployment("default", body)
    return ObjectKey("Deployment", "default", name)


async def test_a_polled_workload_gets_an_update_when_a_newer_tag_is_pushed(
    start_operator: StartOperator, kube: client.ApiClient, registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    operator = await start_operator(**POLLING)
    await operator.wait_synced(5)
    key = await create(
        kube, "web", f"{registry.host}/team/app:1.0.0", **{"policy": "minor", "event-source": "polling"}
    )
    await eventually(lambda: outcome_is(operator, key, UP_TO_DATE), timeout=10, what="up to date at first")

    await pusher.push_image("team/app", "1.1.0")
    await pusher.push_image("team/app", "2.0.0")

    target = f"{registry.host}/team/app:1.1.0"
    await eventually(
        lambda: outcome_is(operator, key, UPDATE_AVAILABLE, target), timeout=10, what="1.1.0 chosen"
    )
    decision = latest(operator, key)
    assert decision is not None and decision.changes[0].source == "polling"


async def test_a_digest_policy_workload_gets_an_update_when_its_tag_is_re_pushed(
    start_operator: StartOperator, kube: client.ApiClient, registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "stable")
    operator = await start_operator(**POLLING)
    await operator.wait_synced(5)
    key = await create(
        kube, "web", f"{registry.host}/team/app:stable", **{"policy": "digest", "event-source": "both"}
    )

    def checked_once() -> bool:  # the running digest is known, not merely "no tags known yet"
        decision = latest(operator, key)
        return decision is not None and decision.outcome == UP_TO_DATE and "is the newest" in decision.reason

    await eventually(checked_once, timeout=10, what="the first digest check")

    repushed = await pusher.push_image("team/app", "stable")

    target = f"{registry.host}/team/app:stable@{repushed.digest}"
    await eventually(
        lambda: outcome_is(operator, key, UPDATE_AVAILABLE, target), timeout=10, what="new content"
    )


async def test_a_webhook_only_workload_is_not_polled(
    start_operator: StartOperator, kube: client.ApiClient, registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    await pusher.push_image("team/app", "1.1.0")
    operator = await start_operator(**POLLING)
    await operator.wait_synced(5)
    polled = await create(
        kube, "polled", f"{registry.host}/team/app:1.0.0", **{"policy": "minor", "event-source": "polling"}
    )
    hooked = await create(kube, "hooked", f"{registry.host}/team/app:1.0.0", policy="minor")

    await eventually(
        lambda: outcome_is(operator, polled, UPDATE_AVAILABLE), timeout=10, what="the polled one"
    )

    decision = latest(operator, hooked)
    assert decision is not None and decision.outcome == UP_TO_DATE
    assert "no tags of" in decision.reason


async def test_polling_shows_in_the_metrics(
    start_operator: StartOperator, kube: client.ApiClient, registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    operator = await start_operator(**POLLING)
    await operator.wait_synced(5)
    await create(
        kube, "web", f"{registry.host}/team/app:1.0.0", **{"policy": "minor", "event-source": "polling"}
    )
    port = operator.servers.ports["metrics"]

    async def scraped() -> str:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            return await response.text()

    async def checked() -> bool:
        return "headwind_polling_images_checked_total 1.0" in await scraped()

    await eventually(checked, timeout=10, what="a polling check counted")
    text = await scraped()
    assert (
        f'headwind_registry_requests_total{{operation="tags",registry="{registry.host}",status="200"}}'
        in text
    )
