"""``PushIntake``: a push recorded and the workloads running its repository queued, through real informers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from kubernetes_asyncio import client

from headwind.adapters.kube.informer import Informer, InformerSettings
from headwind.adapters.kube.workloads import workload_informers
from headwind.adapters.metrics import Metrics
from headwind.model.annotations import EventSource
from headwind.model.pushes import CHART, PushEvent
from headwind.model.workloads import ObjectKey, Workload
from headwind.services.catalog import TagCatalog
from headwind.services.dispatcher import Dispatcher
from headwind.services.intake import PushIntake, Refused
from tests.sandbox.manifests import deployment
from tests.waiting import eventually

PUSH = PushEvent("registry.example.com", "team/app", "1.1.0", "sha256:" + "a" * 64, source="native")


@pytest.fixture
async def informers(kube: client.ApiClient) -> AsyncIterator[dict[str, Informer[Workload]]]:
    apps = client.AppsV1Api(kube)
    image = "registry.example.com/team/app:1.0.0"
    await apps.create_namespaced_deployment(
        "default", deployment("hooked", image, annotations={"headwind.sh/policy": "minor"})
    )
    both = {"headwind.sh/policy": "minor", "headwind.sh/event-source": "both"}
    await apps.create_namespaced_deployment("default", deployment("both", image, annotations=both))
    polled = {"headwind.sh/policy": "minor", "headwind.sh/event-source": "polling"}
    await apps.create_namespaced_deployment("default", deployment("polled", image, annotations=polled))
    await apps.create_namespaced_deployment(
        "default", deployment("other", "registry.example.com/team/other:1")
    )
    running = workload_informers(kube, Metrics(), settings=InformerSettings(recheck_interval=0.2))
    tasks = [asyncio.create_task(informer.run()) for informer in running.values()]
    await eventually(lambda: all(informer.synced.is_set() for informer in running.values()), what="synced")
    yield running
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def key(name: str) -> ObjectKey:
    return ObjectKey("Deployment", "default", name)


async def test_a_push_queues_the_workloads_that_run_the_repository_and_heed_webhooks(
    informers: dict[str, Informer[Workload]],
) -> None:
    catalog, queued = TagCatalog(), []
    intake = PushIntake(catalog, informers, lambda k: queued.append(k) or True, lambda: True)

    taken = intake.take([PUSH])

    assert (taken.events, taken.workloads) == (1, 2)
    assert sorted(queued) == [key("both"), key("hooked")]
    [(candidate, _)] = catalog.candidates("registry.example.com/team/app", "any", {EventSource.WEBHOOK})
    assert (candidate.tag, candidate.digest) == ("1.1.0", PUSH.digest)


async def test_a_chart_push_is_recorded_and_queues_nothing(informers: dict[str, Informer[Workload]]) -> None:
    catalog, queued = TagCatalog(), []
    intake = PushIntake(catalog, informers, lambda k: queued.append(k) or True, lambda: True)
    chart = PushEvent("registry.example.com", "team/app", "0.2.0", kind=CHART, source="registry")

    assert intake.take([chart]).workloads == 0
    assert queued == []
    assert catalog.candidates("registry.example.com/team/app", "x", {EventSource.WEBHOOK})


async def test_a_full_dispatcher_queue_is_refused_with_a_retry_after(
    informers: dict[str, Informer[Workload]],
) -> None:
    dispatcher = Dispatcher(lambda k: asyncio.sleep(0), Metrics(), queue_size=1)  # type: ignore[arg-type,return-value]
    intake = PushIntake(TagCatalog(), informers, dispatcher.enqueue, lambda: True)

    with pytest.raises(Refused) as caught:
        intake.take([PUSH])

    assert (caught.value.reason, caught.value.retry_after) == ("queue-full", 5)


async def test_a_replica_that_does_not_lead_refuses(informers: dict[str, Informer[Workload]]) -> None:
    intake = PushIntake(TagCatalog(), informers, lambda k: True, lambda: False)

    with pytest.raises(Refused) as caught:
        intake.take([PUSH])

    assert caught.value.reason == "not-leader"
