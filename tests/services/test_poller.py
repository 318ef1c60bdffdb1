"""The poller against a real registry: due times, shared checks, credentials, changes and errors.

Each test runs a real CNCF distribution registry (``tests/registry``) and talks to it with the real
registry client, usually through the counting proxy, with credentials read by the real
``PullSecrets`` from the sandbox emulator. Time is a fake monotonic clock the test advances, so
"due" is exact; registry traffic is real.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from kubernetes_asyncio import client
from structlog.testing import capture_logs

from headwind.adapters.kube.pullsecrets import PullSecrets
from headwind.adapters.metrics import Metrics
from headwind.adapters.registry.client import RegistryClient, RegistrySettings
from headwind.model.annotations import EventSource
from headwind.model.credentials import Credential
from headwind.model.workloads import CRONJOB, DAEMONSET, DEPLOYMENT, STATEFULSET, ObjectKey, Workload, project
from headwind.services.catalog import TagCatalog
from headwind.services.poller import Poller
from headwind.services.subscriptions import MIN_POLLING_INTERVAL
from tests.registry.proxy import FaultyProxy
from tests.registry.pusher import Pusher
from tests.registry.server import RunningRegistry
from tests.sandbox.manifests import deployment, namespace
from tests.waiting import eventually

INTERVAL = 300.0
_POLLING = {EventSource.POLLING}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Anonymous:
    """Pull secrets of a cluster where no workload names any (every check is anonymous)."""

    async def credential(self, namespace: str, registry: str, **_: Any) -> Credential | None:
        return None


@dataclass
class Rig:
    poller: Poller
    clock: Clock
    catalog: TagCatalog
    metrics: Metrics
    workloads: list[Workload]
    enqueued: list[ObjectKey] = field(default_factory=list)


def workload(
    name: str,
    image: str,
    *,
    namespace: str = "shop",
    kind: Any = DEPLOYMENT,
    secrets: tuple[str, ...] = (),
    **annotations: str,
) -> Workload:
    obj = deployment(name, image, namespace=namespace)
    obj["metadata"]["annotations"] = {
        "headwind.sh/event-source": "polling",
        **{f"headwind.sh/{key.replace('_', '-')}": value for key, value in annotations.items()},
    }
    if secrets:
        obj["spec"]["template"]["spec"]["imagePullSecrets"] = [{"name": name} for name in secrets]
    if kind is CRONJOB:
        obj["spec"] = {"schedule": "@daily", "jobTemplate": {"spec": {"template": obj["spec"]["template"]}}}
    return project(kind, obj)


@pytest.fixture
async def registry_client() -> AsyncIterator[RegistryClient]:
    settings = RegistrySettings(timeout=10, retries=2, backoff_base=0.01, backoff_cap=0.05, burst=1000)
    async with RegistryClient(settings, Metrics()) as registry_client:
        yield registry_client


@pytest.fixture
def rig(registry_client: RegistryClient) -> Callable[..., Rig]:
    def make(
        *workloads: Workload,
        secrets: Any = None,
        jitter: float = 0.0,
        rng: float = 0.5,
        registry: Any = None,
        accepting: Callable[[], bool] = lambda: True,
    ) -> Rig:
        clock, catalog, metrics = Clock(), TagCatalog(), Metrics()
        listed = list(workloads)
        enqueued: list[ObjectKey] = []

        def enqueue(key: ObjectKey) -> bool:
            if not accepting():
                return False
            enqueued.append(key)
            return True

        poller = Poller(
            lambda: listed,
            registry or registry_client,
            secrets or Anonymous(),
            catalog,
            enqueue,
            metrics,
            interval=INTERVAL,
            jitter=jitter,
            clock=clock,
            rng=lambda: rng,
        )
        return Rig(poller, clock, catalog, metrics, listed, enqueued)

    return make


def tag_lists(proxy: FaultyProxy) -> list[str]:
    return [request.path for request in proxy.requests if "/tags/list" in request.path]


def tags_of(rig: Rig, repository: str, namespace: str = "shop") -> set[str]:
    return {candidate.tag for candidate, _ in rig.catalog.candidates(repository, namespace, _POLLING)}


def metric(rig: Rig, name: str) -> float:
    value = rig.metrics.registry.get_sample_value(name)
    return value or 0.0


# --- sharing: one request per repository ---------------------------------------------------------


async def test_a_round_over_200_workloads_sharing_20_repositories_makes_20_tag_requests(
    rig: Callable[..., Rig], faulty_proxy: FaultyProxy, pusher: Pusher
) -> None:
    for number in range(20):
        await pusher.push_image(f"team/app{number}", "1.0.0")
        await pusher.push_image(f"team/app{number}", "1.1.0")
    kinds = (DEPLOYMENT, STATEFULSET, DAEMONSET, CRONJOB)
    workloads = [
        workload(
            f"w{number}",
            f"{faulty_proxy.host}/team/app{number % 20}:1.0.0",
            namespace=f"ns{number % 3}",
            kind=kinds[number % 4],
            policy="minor",
        )
        for number in range(200)
    ]
    subject = rig(*workloads)

    report = await subject.poller.poll_due()

    assert len(tag_lists(faulty_proxy)) == report.tag_requests == 20
    assert set(subject.enqueued) == {w.key for w in workloads}
    assert tags_of(subject, f"{faulty_proxy.host}/team/app7", "ns1") == {"1.0.0", "1.1.0"}
    assert metric(subject, "headwind_polling_images_checked_total") == 20
    assert metric(subject, "headwind_polling_cycles_total") == 1


async def test_every_workload_kind_is_polled(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    kinds = {DEPLOYMENT: "d", STATEFULSET: "s", DAEMONSET: "ds", CRONJOB: "c"}
    workloads = [
        workload(name, f"{registry.host}/team/app:1.0.0", kind=k, policy="patch") for k, name in kinds.items()
    ]
    subject = rig(*workloads)

    await subject.poller.poll_due()

    assert {key.kind for key in subject.enqueued} == {"Deployment", "StatefulSet", "DaemonSet", "CronJob"}


# --- changes, not repetition ---------------------------------------------------------------------


async def test_workloads_are_queued_when_a_newer_tag_appears_and_not_on_every_round(
    rig: Callable[..., Rig], faulty_proxy: FaultyProxy, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    subject = rig(workload("web", f"{faulty_proxy.host}/team/app:1.0.0", policy="minor"))
    await subject.poller.poll_due()
    subject.enqueued.clear()

    subject.clock.now += INTERVAL
    quiet = await subject.poller.poll_due()
    await pusher.push_image("team/app", "1.1.0")
    subject.clock.now += INTERVAL
    news = await subject.poller.poll_due()

    assert (quiet.tag_requests, quiet.new_tags, quiet.enqueued) == (1, 0, set())
    assert (news.tag_requests, news.new_tags) == (1, 1)
    assert subject.enqueued == [ObjectKey("Deployment", "shop", "web")]
    assert metric(subject, "headwind_polling_new_tags_found_total") == 2  # 1.0.0 at first sight, then 1.1.0


async def test_a_digest_policy_workload_is_queued_when_its_tag_gets_new_content(
    rig: Callable[..., Rig], faulty_proxy: FaultyProxy, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "stable")
    subject = rig(workload("web", f"{faulty_proxy.host}/team/app:stable", policy="digest"))
    await subject.poller.poll_due()
    subject.enqueued.clear()

    subject.clock.now += INTERVAL
    unchanged = await subject.poller.poll_due()
    repushed = await pusher.push_image("team/app", "stable")
    subject.clock.now += INTERVAL
    changed = await subject.poller.poll_due()

    assert (unchanged.digest_requests, unchanged.digest_changes) == (1, 0)
    assert (changed.digest_requests, changed.digest_changes) == (1, 1)
    assert changed.tag_requests == 0  # the digest policy never needs the tag list
    assert subject.enqueued == [ObjectKey("Deployment", "shop", "web")]
    [(candidate, _)] = subject.catalog.candidates(f"{faulty_proxy.host}/team/app", "shop", _POLLING)
    assert candidate.digest == repushed.digest
    assert metric(subject, "headwind_polling_digest_changes_total") == 1


async def test_only_tags_a_policy_could_choose_are_kept(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    for tag in ("1.0.0", "1.1.0", "latest", "main-abc", "1.2.0-rc.1"):
        await pusher.push_image("team/app", tag)
    subject = rig(workload("web", f"{registry.host}/team/app:1.0.0", policy="minor", ignore_tags="*-rc*"))

    await subject.poller.poll_due()

    assert tags_of(subject, f"{registry.host}/team/app") == {"1.0.0", "1.1.0"}


# --- scheduling ---------------------------------------------------------------------------------


async def test_each_repository_is_due_at_its_own_interval(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/fast", "1.0.0")
    await pusher.push_image("team/slow", "1.0.0")
    subject = rig(
        workload("fast", f"{registry.host}/team/fast:1.0.0", policy="minor", polling_interval="60"),
        workload("slow", f"{registry.host}/team/slow:1.0.0", policy="minor"),
    )
    first = await subject.poller.poll_due()
    assert first.repositories == 2
    assert subject.poller.next_due_in() == 60

    checked = []
    for _ in range(10):  # ten minutes in 60-second steps
        subject.clock.now += 60
        checked.append((await subject.poller.poll_due()).repositories)

    assert checked == [1, 1, 1, 1, 2, 1, 1, 1, 1, 2]


async def test_a_shorter_interval_set_later_applies_from_the_last_check(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    subject = rig(workload("web", f"{registry.host}/team/app:1.0.0", policy="minor"))
    await subject.poller.poll_due()

    subject.workloads[0] = workload(
        "web", f"{registry.host}/team/app:1.0.0", policy="minor", polling_interval="30"
    )
    subject.clock.now += 29
    assert (await subject.poller.poll_due()).repositories == 0
    subject.clock.now += 1
    assert (await subject.poller.poll_due()).repositories == 1


async def test_jitter_spreads_due_times_within_the_fraction(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    early = rig(workload("web", f"{registry.host}/team/app:1.0.0", policy="minor"), jitter=0.1, rng=0.0)
    late = rig(workload("web", f"{registry.host}/team/app:1.0.0", policy="minor"), jitter=0.1, rng=1.0)

    # First sight is due within the jitter window: at once for one, a tenth of an interval later for the
    # other.
    assert (await early.poller.poll_due()).repositories == 1
    assert (await late.poller.poll_due()).repositories == 0
    late.clock.now += INTERVAL * 0.1
    assert (await late.poller.poll_due()).repositories == 1

    assert early.poller.next_due_in() == pytest.approx(INTERVAL * 0.9)
    assert late.poller.next_due_in() == pytest.approx(INTERVAL * 1.1)


async def test_workloads_that_do_not_poll_are_filtered_and_counted(
    rig: Callable[..., Rig], faulty_proxy: FaultyProxy
) -> None:
    image = f"{faulty_proxy.host}/team/app:1.0.0"
    webhook_only = workload("a", image, policy="minor", event_source="webhook")
    no_policy = workload("b", image)
    untracked = workload("c", image, policy="minor", images="sidecar")
    invalid = workload("d", image, policy="glob")
    subject = rig(webhook_only, no_policy, untracked, invalid)

    report = await subject.poller.poll_due()

    assert report.repositories == 0
    assert faulty_proxy.requests == []
    assert metric(subject, "headwind_polling_resources_filtered_total") == 4


# --- credentials --------------------------------------------------------------------------------


def pull_secret(name: str, host: str, username: str, password: str) -> dict[str, Any]:
    config = {"auths": {host: {"auth": base64.b64encode(f"{username}:{password}".encode()).decode()}}}
    encoded = base64.b64encode(json.dumps(config).encode()).decode()
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": encoded},
    }


async def test_each_namespace_is_checked_with_its_own_pull_secret_and_never_anothers(
    rig: Callable[..., Rig], basic_registry: RunningRegistry, kube: client.ApiClient
) -> None:
    async with basic_registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")
    core = client.CoreV1Api(kube)
    for name in ("team-a", "team-b"):
        await core.create_namespace(namespace(name))
    await core.create_namespaced_secret(
        "team-a", pull_secret("regcred", basic_registry.host, "ci", "ci-pass")
    )
    image = f"{basic_registry.host}/team/app:1.0.0"
    subject = rig(
        workload("a", image, namespace="team-a", secrets=("regcred",), policy="minor"),
        workload("b", image, namespace="team-b", secrets=("regcred",), policy="minor"),
        secrets=PullSecrets(kube, ttl=0),
    )

    with capture_logs() as logs:
        report = await subject.poller.poll_due()

    repository = f"{basic_registry.host}/team/app"
    assert tags_of(subject, repository, "team-a") == {"1.0.0"}
    assert tags_of(subject, repository, "team-b") == set()
    assert report.errors == 1
    [failure] = [entry for entry in logs if entry["event"] == "polling failed"]
    assert failure["namespaces"] == ["team-b"] and failure["reason"] == "unauthorized"
    assert metric(subject, "headwind_polling_errors_total") == 1


async def test_a_service_accounts_pull_secret_is_used_when_the_pod_spec_names_none(
    rig: Callable[..., Rig], basic_registry: RunningRegistry, kube: client.ApiClient
) -> None:
    async with basic_registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")
    core = client.CoreV1Api(kube)
    await core.create_namespace(namespace("team-a"))
    await core.create_namespaced_secret(
        "team-a", pull_secret("regcred", basic_registry.host, "ci", "ci-pass")
    )
    account = {"metadata": {"name": "builder"}, "imagePullSecrets": [{"name": "regcred"}]}
    await core.create_namespaced_service_account("team-a", account)
    subject_workload = workload(
        "a", f"{basic_registry.host}/team/app:1.0.0", namespace="team-a", policy="minor"
    )
    subject_workload = dataclasses.replace(subject_workload, service_account="builder")
    subject = rig(subject_workload, secrets=PullSecrets(kube, ttl=0))

    report = await subject.poller.poll_due()

    assert report.errors == 0
    assert tags_of(subject, f"{basic_registry.host}/team/app", "team-a") == {"1.0.0"}


async def test_a_rotated_pull_secret_is_used_at_the_next_check(
    rig: Callable[..., Rig], basic_registry: RunningRegistry, kube: client.ApiClient
) -> None:
    async with basic_registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")
    core = client.CoreV1Api(kube)
    await core.create_namespace(namespace("team-a"))
    await core.create_namespaced_secret(
        "team-a", pull_secret("regcred", basic_registry.host, "ci", "expired")
    )
    image = f"{basic_registry.host}/team/app:1.0.0"
    subject = rig(
        workload("a", image, namespace="team-a", secrets=("regcred",), policy="minor"),
        secrets=PullSecrets(kube, ttl=0),
    )
    assert (await subject.poller.poll_due()).errors == 1

    rotated = pull_secret("regcred", basic_registry.host, "ci", "ci-pass")
    await core.replace_namespaced_secret("regcred", "team-a", rotated)
    subject.clock.now += INTERVAL
    report = await subject.poller.poll_due()

    assert report.errors == 0
    assert tags_of(subject, f"{basic_registry.host}/team/app", "team-a") == {"1.0.0"}


# --- errors ---------------------------------------------------------------------------------------


async def test_a_failing_repository_is_counted_and_the_others_still_checked(
    rig: Callable[..., Rig], faulty_proxy: FaultyProxy, pusher: Pusher
) -> None:
    await pusher.push_image("team/broken", "1.0.0")
    await pusher.push_image("team/fine", "1.0.0")
    faulty_proxy.fail_next(503, times=10, path="/team/broken/")
    subject = rig(
        workload("broken", f"{faulty_proxy.host}/team/broken:1.0.0", policy="minor"),
        workload("fine", f"{faulty_proxy.host}/team/fine:1.0.0", policy="minor"),
    )

    with capture_logs() as logs:
        report = await subject.poller.poll_due()

    assert report.errors == 1
    assert subject.enqueued == [ObjectKey("Deployment", "shop", "fine")]
    [failure] = [entry for entry in logs if entry["event"] == "polling failed"]
    assert failure["repository"] == f"{faulty_proxy.host}/team/broken"
    assert failure["reason"] == "server-error"
    # Retried at its next due time, like any other repository.
    subject.clock.now += INTERVAL
    assert (await subject.poller.poll_due()).repositories == 2


# --- robustness (found in review) ------------------------------------------------------------------


class Broken:
    """The real client, except that one repository's check raises as a bug would, or hangs."""

    def __init__(self, real: RegistryClient, path: str, *, hang: asyncio.Event | None = None) -> None:
        self.real, self.path, self.hang = real, path, hang

    async def tags(self, registry: str, path: str, *args: Any, **kwargs: Any) -> Any:
        await self._trouble(path)
        return await self.real.tags(registry, path, *args, **kwargs)

    async def manifest(self, registry: str, path: str, *args: Any, **kwargs: Any) -> Any:
        await self._trouble(path)
        return await self.real.manifest(registry, path, *args, **kwargs)

    async def _trouble(self, path: str) -> None:
        if path != self.path:
            return
        if self.hang is not None:
            await self.hang.wait()
        else:
            raise RuntimeError("a bug in the client")


async def test_an_unexpected_error_costs_one_repository_one_interval_and_loses_nothing_else(
    rig: Callable[..., Rig], registry_client: RegistryClient, registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/broken", "1.0.0")
    await pusher.push_image("team/fine", "1.0.0")
    subject = rig(
        workload("broken", f"{registry.host}/team/broken:1.0.0", policy="minor"),
        workload("fine", f"{registry.host}/team/fine:1.0.0", policy="minor"),
        registry=Broken(registry_client, "team/broken"),
    )

    with capture_logs() as logs:
        report = await subject.poller.poll_due()

    assert report.errors == 1
    assert subject.enqueued == [ObjectKey("Deployment", "shop", "fine")]
    assert "checking a repository failed" in [entry["event"] for entry in logs]
    assert subject.poller.next_due_in() == INTERVAL  # due again in an interval, not in a tight loop


async def test_a_hanging_registry_holds_up_only_its_own_repositories(
    rig: Callable[..., Rig], registry_client: RegistryClient, registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/slow", "1.0.0")
    await pusher.push_image("team/fine", "1.0.0")
    hang = asyncio.Event()
    subject = rig(
        workload("slow", f"{registry.host}/team/slow:1.0.0", policy="minor"),
        workload("fine", f"{registry.host}/team/fine:1.0.0", policy="minor"),
        registry=Broken(registry_client, "team/slow", hang=hang),
    )
    running = asyncio.create_task(subject.poller.run())
    try:
        await eventually(
            lambda: ObjectKey("Deployment", "shop", "fine") in subject.enqueued, what="fine checked"
        )
        assert ObjectKey("Deployment", "shop", "slow") not in subject.enqueued
        hang.set()
        await eventually(
            lambda: ObjectKey("Deployment", "shop", "slow") in subject.enqueued, what="slow checked"
        )
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_cancelling_the_poller_ends_it_even_while_workloads_keep_changing(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    subject = rig(workload("web", f"{registry.host}/team/app:1.0.0", policy="minor"))
    running = asyncio.create_task(subject.poller.run())
    for _ in range(20):
        subject.poller.workloads_changed()
        await asyncio.sleep(0.005)
    subject.poller.workloads_changed()

    running.cancel()

    await asyncio.wait_for(asyncio.gather(running, return_exceptions=True), 2)
    assert running.cancelled()


async def test_a_digest_change_is_seen_when_another_policy_lists_the_same_repository(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    await pusher.push_image("team/app", "latest")
    subject = rig(
        workload("minor", f"{registry.host}/team/app:1.0.0", policy="minor"),
        workload("follower", f"{registry.host}/team/app:latest", policy="digest"),
    )
    await subject.poller.poll_due()
    await pusher.push_image("team/app", "latest")
    subject.clock.now += INTERVAL

    report = await subject.poller.poll_due()

    assert report.digest_changes == 1
    assert ObjectKey("Deployment", "shop", "follower") in report.enqueued


async def test_an_untagged_image_follows_latest(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "latest")
    subject = rig(workload("web", f"{registry.host}/team/app", policy="digest"))

    report = await subject.poller.poll_due()

    assert report.digest_requests == 1
    assert subject.catalog.baseline_digest(f"{registry.host}/team/app", "shop", "latest") is not None


async def test_a_deleted_tag_does_not_stop_the_other_digest_checks(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "latest")
    subject = rig(
        workload("gone", f"{registry.host}/team/app:beta", policy="digest"),
        workload("here", f"{registry.host}/team/app:latest", policy="digest"),
    )

    report = await subject.poller.poll_due()

    assert (report.errors, report.digest_requests) == (1, 1)
    assert subject.enqueued == [ObjectKey("Deployment", "shop", "here")]


async def test_a_polling_interval_below_the_floor_is_raised_to_it(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    subject = rig(
        workload("web", f"{registry.host}/team/app:1.0.0", policy="minor", polling_interval="0.001")
    )
    await subject.poller.poll_due()

    assert subject.poller.next_due_in() == MIN_POLLING_INTERVAL


async def test_a_workload_the_full_queue_refused_is_offered_again(
    rig: Callable[..., Rig], registry: RunningRegistry, pusher: Pusher
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    accepting = False
    subject = rig(
        workload("web", f"{registry.host}/team/app:1.0.0", policy="minor"), accepting=lambda: accepting
    )
    await subject.poller.poll_due()
    assert subject.enqueued == []

    accepting = True
    await subject.poller.poll_due()  # nothing is due; the refused key is offered anyway

    assert subject.enqueued == [ObjectKey("Deployment", "shop", "web")]
