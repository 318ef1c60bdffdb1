"""Informers converge on the exact set of objects, whatever the API server does to them.

Every fault test ends the same way: the informer's cache, and the state its handlers were told
about, must equal a fresh LIST (:func:`assert_converged`), and handlers must have seen a
consistent story (no ADDED for a known object, no MODIFIED without a new resourceVersion, no
DELETED for an unknown one).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml
from kubernetes_asyncio import client

from headwind.adapters.kube.informer import Informer, InformerSettings
from headwind.adapters.kube.resources import DEPLOYMENTS, UPDATE_REQUESTS, ResourceSpec
from headwind.adapters.kube.workloads import REPOSITORY_INDEX, workload_informers
from headwind.adapters.metrics import Metrics
from headwind.model.workloads import DEPLOYMENT, ObjectKey, Workload, project
from headwind.sandbox.emulator import Emulator
from headwind.sandbox.faults import LoggedRequest

from ..sandbox.manifests import configmap, deployment, namespace, update_request
from ..support import client_session
from ..waiting import eventually

CRDS = Path(__file__).resolve().parents[2] / "manifests" / "crds"
# Fast backoff so fault tests take milliseconds; long server-side timeouts so no watch ends by itself
# unless a test says so.
FAST = InformerSettings(
    watch_timeout=30, backoff_base=0.01, backoff_cap=0.1, recheck_interval=0.1, request_timeout=10
)
LIST_PATH = r"^/apis/apps/v1/deployments$"
WATCHES = r"/deployments\?watch=true"
LISTS = r"/deployments\?limit="


class Versioned(Protocol):
    @property
    def key(self) -> ObjectKey: ...

    @property
    def resource_version(self) -> str: ...


@dataclasses.dataclass(frozen=True)
class Named:
    """The slimmest projection: identity and version (for resources without a model of their own)."""

    key: ObjectKey
    resource_version: str


def named(kind: str, raw: dict[str, Any]) -> Named:
    metadata = raw["metadata"]
    return Named(
        ObjectKey(kind, metadata.get("namespace", ""), metadata["name"]), metadata["resourceVersion"]
    )


class Mirror:
    """Replays the handler's events into a dict, noting every event that contradicts the story so far."""

    def __init__(self) -> None:
        self.state: dict[ObjectKey, str] = {}
        self.events: list[tuple[str, ObjectKey]] = []
        self.problems: list[str] = []

    def __call__(self, event_type: str, old: Versioned | None, new: Versioned | None) -> None:
        obj = new if new is not None else old
        assert obj is not None
        key = obj.key
        self.events.append((event_type, key))
        if event_type == "ADDED" and (old is not None or key in self.state):
            self.problems.append(f"ADDED for known {key}")
        if event_type == "MODIFIED" and (
            key not in self.state
            or old is None
            or new is None
            or old.resource_version == new.resource_version
        ):
            self.problems.append(f"MODIFIED without a change for {key}")
        if event_type == "DELETED":
            if self.state.pop(key, None) is None:
                self.problems.append(f"DELETED for unknown {key}")
        else:
            assert new is not None
            self.state[key] = new.resource_version

    def of(self, event_type: str) -> set[str]:
        return {key.name for seen, key in self.events if seen == event_type}


async def listed_versions(
    kube: client.ApiClient, spec: ResourceSpec, namespaces: tuple[str, ...] = ()
) -> dict[ObjectKey, str]:
    """``key -> resourceVersion`` of every object a fresh LIST returns, through the client's raw call."""
    found: dict[ObjectKey, str] = {}
    for where in namespaces or (None,):
        body = await kube.call_api(
            spec.collection_path(where),
            "GET",
            response_types_map={200: "object"},
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
        )
        for item in body["items"]:
            metadata = item["metadata"]
            key = ObjectKey(spec.kind, metadata.get("namespace", ""), metadata["name"])
            found[key] = metadata["resourceVersion"]
    return found


async def assert_converged(
    informer: Informer[Any],
    kube: client.ApiClient,
    mirror: Mirror | None = None,
    *,
    timeout: float = 10.0,
) -> None:
    """The cache (and what the handlers were told) equals a fresh LIST, within ``timeout``."""
    expected: dict[ObjectKey, str] = {}

    def cached() -> dict[ObjectKey, str]:
        return {obj.key: obj.resource_version for obj in informer.items()}

    async def converged() -> bool:
        nonlocal expected
        expected = await listed_versions(kube, informer.spec, informer.namespaces)
        return cached() == expected and (mirror is None or mirror.state == expected)

    try:
        await eventually(converged, timeout=timeout, what="the informer to match a fresh LIST")
    except AssertionError as error:
        have = cached()
        missing = sorted(str(k) for k in expected.keys() - have.keys())
        stray = sorted(str(k) for k in have.keys() - expected.keys())
        stale = sorted(str(k) for k in expected.keys() & have.keys() if expected[k] != have[k])
        raise AssertionError(f"{error}: missing {missing}, stray {stray}, stale {stale}") from None
    if mirror is not None:
        assert mirror.problems == []


@asynccontextmanager
async def running(*informers: Informer[Any], synced: bool = True) -> AsyncIterator[None]:
    """Run the informers for the block (cancelled, and awaited, when it ends)."""
    tasks = [asyncio.create_task(informer.run(), name=informer.name) for informer in informers]
    try:
        if synced:
            await asyncio.wait_for(asyncio.gather(*(i.synced.wait() for i in informers)), 10)
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with pytest.raises(asyncio.CancelledError):
                await task


def deployments_informer(
    kube: client.ApiClient, metrics: Metrics, namespaces: tuple[str, ...] = (), **settings: Any
) -> tuple[Informer[Workload], Mirror]:
    tuning = dataclasses.replace(FAST, **settings)
    informer: Informer[Workload] = Informer(
        kube,
        DEPLOYMENTS,
        functools.partial(project, DEPLOYMENT),
        lambda workload: workload.key,
        metrics,
        namespaces,
        settings=tuning,
    )
    mirror = Mirror()
    informer.add_handler(mirror)
    return informer, mirror


def requests(emulator: Emulator, pattern: str) -> list[LoggedRequest]:
    """Logged GETs of Deployments whose path and query match ``pattern`` (queries in the informer's order)."""
    found = []
    for entry in emulator.faults.matching("GET", r"/deployments$"):
        query = "&".join(f"{k}={v}" for k, v in entry.query.items())
        if re.search(pattern, f"{entry.path}?{query}"):
            found.append(entry)
    return found


def list_count(emulator: Emulator) -> int:
    return len(requests(emulator, LISTS))


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def apply_all(calls: list[Callable[[], Awaitable[Any]]], concurrency: int = 16) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(call: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one(call) for call in calls))


class RequestClock:
    """Stamps each request the emulator logs with the loop time it arrived at."""

    def __init__(self, emulator: Emulator) -> None:
        self.arrivals: list[tuple[float, LoggedRequest]] = []
        record = emulator.faults.record
        loop = asyncio.get_running_loop()

        def stamped(entry: LoggedRequest) -> None:
            self.arrivals.append((loop.time(), entry))
            record(entry)

        emulator.faults.record = stamped  # type: ignore[method-assign]

    def watches(self) -> list[tuple[float, LoggedRequest]]:
        return [
            (at, entry) for at, entry in self.arrivals if entry.watch and entry.path.endswith("/deployments")
        ]


# -- sync and steady state -----------------------------------------------------------------------


async def test_synced_is_set_only_after_the_first_successful_list(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    apps = client.AppsV1Api(kube)
    for name in ("a", "b", "c"):
        await apps.create_namespaced_deployment("default", deployment(name))
    emulator.faults.fail_next("GET", LISTS, 500, times=1000)
    informer, _ = deployments_informer(kube, Metrics())
    async with running(informer, synced=False):
        await eventually(lambda: list_count(emulator) >= 3, what="three failed LISTs")
        assert not informer.synced.is_set()
        assert len(informer) == 0
        emulator.faults.clear()
        await asyncio.wait_for(informer.synced.wait(), 5)
        assert {w.key.name for w in informer.items()} == {"a", "b", "c"}
        await assert_converged(informer, kube)


async def test_the_informer_never_lists_to_handle_events(kube: client.ApiClient, emulator: Emulator) -> None:
    apps = client.AppsV1Api(kube)
    informer, mirror = deployments_informer(kube, Metrics())
    async with running(informer):
        lists_before = list_count(emulator)
        for index in range(100):
            name = f"app-{index % 10}"
            if index < 10:
                await apps.create_namespaced_deployment("default", deployment(name))
            else:
                await apps.patch_namespaced_deployment(
                    name, "default", {"metadata": {"annotations": {"step": str(index)}}}
                )
        await assert_converged(informer, kube, mirror)
        assert list_count(emulator) == lists_before == 1


async def test_a_failing_handler_does_not_break_the_informer(kube: client.ApiClient) -> None:
    informer, mirror = deployments_informer(kube, Metrics())

    def broken(event_type: str, old: Workload | None, new: Workload | None) -> None:
        raise RuntimeError("handler bug")

    informer.add_handler(broken)
    async with running(informer):
        await client.AppsV1Api(kube).create_namespaced_deployment("default", deployment("web"))
        await assert_converged(informer, kube, mirror)
        assert mirror.of("ADDED") == {"web"}


async def test_lists_are_paged(kube: client.ApiClient, emulator: Emulator) -> None:
    apps = client.AppsV1Api(kube)
    for index in range(7):
        await apps.create_namespaced_deployment("default", deployment(f"app-{index}"))
    informer, mirror = deployments_informer(kube, Metrics(), page_size=3)
    async with running(informer):
        await assert_converged(informer, kube, mirror)
    pages = requests(emulator, LISTS)
    assert len(pages) == 3
    assert [("continue" in page.query) for page in pages] == [False, True, True]


# -- faults ----------------------------------------------------------------------------------------


async def test_converges_after_dropped_watches_by_resuming_without_a_relist(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    apps = client.AppsV1Api(kube)
    metrics = Metrics()
    informer, mirror = deployments_informer(kube, metrics)
    async with running(informer):
        for round_ in range(5):
            await apps.create_namespaced_deployment("default", deployment(f"new-{round_}"))
            emulator.drop_watches()
            await apps.patch_namespaced_deployment(
                f"new-{round_}", "default", {"metadata": {"annotations": {"round": str(round_)}}}
            )
            if round_:
                await apps.delete_namespaced_deployment(f"new-{round_ - 1}", "default")
            emulator.drop_watches()
        await assert_converged(informer, kube, mirror)
        assert mirror.of("DELETED") == {f"new-{i}" for i in range(4)}
        assert list_count(emulator) == 1
        resumed = [w.query["resourceVersion"] for w in requests(emulator, WATCHES)]
        assert len(resumed) >= 3
        assert resumed == sorted(set(resumed), key=int)  # each watch resumes where the last one stopped
        assert sample(metrics, "headwind_informer_lists_total", kind="Deployment") == 1


async def test_resumes_when_the_server_ends_watches_at_their_timeout(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    apps = client.AppsV1Api(kube)
    metrics = Metrics()
    informer, mirror = deployments_informer(kube, metrics, watch_timeout=1, watch_jitter=0)
    async with running(informer):
        index = 0

        async def third_watch() -> bool:
            nonlocal index
            index += 1
            await apps.create_namespaced_deployment("default", deployment(f"app-{index}"))
            await asyncio.sleep(0.05)  # pacing the writes, not waiting for a result
            return len(requests(emulator, WATCHES)) >= 3

        await eventually(third_watch, timeout=10, what="three watches")
        await assert_converged(informer, kube, mirror)
    assert list_count(emulator) == 1
    assert all(w.query["timeoutSeconds"] == "1" for w in requests(emulator, WATCHES))
    assert sample(metrics, "headwind_informer_watch_restarts_total", kind="Deployment", reason="timeout") >= 2


async def test_a_410_relists_and_emits_deleted_for_objects_deleted_in_the_gap(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    apps = client.AppsV1Api(kube)
    for name in ("keep", "change", "remove"):
        await apps.create_namespaced_deployment("default", deployment(name))
    metrics = Metrics()
    informer, mirror = deployments_informer(kube, metrics)
    async with running(informer):
        await assert_converged(informer, kube, mirror)
        # Blind the informer: its watch is cut and every reconnect fails, while the cluster changes.
        emulator.faults.fail_next("GET", WATCHES, 503, times=1_000_000)
        emulator.drop_watches()
        mirror.events.clear()
        await apps.delete_namespaced_deployment("remove", "default")
        await apps.create_namespaced_deployment("default", deployment("added"))
        await apps.patch_namespaced_deployment("change", "default", {"metadata": {"labels": {"v": "2"}}})
        emulator.compact()  # the informer's resourceVersion is now too old: resuming gets 410
        emulator.faults.clear()
        await assert_converged(informer, kube, mirror)
        assert mirror.of("DELETED") == {"remove"}
        assert "added" in mirror.of("ADDED")
        assert "change" in mirror.of("MODIFIED")
        assert list_count(emulator) == 2
        assert (
            sample(metrics, "headwind_informer_watch_restarts_total", kind="Deployment", reason="expired")
            >= 1
        )


async def test_converges_after_forced_410s_while_writes_happen(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    apps = client.AppsV1Api(kube)
    informer, mirror = deployments_informer(kube, Metrics())
    rng = random.Random(410)
    async with running(informer):
        stop = asyncio.Event()

        async def writer() -> None:
            alive: list[str] = []
            index = 0
            while not stop.is_set():
                index += 1
                choice = rng.random()
                if choice < 0.5 or not alive:
                    name = f"w-{index}"
                    await apps.create_namespaced_deployment("default", deployment(name))
                    alive.append(name)
                elif choice < 0.8:
                    await apps.patch_namespaced_deployment(
                        rng.choice(alive), "default", {"metadata": {"annotations": {"i": str(index)}}}
                    )
                else:
                    await apps.delete_namespaced_deployment(alive.pop(rng.randrange(len(alive))), "default")
                await asyncio.sleep(0)

        task = asyncio.create_task(writer())
        for tick in range(5):
            seen, count = len(mirror.events), list_count(emulator)
            await eventually(lambda seen=seen: len(mirror.events) >= seen + 3, what="some writes")
            # A write the informer cannot have seen yet, then compaction: its resourceVersion is too old.
            emulator.apply(configmap(f"tick-{tick}"))
            emulator.compact()
            await eventually(lambda count=count: list_count(emulator) > count, what="a re-list")
        stop.set()
        await task
        await assert_converged(informer, kube, mirror)
        assert mirror.of("DELETED")


async def test_converges_after_bursts_of_500s(kube: client.ApiClient, emulator: Emulator) -> None:
    apps = client.AppsV1Api(kube)
    await apps.create_namespaced_deployment("default", deployment("before"))
    metrics = Metrics()
    emulator.faults.fail_next("GET", LISTS, 500, times=4)
    informer, mirror = deployments_informer(kube, metrics)
    async with running(informer):
        for burst in range(3):
            emulator.faults.fail_next("GET", WATCHES, 500, times=5)
            emulator.drop_watches()
            await apps.create_namespaced_deployment("default", deployment(f"during-{burst}"))
        await assert_converged(informer, kube, mirror)
    assert emulator.faults.pending == 0
    assert sample(metrics, "headwind_informer_errors_total", kind="Deployment", status="500") == 19
    # Failed watches resume from where they were: only the first LIST succeeded and no re-list happened.
    assert len([r for r in requests(emulator, LISTS) if r.status == 200]) == 1


async def test_a_429_is_retried_after_the_retry_after_delay(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    apps = client.AppsV1Api(kube)
    metrics = Metrics()
    informer, mirror = deployments_informer(kube, metrics)
    clock = RequestClock(emulator)
    async with running(informer):
        await eventually(lambda: bool(requests(emulator, WATCHES)), what="the first watch")
        emulator.faults.fail_next("GET", WATCHES, 429, times=2, retry_after=1)
        emulator.drop_watches()
        await apps.create_namespaced_deployment("default", deployment("later"))
        await assert_converged(informer, kube, mirror)
    watches = clock.watches()
    statuses = [entry.status for _, entry in watches]
    assert statuses[:3] == [200, 429, 429]  # the first watch, cut; two refused reconnects
    assert statuses[3] in (0, 200)  # then a watch that succeeded (0: still open when the test ended)
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(watches[1:4])]
    # The backoff in these tests never exceeds 0.1 s: only Retry-After explains a one-second wait.
    assert all(0.95 <= gap < 1.5 for gap in gaps), gaps
    assert sample(metrics, "headwind_informer_errors_total", kind="Deployment", status="429") == 2


async def test_converges_after_a_thousand_rapid_writes(make_emulator: Any, tmp_path: Path) -> None:
    emulator: Emulator = await make_emulator(controllers=False)
    async with client_session(emulator, tmp_path) as kube:
        apps = client.AppsV1Api(kube)
        informer, mirror = deployments_informer(kube, Metrics())
        async with running(informer):
            names = [f"app-{index}" for index in range(400)]
            await apply_all(
                [
                    functools.partial(apps.create_namespaced_deployment, "default", deployment(n))
                    for n in names
                ]
            )
            await apply_all(
                [
                    functools.partial(
                        apps.patch_namespaced_deployment,
                        name,
                        "default",
                        {"metadata": {"annotations": {"rev": str(rev)}}},
                    )
                    for rev in range(2)
                    for name in names[:200]
                ]
            )
            await apply_all(
                [
                    functools.partial(apps.delete_namespaced_deployment, name, "default")
                    for name in names[200:]
                ]
            )
            await assert_converged(informer, kube, mirror, timeout=20)
            assert len(informer) == 200
            assert list_count(emulator) == 1


# -- scope, indexes, optional resources ----------------------------------------------------------


async def test_a_namespace_restricted_informer_sees_only_its_namespaces(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    core, apps = client.CoreV1Api(kube), client.AppsV1Api(kube)
    for name in ("team-a", "team-b", "team-c"):
        await core.create_namespace(namespace(name))
        await apps.create_namespaced_deployment(name, deployment("web", namespace=name))
    informer, mirror = deployments_informer(kube, Metrics(), ("team-b", "team-a"))
    async with running(informer):
        await apps.create_namespaced_deployment("team-c", deployment("api", namespace="team-c"))
        await apps.create_namespaced_deployment("team-a", deployment("api", namespace="team-a"))
        await assert_converged(informer, kube, mirror)
        assert {str(w.key) for w in informer.items()} == {
            "Deployment team-a/api",
            "Deployment team-a/web",
            "Deployment team-b/web",
        }
    assert {r.path for r in emulator.faults.matching("GET", r"/deployments$")} == {
        "/apis/apps/v1/namespaces/team-a/deployments",
        "/apis/apps/v1/namespaces/team-b/deployments",
    }


async def test_the_repository_index_follows_image_changes(kube: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube)
    metrics = Metrics()
    informers = workload_informers(kube, metrics, settings=FAST)
    deployments = informers["Deployment"]
    await apps.create_namespaced_deployment(
        "default", deployment("web", "nginx:1.25", annotations={"headwind.sh/policy": "minor"})
    )
    async with running(*informers.values()):
        [web] = deployments.by_index(REPOSITORY_INDEX, "docker.io/library/nginx")
        assert web.key == ObjectKey("Deployment", "default", "web")
        assert sample(metrics, "headwind_deployments_watched") == 1
        await apps.patch_namespaced_deployment(
            "web",
            "default",
            {
                "spec": {
                    "template": {"spec": {"containers": [{"name": "app", "image": "ghcr.io/acme/web:2"}]}}
                }
            },
        )
        await eventually(
            lambda: bool(deployments.by_index(REPOSITORY_INDEX, "ghcr.io/acme/web")),
            what="the new repository in the index",
        )
        assert deployments.by_index(REPOSITORY_INDEX, "docker.io/library/nginx") == []
        assert deployments.index_values(REPOSITORY_INDEX) == ["ghcr.io/acme/web"]
        await apps.delete_namespaced_deployment("web", "default")
        await eventually(lambda: len(deployments) == 0, what="the deletion")
        assert deployments.index_values(REPOSITORY_INDEX) == []
        assert sample(metrics, "headwind_deployments_watched") == 0


async def test_an_optional_resource_is_picked_up_when_its_crd_appears_and_dropped_when_it_goes(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    metrics = Metrics()
    informer: Informer[Named] = Informer(
        kube,
        UPDATE_REQUESTS,
        functools.partial(named, "UpdateRequest"),
        lambda obj: obj.key,
        metrics,
        settings=FAST,
    )
    mirror = Mirror()
    informer.add_handler(mirror)
    async with running(informer):
        assert not informer.served
        assert len(informer) == 0
        extensions = client.ApiextensionsV1Api(kube)
        crd = yaml.safe_load((CRDS / "updaterequest.yaml").read_text())
        await extensions.create_custom_resource_definition(crd)
        await client.CustomObjectsApi(kube).create_namespaced_custom_object(
            "headwind.sh", "v1alpha1", "default", "updaterequests", update_request("web-nginx")
        )
        await eventually(lambda: informer.served and len(informer) == 1, what="the UpdateRequest")
        await assert_converged(informer, kube, mirror)
        await extensions.delete_custom_resource_definition("updaterequests.headwind.sh")
        emulator.drop_watches()
        await eventually(lambda: not informer.served, what="the informer to notice the CRD is gone")
        assert len(informer) == 0
        assert mirror.state == {}
        assert mirror.of("DELETED") == {"web-nginx"}
    assert sample(metrics, "headwind_informer_lists_total", kind="UpdateRequest") >= 1
