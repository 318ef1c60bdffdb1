"""The operator process against the sandbox: readiness, leader-only work, metrics, shutdown."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from kubernetes_asyncio import client

from headwind.app.runtime import Operator
from headwind.model.workloads import ObjectKey
from headwind.sandbox.emulator import Emulator

from ..sandbox.manifests import deployment, helm_release_crd
from ..support import operator_port_env
from ..waiting import eventually
from .conftest import StartOperator


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


def url(operator: Operator, listener: str, path: str) -> str:
    return f"http://127.0.0.1:{operator.servers.ports[listener]}{path}"


def decided(operator: Operator) -> set[ObjectKey]:
    return {decision.key for decision in operator.dispatcher.recent}


async def test_readyz_turns_200_once_every_informer_has_synced(start_operator: StartOperator) -> None:
    operator = await start_operator()
    await eventually(lambda: all(i.synced.is_set() for i in operator.informers.values()), what="sync")

    async def ready() -> bool:
        return (await get(url(operator, "metrics", "/readyz")))[0] == 200

    await eventually(ready, what="readyz 200")
    assert await get(url(operator, "webhooks", "/health")) == (200, "OK")


async def test_a_changed_workload_reaches_the_dispatcher_as_a_decision(
    start_operator: StartOperator, kube: client.ApiClient
) -> None:
    operator = await start_operator()
    await operator.wait_synced(5)
    await client.AppsV1Api(kube).create_namespaced_deployment("default", deployment("web"))
    key = ObjectKey("Deployment", "default", "web")
    await eventually(lambda: key in decided(operator), what="a decision about web")


async def test_only_the_leader_acts_and_a_standby_takes_over_when_it_stops(
    start_operator: StartOperator, kube: client.ApiClient
) -> None:
    first = await start_operator()
    await eventually(lambda: first.elector is not None and first.elector.is_leader, what="a leader")
    second = await start_operator()
    await second.wait_synced(5)
    await client.AppsV1Api(kube).create_namespaced_deployment("default", deployment("api"))
    key = ObjectKey("Deployment", "default", "api")
    await eventually(lambda: key in decided(first), what="the leader to decide")
    assert key not in decided(second)
    await first.shutdown()
    await eventually(
        lambda: second.elector is not None and second.elector.is_leader, timeout=5, what="takeover"
    )
    # The new leader resyncs what it caches, so nothing changed while it stood by is lost.
    await eventually(lambda: key in decided(second), what="the resync after takeover")


async def test_metrics_move_after_activity(start_operator: StartOperator, kube: client.ApiClient) -> None:
    operator = await start_operator()
    await operator.wait_synced(5)
    annotated = deployment("watched", annotations={"headwind.sh/policy": "minor"})
    await client.AppsV1Api(kube).create_namespaced_deployment("default", annotated)
    await eventually(
        lambda: ObjectKey("Deployment", "default", "watched") in decided(operator), what="a decision"
    )
    _, text = await get(url(operator, "metrics", "/metrics"))
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert values["headwind_deployments_watched"] == 1
    assert values["headwind_dispatcher_items_processed_total"] >= 1
    assert values["headwind_reconcile_duration_seconds_count"] >= 1
    assert values['headwind_informer_lists_total{kind="Deployment"}'] >= 1
    assert values['headwind_informer_objects{kind="Deployment"}'] == 1
    assert values["headwind_leader"] == 1


async def test_annotated_flux_helm_releases_are_counted_once_their_crd_is_served(
    start_operator: StartOperator, kube: client.ApiClient
) -> None:
    operator = await start_operator()
    await operator.wait_synced(5)
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(helm_release_crd())
    release = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {
            "name": "podinfo",
            "namespace": "default",
            "annotations": {"headwind.sh/policy": "minor"},
        },
        "spec": {"chart": {"spec": {"chart": "podinfo", "version": "6.5.0"}}},
    }
    await client.CustomObjectsApi(kube).create_namespaced_custom_object(
        "helm.toolkit.fluxcd.io", "v2", "default", "helmreleases", release
    )
    registry = operator.metrics.registry
    await eventually(
        lambda: registry.get_sample_value("headwind_helm_releases_watched") == 1,
        what="headwind_helm_releases_watched to count it",
    )
    await eventually(
        lambda: ObjectKey("HelmRelease", "default", "podinfo") in decided(operator), what="a decision"
    )


async def test_without_leader_election_the_single_replica_acts(
    start_operator: StartOperator, kube: client.ApiClient
) -> None:
    operator = await start_operator(leader_election=False)
    await operator.wait_synced(5)
    await client.AppsV1Api(kube).create_namespaced_deployment("default", deployment("solo"))
    await eventually(
        lambda: ObjectKey("Deployment", "default", "solo") in decided(operator), what="a decision"
    )
    assert operator.elector is None


# -- headwind run as a process -------------------------------------------------------------------


@pytest.fixture
async def run_process(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Process]]]:
    processes: list[Process] = []

    async def start(identity: str) -> Process:
        kubeconfig = emulator.write_kubeconfig(tmp_path / f"{identity}.kubeconfig")
        env = {
            **os.environ,
            **operator_port_env(),
            "KUBECONFIG": str(kubeconfig),
            "HEADWIND_IDENTITY": identity,
            "HEADWIND_LEASE_DURATION": "2",
            "HEADWIND_LEASE_RENEW_DEADLINE": "1.2",
            "HEADWIND_LEASE_RETRY_PERIOD": "0.3",
            "HEADWIND_SHUTDOWN_GRACE": "3",
            "HEADWIND_LOG_FORMAT": "json",
        }
        env.pop("KUBERNETES_SERVICE_HOST", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "headwind",
            "run",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        started = Process(process, identity, int(env["HEADWIND_METRICS_PORT"]))
        processes.append(started)
        return started

    yield start
    for started in processes:
        if started.process.returncode is None:
            started.process.kill()
            await started.process.wait()


@dataclasses.dataclass
class Process:
    process: asyncio.subprocess.Process
    identity: str
    metrics_port: int

    async def ready(self) -> bool:
        try:
            return (await get(f"http://127.0.0.1:{self.metrics_port}/readyz"))[0] == 200
        except aiohttp.ClientError:
            return False

    async def leading(self) -> bool:
        try:
            _, text = await get(f"http://127.0.0.1:{self.metrics_port}/metrics")
        except aiohttp.ClientError:
            return False
        return "headwind_leader 1.0" in text


async def test_sigterm_exits_0_within_the_grace_period(
    run_process: Callable[..., Awaitable[Process]],
) -> None:
    operator = await run_process("solo")
    await eventually(operator.ready, timeout=20, what="the process to be ready")
    loop = asyncio.get_running_loop()
    operator.process.send_signal(signal.SIGTERM)
    started = loop.time()
    _, stderr = await asyncio.wait_for(operator.process.communicate(), 10)
    assert operator.process.returncode == 0, stderr.decode()[-2000:]
    assert loop.time() - started < 3 + 2  # grace plus closing the servers
    stopped = [line for line in stderr.decode().splitlines() if '"stopped"' in line]
    assert stopped and json.loads(stopped[-1])["drained"] is True


async def test_two_processes_exactly_one_leads_and_the_other_takes_over_after_sigkill(
    run_process: Callable[..., Awaitable[Process]], emulator: Emulator
) -> None:
    first = await run_process("alpha")
    await eventually(first.leading, timeout=20, what="alpha to lead")
    second = await run_process("beta")
    await eventually(second.ready, timeout=20, what="beta to be ready")
    assert not await second.leading()
    first.process.kill()
    await first.process.wait()
    loop = asyncio.get_running_loop()
    killed = loop.time()
    await eventually(second.leading, timeout=10, what="beta to take over")
    # The lease (2 s) has to run out first, plus at most two jittered retry periods.
    assert loop.time() - killed < 2 + 2 * 2.2 * 0.3 + 1
    lease = emulator.store.get("leases.coordination.k8s.io", "default", "headwind-leader") or {}
    assert lease.get("spec", {}).get("holderIdentity") == "beta"
