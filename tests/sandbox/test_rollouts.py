"""Simulated rollouts, seen through the real client: what an operator with automatic rollback relies on.

Each test drives Deployments, StatefulSets and DaemonSets through kubernetes-asyncio as a user would,
lets the sandbox's controllers settle (``wait_idle``), moves simulated time with the manual clock,
and asserts on what ``kubectl get -o yaml`` would show: ReplicaSets and their revisions, Pods and
their container states, status counters and conditions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client

from headwind.sandbox.emulator import Emulator

from ..conftest import EmulatorFactory
from ..support import client_session
from .manifests import deployment

NAMESPACE = "default"
REVISION = "deployment.kubernetes.io/revision"


def _template(name: str, image: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": name}},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def statefulset(name: str, image: str, replicas: int = 3) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": _template(name, image),
        },
    }


def daemonset(name: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": _template(name, image)},
    }


def image_patch(image: str) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}}


def condition(conditions: list[Any] | None, kind: str) -> Any:
    found = [c for c in conditions or () if c.type == kind]
    assert len(found) == 1, f"expected one {kind} condition, got {conditions}"
    return found[0]


async def replica_sets(kube: client.ApiClient, app: str) -> dict[str, client.V1ReplicaSet]:
    """The app's ReplicaSets by the image of their first container."""
    listed = await client.AppsV1Api(kube).list_namespaced_replica_set(NAMESPACE, label_selector=f"app={app}")
    return {rs.spec.template.spec.containers[0].image: rs for rs in listed.items}


async def pods(kube: client.ApiClient, app: str) -> list[client.V1Pod]:
    listed = await client.CoreV1Api(kube).list_namespaced_pod(NAMESPACE, label_selector=f"app={app}")
    return list(listed.items)


def images(found: list[client.V1Pod]) -> list[str]:
    return sorted(pod.spec.containers[0].image for pod in found)


def waiting_reason(pod: client.V1Pod) -> str | None:
    waiting = pod.status.container_statuses[0].state.waiting
    return waiting.reason if waiting else None


def is_ready(pod: client.V1Pod) -> bool:
    return bool(condition(pod.status.conditions, "Ready").status == "True")


RESOURCES = {"Deployment": "deployment", "StatefulSet": "stateful_set", "DaemonSet": "daemon_set"}


def apps_call(kube: client.ApiClient, verb: str, kind: str) -> Any:
    """The typed client's call to ``verb`` (create, patch, read) a workload of ``kind``."""
    return getattr(client.AppsV1Api(kube), f"{verb}_namespaced_{RESOURCES[kind]}")


async def rolled_out(emulator: Emulator, kube: client.ApiClient, body: dict[str, Any]) -> Any:
    """Create a workload through the typed client (its models check the status), let the controllers
    settle, and read it back."""
    await apps_call(kube, "create", body["kind"])(NAMESPACE, body)
    await emulator.wait_idle()
    return await apps_call(kube, "read", body["kind"])(body["metadata"]["name"], NAMESPACE)


async def patched(
    emulator: Emulator, kube: client.ApiClient, name: str, patch: dict[str, Any], *, kind: str = "Deployment"
) -> Any:
    """Patch a workload, let the controllers settle, and read it back."""
    await apps_call(kube, "patch", kind)(name, NAMESPACE, patch)
    await emulator.wait_idle()
    return await apps_call(kube, "read", kind)(name, NAMESPACE)


async def set_image(
    emulator: Emulator, kube: client.ApiClient, name: str, image: str, *, kind: str = "Deployment"
) -> Any:
    return await patched(emulator, kube, name, image_patch(image), kind=kind)


# -- Deployments ------------------------------------------------------------------------------------


async def test_a_new_deployment_becomes_available_at_revision_1(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    web = await rolled_out(emulator, kube, deployment("web", "nginx:1.25.3", replicas=3))

    assert web.metadata.annotations[REVISION] == "1"
    assert web.status.observed_generation == web.metadata.generation
    assert (web.status.replicas, web.status.updated_replicas, web.status.available_replicas) == (3, 3, 3)
    assert web.status.unavailable_replicas is None
    assert condition(web.status.conditions, "Available").reason == "MinimumReplicasAvailable"
    assert condition(web.status.conditions, "Progressing").reason == "NewReplicaSetAvailable"
    found = await pods(kube, "web")
    assert len(found) == 3 and all(is_ready(pod) and pod.status.phase == "Running" for pod in found)
    assert all(pod.metadata.owner_references[0].kind == "ReplicaSet" for pod in found)
    assert all(
        pod.status.container_statuses[0].image_id.startswith("docker-pullable://nginx@sha256:")
        for pod in found
    )


async def test_a_healthy_rollout_ends_available_at_revision_2_with_the_old_replica_set_at_zero(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    await rolled_out(emulator, kube, deployment("web", "nginx:1.25.3", replicas=3))

    web = await set_image(emulator, kube, "web", "nginx:1.25.4")

    assert web.metadata.annotations[REVISION] == "2"
    assert condition(web.status.conditions, "Available").status == "True"
    progressing = condition(web.status.conditions, "Progressing")
    sets = await replica_sets(kube, "web")
    new, old = sets["nginx:1.25.4"], sets["nginx:1.25.3"]
    assert progressing.reason == "NewReplicaSetAvailable"
    assert progressing.message == f'ReplicaSet "{new.metadata.name}" has successfully progressed.'
    assert new.metadata.name == f"web-{new.metadata.labels['pod-template-hash']}"
    assert (new.metadata.annotations[REVISION], old.metadata.annotations[REVISION]) == ("2", "1")
    assert (new.spec.replicas, new.status.ready_replicas, old.spec.replicas, old.status.replicas) == (
        3,
        3,
        0,
        0,
    )
    assert images(await pods(kube, "web")) == ["nginx:1.25.4"] * 3


async def test_an_unhealthy_image_keeps_the_old_pods_ready_until_the_progress_deadline_is_exceeded(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    await rolled_out(emulator, kube, deployment("web", "nginx:1.25.3", replicas=3))

    web = await set_image(emulator, kube, "web", "nginx:1.26.0-bad")

    assert condition(web.status.conditions, "Progressing").status == "True"
    assert (web.status.updated_replicas, web.status.available_replicas, web.status.unavailable_replicas) == (
        1,
        3,
        1,
    )
    found = await pods(kube, "web")
    broken = [pod for pod in found if pod.spec.containers[0].image == "nginx:1.26.0-bad"]
    assert [(pod.status.phase, waiting_reason(pod)) for pod in broken] == [("Pending", "ImagePullBackOff")]
    assert broken[0].status.container_statuses[0].state.waiting.message == (
        'Back-off pulling image "nginx:1.26.0-bad"'
    )
    assert sum(is_ready(pod) for pod in found if pod not in broken) == 3

    await emulator.advance(599)
    web = await client.AppsV1Api(kube).read_namespaced_deployment("web", NAMESPACE)
    assert condition(web.status.conditions, "Progressing").status == "True"

    await emulator.advance(1)
    web = await client.AppsV1Api(kube).read_namespaced_deployment("web", NAMESPACE)
    progressing = condition(web.status.conditions, "Progressing")
    new = (await replica_sets(kube, "web"))["nginx:1.26.0-bad"]
    assert (progressing.status, progressing.reason) == ("False", "ProgressDeadlineExceeded")
    assert progressing.message == f'ReplicaSet "{new.metadata.name}" has timed out progressing.'
    assert condition(web.status.conditions, "Available").status == "True"


async def test_rolling_back_to_the_previous_image_reuses_its_replica_set_as_revision_3(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    await rolled_out(emulator, kube, deployment("web", "nginx:1.25.3", replicas=3))
    first = (await replica_sets(kube, "web"))["nginx:1.25.3"].metadata.name
    await set_image(emulator, kube, "web", "nginx:1.26.0-bad")
    await emulator.advance(600)

    web = await set_image(emulator, kube, "web", "nginx:1.25.3")

    sets = await replica_sets(kube, "web")
    reused = sets["nginx:1.25.3"]
    assert reused.metadata.name == first
    assert reused.metadata.annotations[REVISION] == "3"
    assert reused.metadata.annotations["deployment.kubernetes.io/revision-history"] == "1"
    assert sets["nginx:1.26.0-bad"].spec.replicas == 0
    assert web.metadata.annotations[REVISION] == "3"
    assert condition(web.status.conditions, "Available").status == "True"
    assert condition(web.status.conditions, "Progressing").reason == "NewReplicaSetAvailable"
    assert (web.status.updated_replicas, web.status.available_replicas) == (3, 3)
    assert images(await pods(kube, "web")) == ["nginx:1.25.3"] * 3


async def test_an_image_made_healthy_later_lets_a_stuck_rollout_finish(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    await rolled_out(emulator, kube, deployment("web", "nginx:1.25.3", replicas=2))
    await set_image(emulator, kube, "web", "nginx:1.26.0-bad")

    emulator.health.set("nginx:1.26.0-bad", None)
    await emulator.wait_idle()

    web = await client.AppsV1Api(kube).read_namespaced_deployment("web", NAMESPACE)
    assert condition(web.status.conditions, "Progressing").reason == "NewReplicaSetAvailable"
    assert images(await pods(kube, "web")) == ["nginx:1.26.0-bad"] * 2


async def test_a_crash_looping_image_runs_restarts_and_never_becomes_ready(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    emulator.health.set("app:2.0", "CrashLoopBackOff")
    await rolled_out(emulator, kube, deployment("web", "app:1.0", replicas=1))

    web = await set_image(emulator, kube, "web", "app:2.0")

    assert web.status.unavailable_replicas == 1
    [crashing] = [pod for pod in await pods(kube, "web") if pod.spec.containers[0].image == "app:2.0"]
    container = crashing.status.container_statuses[0]
    assert (crashing.status.phase, waiting_reason(crashing)) == ("Running", "CrashLoopBackOff")
    assert container.restart_count >= 1 and not container.ready
    assert container.last_state.terminated.exit_code == 1
    assert condition(crashing.status.conditions, "Ready").reason == "ContainersNotReady"


async def test_a_paused_deployment_starts_no_new_replica_set_until_resumed(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    await rolled_out(emulator, kube, deployment("web", "nginx:1.25.3", replicas=2))
    await client.AppsV1Api(kube).patch_namespaced_deployment("web", NAMESPACE, {"spec": {"paused": True}})

    web = await set_image(emulator, kube, "web", "nginx:1.25.4")

    progressing = condition(web.status.conditions, "Progressing")
    assert (progressing.status, progressing.reason) == ("Unknown", "DeploymentPaused")
    assert web.status.observed_generation == web.metadata.generation
    assert list(await replica_sets(kube, "web")) == ["nginx:1.25.3"]
    assert images(await pods(kube, "web")) == ["nginx:1.25.3"] * 2

    web = await patched(emulator, kube, "web", {"spec": {"paused": False}})

    assert web.metadata.annotations[REVISION] == "2"
    assert condition(web.status.conditions, "Progressing").reason == "NewReplicaSetAvailable"
    assert images(await pods(kube, "web")) == ["nginx:1.25.4"] * 2


async def test_the_recreate_strategy_stops_every_old_pod_before_starting_new_ones(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    body = deployment("web", "nginx:1.25.3", replicas=2)
    body["spec"]["strategy"] = {"type": "Recreate"}
    await rolled_out(emulator, kube, body)

    web = await set_image(emulator, kube, "web", "nginx:1.26.0-bad")

    assert images(await pods(kube, "web")) == ["nginx:1.26.0-bad"] * 2
    assert condition(web.status.conditions, "Available").status == "False"


async def test_scaling_through_the_scale_subresource_changes_the_pods(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    apps = client.AppsV1Api(kube)
    await rolled_out(emulator, kube, deployment("web", "nginx:1.25.3", replicas=2))

    await apps.patch_namespaced_deployment_scale("web", NAMESPACE, {"spec": {"replicas": 5}})
    await emulator.wait_idle()

    assert len(await pods(kube, "web")) == 5
    scale = await apps.read_namespaced_deployment_scale("web", NAMESPACE)
    assert (scale.spec.replicas, scale.status.replicas) == (5, 5)
    [only] = (await replica_sets(kube, "web")).values()
    assert only.metadata.annotations["deployment.kubernetes.io/desired-replicas"] == "5"

    await apps.patch_namespaced_deployment_scale("web", NAMESPACE, {"spec": {"replicas": 1}})
    await emulator.wait_idle()

    assert len(await pods(kube, "web")) == 1


async def test_min_ready_seconds_delays_availability_on_the_simulated_clock(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    body = deployment("web", "nginx:1.25.3", replicas=1)
    body["spec"]["minReadySeconds"] = 30
    web = await rolled_out(emulator, kube, body)
    assert (web.status.ready_replicas, web.status.available_replicas) == (1, None)

    await emulator.advance(30)

    web = await client.AppsV1Api(kube).read_namespaced_deployment("web", NAMESPACE)
    assert web.status.available_replicas == 1
    assert condition(web.status.conditions, "Available").status == "True"


async def test_deleting_a_deployment_garbage_collects_its_replica_sets_and_pods(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    await rolled_out(emulator, kube, deployment("web", "nginx:1.25.3", replicas=2))
    await set_image(emulator, kube, "web", "nginx:1.25.4")

    await client.AppsV1Api(kube).delete_namespaced_deployment("web", NAMESPACE)
    await emulator.wait_idle()

    assert await replica_sets(kube, "web") == {}
    assert await pods(kube, "web") == []


# -- StatefulSets -----------------------------------------------------------------------------------


async def controller_revisions(kube: client.ApiClient, owner: str) -> dict[str, int]:
    listed = await client.AppsV1Api(kube).list_namespaced_controller_revision(NAMESPACE)
    return {
        revision.metadata.name: revision.revision
        for revision in listed.items
        if revision.metadata.owner_references[0].name == owner
    }


async def test_a_statefulset_update_records_revisions_and_converges_current_and_update_revision(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    first = await rolled_out(emulator, kube, statefulset("db", "postgres:16.1"))

    db = await set_image(emulator, kube, "db", "postgres:16.2", kind="StatefulSet")

    revisions = await controller_revisions(kube, "db")
    assert revisions == {first.status.update_revision: 1, db.status.update_revision: 2}
    assert db.status.current_revision == db.status.update_revision
    assert (db.status.replicas, db.status.ready_replicas, db.status.updated_replicas) == (3, 3, 3)
    assert db.status.observed_generation == db.metadata.generation == 2
    found = await pods(kube, "db")
    assert sorted(pod.metadata.name for pod in found) == ["db-0", "db-1", "db-2"]
    assert {pod.metadata.labels["controller-revision-hash"] for pod in found} == {db.status.update_revision}
    assert images(found) == ["postgres:16.2"] * 3


async def test_an_unhealthy_statefulset_update_stops_at_the_highest_ordinal(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    await rolled_out(emulator, kube, statefulset("db", "postgres:16.1"))

    db = await set_image(emulator, kube, "db", "postgres:16.2-bad", kind="StatefulSet")

    by_name = {pod.metadata.name: pod for pod in await pods(kube, "db")}
    assert by_name["db-2"].spec.containers[0].image == "postgres:16.2-bad"
    assert waiting_reason(by_name["db-2"]) == "ImagePullBackOff"
    assert [by_name[name].spec.containers[0].image for name in ("db-0", "db-1")] == ["postgres:16.1"] * 2
    assert db.status.current_revision != db.status.update_revision
    assert (db.status.ready_replicas, db.status.current_replicas, db.status.updated_replicas) == (2, 2, 1)


async def test_reverting_a_stuck_statefulset_waits_for_the_broken_pod_to_be_deleted(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    await rolled_out(emulator, kube, statefulset("db", "postgres:16.1"))
    await set_image(emulator, kube, "db", "postgres:16.2-bad", kind="StatefulSet")

    await set_image(emulator, kube, "db", "postgres:16.1", kind="StatefulSet")
    assert "postgres:16.2-bad" in images(await pods(kube, "db")), "as on a cluster: a forced rollback"

    await client.CoreV1Api(kube).delete_namespaced_pod("db-2", NAMESPACE)
    await emulator.wait_idle()

    db = await client.AppsV1Api(kube).read_namespaced_stateful_set("db", NAMESPACE)
    assert images(await pods(kube, "db")) == ["postgres:16.1"] * 3
    assert db.status.current_revision == db.status.update_revision
    assert sorted((await controller_revisions(kube, "db")).values()) == [2, 3]


# -- DaemonSets -------------------------------------------------------------------------------------


@pytest.fixture
async def three_nodes(
    make_emulator: EmulatorFactory, tmp_path: Path
) -> AsyncIterator[tuple[Emulator, client.ApiClient]]:
    """An emulator with three Nodes, and a client for it."""
    emulator = await make_emulator(nodes=3)
    async with client_session(emulator, tmp_path) as kube:
        yield emulator, kube


async def test_a_daemonset_runs_one_pod_per_node_and_rolls_all_of_them(
    three_nodes: tuple[Emulator, client.ApiClient],
) -> None:
    emulator, kube = three_nodes
    await rolled_out(emulator, kube, daemonset("agent", "fluent-bit:3.0"))
    assert sorted(pod.spec.node_name for pod in await pods(kube, "agent")) == [
        "sandbox-node-1",
        "sandbox-node-2",
        "sandbox-node-3",
    ]

    agent = await set_image(emulator, kube, "agent", "fluent-bit:3.1", kind="DaemonSet")

    status = agent.status
    assert (status.desired_number_scheduled, status.updated_number_scheduled, status.number_available) == (
        3,
        3,
        3,
    )
    assert status.number_unavailable is None and status.observed_generation == 2
    assert images(await pods(kube, "agent")) == ["fluent-bit:3.1"] * 3
    assert len(await controller_revisions(kube, "agent")) == 2


async def test_an_unhealthy_daemonset_update_replaces_only_max_unavailable_pods(
    three_nodes: tuple[Emulator, client.ApiClient],
) -> None:
    emulator, kube = three_nodes
    await rolled_out(emulator, kube, daemonset("agent", "fluent-bit:3.0"))

    agent = await set_image(emulator, kube, "agent", "fluent-bit:3.1-bad", kind="DaemonSet")

    status = agent.status
    assert (status.updated_number_scheduled, status.number_ready, status.number_unavailable) == (1, 2, 1)
    assert images(await pods(kube, "agent")) == ["fluent-bit:3.0"] * 2 + ["fluent-bit:3.1-bad"]


async def test_the_client_decodes_a_freshly_created_statefulset_and_daemonset(kube: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube)

    sts = await apps.create_namespaced_stateful_set(NAMESPACE, statefulset("db", "postgres:16.1"))
    ds = await apps.create_namespaced_daemon_set(NAMESPACE, daemonset("agent", "fluent-bit:3.0"))

    assert (sts.status.replicas, ds.status.desired_number_scheduled) == (0, 0)
