"""The registry client against a real CNCF distribution registry (Debian's ``docker-registry``).

What a fake would only repeat our assumptions about is proven here against the real thing: media-type
negotiation through ``Accept``, digests of OCI and Docker manifests, multi-arch indexes and manifest
lists, htpasswd and token auth (including ``401 insufficient_scope``), re-pushed tags, and -- through
``FaultyProxy`` -- ``429``/``503`` recovery and the request budget measured on the wire. Content is
arranged with the fixtures' own pusher, which shares no code with the client.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from headwind.adapters.metrics import Metrics
from headwind.adapters.registry import RegistryClient, RegistryError, RegistrySettings
from headwind.model.credentials import Credential

from .proxy import FaultyProxy
from .pusher import DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, Pusher
from .server import RunningRegistry

CI = Credential("ci", "ci-pass", "test fixture")


class RecordingSleep:
    """A real ``asyncio.sleep`` that also records how long each wait was."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(seconds)


MakeClient = Callable[..., RegistryClient]


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Registry clients with the given settings (and ``sleep``/``jitter``/``metrics``); closed after."""
    made: list[RegistryClient] = []

    def make(
        *, metrics: Metrics | None = None, sleep: Any = asyncio.sleep, jitter: Any = None, **settings: Any
    ) -> RegistryClient:
        extra = {"jitter": jitter} if jitter is not None else {}
        client = RegistryClient(RegistrySettings(**settings), metrics or Metrics(), sleep=sleep, **extra)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


# --- anonymous: media types, digests, indexes ---------------------------------------------------------


async def test_tags_and_digests_of_oci_and_docker_images_and_a_helm_chart(
    registry: RunningRegistry, pusher: Pusher, make_client: MakeClient
) -> None:
    oci = await pusher.push_image("team/app", "1.0.0", media="oci")
    docker = await pusher.push_image("team/app", "1.1.0", media="docker")
    await pusher.push_image("team/app", "1.2.0-rc.1", media="oci")
    chart = await pusher.push_chart("charts/mychart", "0.1.0")
    client = make_client()

    listed = await client.tags(registry.host, "team/app", None)
    assert set(listed.tags) == {"1.0.0", "1.1.0", "1.2.0-rc.1"}
    assert (listed.pages, listed.truncated) == (1, False)
    only_final = await client.tags(registry.host, "team/app", None, keep=lambda tag: "-" not in tag)
    assert set(only_final.tags) == {"1.0.0", "1.1.0"}

    first = await client.manifest(registry.host, "team/app", "1.0.0", None)
    assert (first.digest, first.media_type, first.is_index) == (oci.digest, OCI_MANIFEST, False)
    second = await client.manifest(registry.host, "team/app", "1.1.0", None)
    assert (second.digest, second.media_type) == (docker.digest, DOCKER_MANIFEST)
    by_digest = await client.manifest(registry.host, "team/app", oci.digest, None)
    assert by_digest.digest == oci.digest
    helm = await client.manifest(registry.host, "charts/mychart", "0.1.0", None)
    assert (helm.digest, helm.media_type) == (chart.digest, OCI_MANIFEST)


async def test_distribution_ignores_n_so_one_page_holds_every_tag(
    registry: RunningRegistry, pusher: Pusher, make_client: MakeClient
) -> None:
    for tag in ("3", "1", "2"):
        await pusher.push_image("team/app", tag)
    listed = await make_client(page_size=1).tags(registry.host, "team/app", None)
    assert sorted(listed.tags) == ["1", "2", "3"]
    assert (listed.pages, listed.truncated) == (1, False), "2.8 sends neither a partial page nor a Link"


@pytest.mark.parametrize(("media", "index_type"), [("oci", OCI_INDEX), ("docker", DOCKER_MANIFEST_LIST)])
async def test_a_multi_arch_index_resolves_to_its_digest_and_each_platform_to_its_child(
    registry: RunningRegistry, pusher: Pusher, make_client: MakeClient, media: str, index_type: str
) -> None:
    pushed = await pusher.push_index(
        "team/multi", "2.0.0", platforms=("linux/amd64", "linux/arm64/v8", "linux/arm/v7"), media=media
    )
    client = make_client()

    info = await client.manifest(registry.host, "team/multi", "2.0.0", None, platforms=True)
    assert (info.digest, info.media_type, info.is_index) == (pushed.digest, index_type, True)
    assert dict(info.platforms) == pushed.children
    assert set(pushed.children) == {"linux/amd64", "linux/arm64/v8", "linux/arm/v7"}

    plain = await client.manifest(registry.host, "team/multi", "2.0.0", None)
    assert (plain.digest, dict(plain.platforms)) == (pushed.digest, {})
    child = await client.manifest(registry.host, "team/multi", pushed.children["linux/arm64/v8"], None)
    assert child.digest == pushed.children["linux/arm64/v8"]
    assert not child.is_index


async def test_a_re_pushed_tag_resolves_to_its_new_digest(
    registry: RunningRegistry, pusher: Pusher, make_client: MakeClient
) -> None:
    client = make_client()
    before = await pusher.push_image("team/app", "latest")
    assert (await client.manifest(registry.host, "team/app", "latest", None)).digest == before.digest
    after = await pusher.push_image("team/app", "latest")
    assert after.digest != before.digest
    assert (await client.manifest(registry.host, "team/app", "latest", None)).digest == after.digest


async def test_a_missing_tag_or_repository_is_not_found(
    registry: RunningRegistry, pusher: Pusher, make_client: MakeClient
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    metrics = Metrics()
    client = make_client(metrics=metrics)
    with pytest.raises(RegistryError) as missing_tag:
        await client.manifest(registry.host, "team/app", "9.9.9", None)
    assert (missing_tag.value.reason, missing_tag.value.status) == ("not-found", 404)
    with pytest.raises(RegistryError) as missing_repository:
        await client.tags(registry.host, "team/nothing", None)
    assert (missing_repository.value.reason, missing_repository.value.operation) == ("not-found", "tags")
    assert "NAME_UNKNOWN" in str(missing_repository.value)
    errors = metrics.registry.get_sample_value(
        "headwind_registry_errors_total", {"registry": registry.host, "reason": "not-found"}
    )
    assert errors == 2


# --- authentication ------------------------------------------------------------------------------------


async def test_basic_auth_works_with_the_credential_and_is_unauthorized_without(
    basic_registry: RunningRegistry, make_client: MakeClient
) -> None:
    async with basic_registry.pusher() as pusher:
        pushed = await pusher.push_image("team/app", "1.0.0")
    client = make_client()

    assert (await client.tags(basic_registry.host, "team/app", CI)).tags == ("1.0.0",)
    assert (await client.manifest(basic_registry.host, "team/app", "1.0.0", CI)).digest == pushed.digest
    with pytest.raises(RegistryError) as anonymous:
        await client.manifest(basic_registry.host, "team/app", "1.0.0", None)
    assert (anonymous.value.reason, anonymous.value.status) == ("unauthorized", 401)
    with pytest.raises(RegistryError) as wrong:
        await client.tags(basic_registry.host, "team/app", Credential("ci", "wrong", "test"))
    assert wrong.value.reason == "unauthorized"


async def test_token_auth_fetches_one_token_per_scope_for_many_requests(
    token_registry: RunningRegistry, make_client: MakeClient
) -> None:
    issuer = token_registry.issuer
    assert issuer is not None
    async with token_registry.pusher() as pusher:
        app = await pusher.push_image("team/app", "1.0.0")
        await pusher.push_image("team/app", "1.1.0")
        other = await pusher.push_image("team/other", "1.0.0")
    before = len(issuer.requests)
    client = make_client()

    for _ in range(3):
        assert (await client.manifest(token_registry.host, "team/app", "1.0.0", CI)).digest == app.digest
    assert set((await client.tags(token_registry.host, "team/app", CI)).tags) == {"1.0.0", "1.1.0"}
    await asyncio.gather(*(client.manifest(token_registry.host, "team/app", "1.1.0", CI) for _ in range(4)))
    assert (await client.manifest(token_registry.host, "team/other", "1.0.0", CI)).digest == other.digest

    asked = [(request.account, request.scopes) for request in issuer.requests[before:]]
    assert asked == [
        ("ci", ("repository:team/app:pull",)),
        ("ci", ("repository:team/other:pull",)),
    ]


async def test_token_auth_without_a_credential_is_unauthorized(
    token_registry: RunningRegistry, make_client: MakeClient
) -> None:
    async with token_registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")
    with pytest.raises(RegistryError) as raised:
        await make_client().manifest(token_registry.host, "team/app", "1.0.0", None)
    assert (raised.value.reason, raised.value.status) == ("unauthorized", 401)
    assert "insufficient_scope" in raised.value.message, "the anonymous token was granted nothing"


async def test_insufficient_scope_recovers_with_exactly_one_more_token_request(
    token_registry: RunningRegistry, make_client: MakeClient
) -> None:
    issuer = token_registry.issuer
    assert issuer is not None
    async with token_registry.pusher() as pusher:
        pushed = await pusher.push_image("team/app", "1.0.0")
    before = len(issuer.requests)
    issuer.narrow_next = 1  # the next token grants nothing: the registry answers 401 insufficient_scope

    info = await make_client().manifest(token_registry.host, "team/app", "1.0.0", CI)

    assert info.digest == pushed.digest
    assert len(issuer.requests) - before == 2
    assert issuer.narrow_next == 0


# --- throttling, failures and the budget, through the faulty proxy ----------------------------------------


async def test_a_429_with_retry_after_and_503s_are_waited_out_and_recovered_from(
    faulty_proxy: FaultyProxy, pusher: Pusher, make_client: MakeClient
) -> None:
    pushed = await pusher.push_image("team/app", "1.0.0")
    faulty_proxy.fail_next(429, retry_after="1", path="/manifests/")
    faulty_proxy.fail_next(503, times=2, path="/manifests/")
    metrics, sleep = Metrics(), RecordingSleep()
    client = make_client(metrics=metrics, sleep=sleep, jitter=lambda: 1.0, backoff_base=0.05)

    info = await client.manifest(faulty_proxy.host, "team/app", "1.0.0", None)

    assert info.digest == pushed.digest
    seen = [request for request in faulty_proxy.requests if "/manifests/" in request.path]
    assert [(request.status, request.injected) for request in seen] == [
        (429, True),
        (503, True),
        (503, True),
        (200, False),
    ]
    assert seen[1].at - seen[0].at >= 0.95, "Retry-After: 1 was honoured on the wire"
    assert sleep.waits[0] == pytest.approx(1.0, abs=0.05)
    # The attempt count runs across causes: the 503s are the second and third attempts.
    assert sleep.waits[1:] == [pytest.approx(0.1), pytest.approx(0.2)], "backoff after each 503"

    def sample(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, {"registry": faulty_proxy.host, **labels})

    assert sample("headwind_registry_throttled_total") == 1
    assert sample("headwind_registry_requests_total", operation="manifest", status="503") == 2
    assert sample("headwind_registry_requests_total", operation="manifest", status="200") == 1


async def test_503s_beyond_the_retries_fail_as_server_error(
    faulty_proxy: FaultyProxy, pusher: Pusher, make_client: MakeClient
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    faulty_proxy.fail_next(503, times=10, path="/tags/")
    client = make_client(retries=2, backoff_base=0.01)
    with pytest.raises(RegistryError) as raised:
        await client.tags(faulty_proxy.host, "team/app", None)
    assert (raised.value.reason, raised.value.status) == ("server-error", 503)
    assert "UNAVAILABLE" in raised.value.message
    assert len(faulty_proxy.requests) == 3


async def test_rate_limit_headers_through_the_proxy_become_gauges(
    faulty_proxy: FaultyProxy, pusher: Pusher, make_client: MakeClient
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    faulty_proxy.add_headers({"RateLimit-Limit": "100;w=21600", "RateLimit-Remaining": "42;w=21600"})
    metrics = Metrics()
    await make_client(metrics=metrics).manifest(faulty_proxy.host, "team/app", "1.0.0", None)
    labels = {"registry": faulty_proxy.host}
    assert metrics.registry.get_sample_value("headwind_registry_rate_limit", labels) == 100
    assert metrics.registry.get_sample_value("headwind_registry_rate_limit_remaining", labels) == 42


async def test_the_request_budget_holds_on_the_wire(
    faulty_proxy: FaultyProxy, pusher: Pusher, make_client: MakeClient
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    rate, burst, tolerance = 5.0, 2, 0.05
    client = make_client(requests_per_second=rate, burst=burst, max_concurrency=4)

    await asyncio.gather(*(client.manifest(faulty_proxy.host, "team/app", "1.0.0", None) for _ in range(12)))

    times = sorted(request.at for request in faulty_proxy.requests)
    assert len(times) == 12, "a HEAD with a digest is one request each"
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            window = times[j] - start
            assert j - i + 1 <= burst + rate * (window + tolerance), (
                f"{j - i + 1} requests within {window:.3f}s exceed {burst} + {rate}/s"
            )
    assert times[-1] - times[0] >= (12 - burst) / rate - tolerance
