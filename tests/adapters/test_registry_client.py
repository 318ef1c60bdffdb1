"""The registry client against scripted registries: what Docker Hub and GHCR do that distribution 2.8 cannot.

The real registry (tests/registry) proves media types, auth and digests; these local aiohttp servers
play the behaviours a test cannot get from it: paginated tag lists with ``Link``, ``RateLimit-*``
headers, ``429`` with ``Retry-After``, a server that hangs, and counted token requests. ``sleep`` is
injected, so a test records every wait instead of spending it.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import json
import pickle
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from structlog.testing import capture_logs

from headwind.adapters.metrics import Metrics
from headwind.adapters.registry import (
    Challenge,
    RegistryClient,
    RegistryError,
    RegistryLimits,
    RegistrySettings,
    TokenBucket,
    parse_challenge,
)
from headwind.adapters.registry.auth import Token, TokenCache, cache_key, parse_token_response
from headwind.adapters.registry.client import MANIFEST_MEDIA_TYPES, next_link
from headwind.adapters.registry.limits import rate_limit_value, retry_after_seconds
from headwind.model.credentials import Credential

from ..waiting import eventually

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
DIGEST_C = "sha256:" + "c" * 64
PASSWORD = "hunter2-very-secret"
CREDENTIAL = Credential("robot", PASSWORD, "secret team/regcred")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- scripted registries ---------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str  # with the query, as sent
    headers: dict[str, str]


@dataclass
class Fake:
    """A running scripted server: its ``host`` (``127.0.0.1:PORT``) and what it was asked."""

    host: str
    requests: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def paths(self, prefix: str = "/v2/") -> list[str]:
        return [seen.path for seen in self.requests if seen.path.startswith(prefix)]


Serve = Callable[[Callable[[Fake, web.Request], Awaitable[web.StreamResponse]]], Awaitable[Fake]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start scripted servers: ``await serve(handler)`` with ``handler(fake, request)``."""
    servers: list[tuple[TestServer, Fake]] = []

    async def start(handler: Callable[[Fake, web.Request], Awaitable[web.StreamResponse]]) -> Fake:
        fake: Fake | None = None

        async def handle(request: web.Request) -> web.StreamResponse:
            assert fake is not None
            fake.requests.append(Seen(request.method, request.path_qs, dict(request.headers)))
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            try:
                return await handler(fake, request)
            finally:
                fake.in_flight -= 1

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        fake = Fake(f"127.0.0.1:{server.port}")
        servers.append((server, fake))
        return fake

    yield start
    for server, fake in servers:
        fake.release.set()
        await server.close()


class Sleeps:
    """An injected ``sleep`` that records each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


@dataclass
class Harness:
    client: RegistryClient
    metrics: Metrics
    sleeps: Sleeps

    def sample(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


MakeClient = Callable[..., Harness]


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Clients with recorded sleeps, no jitter (full backoff) and the given settings; closed after."""
    made: list[RegistryClient] = []

    def make(clock: Callable[[], float] = time.monotonic, **settings: Any) -> Harness:
        metrics, sleeps = Metrics(), Sleeps()
        client = RegistryClient(
            RegistrySettings(**settings), metrics, sleep=sleeps, clock=clock, jitter=lambda: 1.0
        )
        made.append(client)
        return Harness(client, metrics, sleeps)

    yield make
    for client in made:
        await client.close()


def manifest_response(
    digest: str | None = DIGEST_A, media_type: str = OCI_MANIFEST, **headers: str
) -> web.Response:
    if digest is not None:
        headers["Docker-Content-Digest"] = digest
    return web.Response(status=200, headers={"Content-Type": media_type, **headers})


def error_response(status: int, code: str = "ERROR", **headers: str) -> web.Response:
    body = json.dumps({"errors": [{"code": code, "message": f"scripted {status}"}]})
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)


async def manifests_ok(fake: Fake, request: web.Request) -> web.StreamResponse:
    return manifest_response()


# --- rules, table-driven ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
            'scope="repository:library/nginx:pull"',
            Challenge(
                "bearer",
                {
                    "realm": "https://auth.docker.io/token",
                    "service": "registry.docker.io",
                    "scope": "repository:library/nginx:pull",
                },
            ),
        ),
        ('Basic realm="test-registry"', Challenge("basic", {"realm": "test-registry"})),
        ("BASIC realm=unquoted", Challenge("basic", {"realm": "unquoted"})),
        ("bearer Realm = \"r\" , SCOPE = 's'", Challenge("bearer", {"realm": "r", "scope": "'s'"})),
        (
            'Bearer realm="https://ghcr.io/token",scope="repository:a/b:pull,push",error="insufficient_scope"',
            Challenge(
                "bearer",
                {
                    "realm": "https://ghcr.io/token",
                    "scope": "repository:a/b:pull,push",
                    "error": "insufficient_scope",
                },
            ),
        ),
        (
            r'Bearer realm="a \"quoted\" realm, with a comma"',
            Challenge("bearer", {"realm": 'a "quoted" realm, with a comma'}),
        ),
        ('Bearer realm="x" service="y"', Challenge("bearer", {"realm": "x", "service": "y"})),
        ('Bearer realm="x",,service="y",', Challenge("bearer", {"realm": "x", "service": "y"})),
        ('Basic realm="first", Bearer realm="second"', Challenge("basic", {"realm": "first"})),
        ("Bearer", Challenge("bearer", {})),
        ("Negotiate abc==", Challenge("negotiate", {"token68": "abc=="})),
        ("", None),
        ("   ", None),
        ('="no scheme"', None),
        ('Bearer realm="unterminated', None),
        ('Bearer realm="x" garbage here', None),
        ("\u00fcber realm=x", None),
        ("Bearer realm=x;service=y", None),
    ],
)
def test_parse_challenge_reads_what_registries_send_and_answers_none_for_garbage(
    header: str, expected: Challenge | None
) -> None:
    assert parse_challenge(header) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (['</v2/a/tags/list?last=b&n=2>; rel="next"'], "/v2/a/tags/list?last=b&n=2"),
        (["<https://r.example/v2/a/tags/list?last=b>; rel=next"], "https://r.example/v2/a/tags/list?last=b"),
        (['<https://r.example/first>; rel="first", </next>; rel="next"'], "/next"),
        (['</p>; rel="prev"', '</n>; rel="next"'], "/n"),
        (['</n>; title="a;b, c"; rel="last next"'], "/n"),
        (['"/quoted"; rel="next"'], "/quoted"),
        (['</p>; rel="prev"'], None),
        ([], None),
        (["garbage"], None),
    ],
)
def test_next_link_finds_rel_next_in_any_spelling(headers: list[str], expected: str | None) -> None:
    assert next_link(headers) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),  # in the past: now
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_measures_an_http_date_from_now() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds(email.utils.formatdate(now + 42, usegmt=True), now=now) == 42.0


@pytest.mark.parametrize(
    ("value", "expected"), [("76;w=21600", 76), ("100", 100), (" 5 ; w=60", 5), ("x;w=1", None), (None, None)]
)
def test_rate_limit_headers_give_their_number(value: str | None, expected: int | None) -> None:
    assert rate_limit_value(value) == expected


def test_a_registry_error_names_operation_registry_and_repository_and_survives_pickling() -> None:
    error = RegistryError("ghcr.io", "team/app", "manifest", "not-found", "manifest 1.0 not found", 404)
    assert str(error) == "manifest ghcr.io/team/app: manifest 1.0 not found"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.registry, copy.repository, copy.operation, copy.reason, copy.status) == (
        "ghcr.io",
        "team/app",
        "manifest",
        "not-found",
        404,
    )


def test_base_urls_speak_https_except_to_loopback_and_plain_http_hosts() -> None:
    client = RegistryClient(RegistrySettings(plain_http=frozenset({"registry.lan:5000"})), Metrics())
    assert str(client.base_url("docker.io")) == "https://registry-1.docker.io"
    assert str(client.base_url("ghcr.io")) == "https://ghcr.io"
    assert str(client.base_url("registry.lan:5000")) == "http://registry.lan:5000"
    for loopback in ("localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000"):
        assert client.base_url(loopback).scheme == "http", loopback
    assert client.base_url("localhost.example.com").scheme == "https"


def test_invalid_settings_are_refused_with_every_problem_named() -> None:
    with pytest.raises(ValueError, match=r"timeout must be positive.*retries must not be negative"):
        RegistrySettings(timeout=0, retries=-1)


# --- the request budget ------------------------------------------------------------------------------


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def within_budget(times: list[float], rate: float, burst: int, slack: float = 1e-9) -> bool:
    """Whether no window [times[i], times[j]] holds more than burst + rate * length requests."""
    times = sorted(times)
    return all(
        j - i + 1 <= burst + rate * (times[j] - times[i]) + slack
        for i in range(len(times))
        for j in range(i, len(times))
    )


async def test_the_token_bucket_grants_a_burst_then_the_rate_and_never_more() -> None:
    clock = ManualClock()

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    bucket = TokenBucket(rate=5.0, burst=2, clock=clock, sleep=sleep)
    granted = []
    for _ in range(12):
        await bucket.acquire()
        granted.append(clock())
    assert granted[:2] == [1000.0, 1000.0], "the burst is free"
    assert granted[-1] == pytest.approx(1000.0 + 10 / 5.0), "then one every 1/rate seconds"
    assert within_budget(granted, 5.0, 2)

    clock.advance(60.0)  # a long idle period refills to the burst, not beyond
    start, granted = clock(), []
    for _ in range(5):
        await bucket.acquire()
        granted.append(clock() - start)
    assert granted == pytest.approx([0.0, 0.0, 0.2, 0.4, 0.6])


async def test_a_cancelled_waiter_gives_its_token_back() -> None:
    clock = ManualClock()
    bucket = TokenBucket(rate=1.0, burst=1, clock=clock, sleep=asyncio.sleep)
    await bucket.acquire()
    waiter = asyncio.create_task(bucket.acquire(), name="test:bucket-waiter")
    await asyncio.sleep(0)
    assert bucket.tokens == pytest.approx(-1.0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert bucket.tokens == pytest.approx(0.0)


async def test_each_registry_host_has_its_own_budget_and_a_pause_holds_back_only_that_registry() -> None:
    clock = ManualClock()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    limits = RegistryLimits(max_concurrency=2, rate=1.0, burst=1, clock=clock, sleep=sleep)
    for registry in ("a.example", "b.example"):
        async with limits.slot(registry):
            pass
    assert waits == [], "one burst each"
    limits.pause("a.example", 7.0)
    async with limits.slot("b.example"):
        pass
    assert waits == [pytest.approx(1.0)], "b waited for its own budget, not for a's pause"
    async with limits.slot("a.example"):
        pass
    assert waits[1] == pytest.approx(6.0), "a waited out the rest of its pause (its token refilled meanwhile)"


# --- tag lists ----------------------------------------------------------------------------------------


def tag_page(tags: list[str] | None, link: str | None = None) -> web.Response:
    headers = {"Link": link} if link else {}
    return web.json_response({"name": "team/app", "tags": tags}, headers=headers)


async def test_tags_follow_relative_link_pages_filter_each_page_and_keep_registry_order(
    serve: Serve, make_client: MakeClient
) -> None:
    pages = {
        None: (["1.2.0", "latest", "1.0.0"], '</v2/team/app/tags/list?last=1.0.0&n=3>; rel="next"'),
        "1.0.0": (["1.10.0", "sha-abc", "1.2.0"], "</v2/team/app/tags/list?last=1.2.0&n=3>; rel=next"),
        "1.2.0": (["2.0.0"], None),
    }

    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        tags, link = pages[request.query.get("last")]
        return tag_page(tags, link)

    fake = await serve(handler)
    harness = make_client(page_size=3)
    listed = await harness.client.tags(
        fake.host, "team/app", None, keep=lambda tag: not tag.startswith("sha-")
    )

    assert listed.tags == ("1.2.0", "latest", "1.0.0", "1.10.0", "2.0.0")
    assert (listed.registry, listed.path, listed.pages, listed.truncated) == (fake.host, "team/app", 3, False)
    assert fake.paths() == [
        "/v2/team/app/tags/list?n=3",
        "/v2/team/app/tags/list?last=1.0.0&n=3",
        "/v2/team/app/tags/list?last=1.2.0&n=3",
    ]
    assert (
        harness.sample("headwind_registry_requests_total", registry=fake.host, operation="tags", status="200")
        == 3
    )


async def test_tags_follow_absolute_links_on_the_same_host(serve: Serve, make_client: MakeClient) -> None:
    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        if "last" not in request.query:
            return tag_page(["a"], f'<{fake.url}/v2/team/app/tags/list?last=a&n=1000>; rel="next"')
        return tag_page(["b"])

    fake = await serve(handler)
    listed = await make_client().client.tags(fake.host, "team/app", None)
    assert (listed.tags, listed.pages) == (("a", "b"), 2)


async def test_a_tag_listing_stops_at_max_tag_pages_and_says_it_was_truncated(
    serve: Serve, make_client: MakeClient
) -> None:
    async def endless(fake: Fake, request: web.Request) -> web.StreamResponse:
        page = int(request.query.get("last", "0"))
        return tag_page([str(page + 1), "dup"], f'</v2/team/app/tags/list?last={page + 1}>; rel="next"')

    fake = await serve(endless)
    with capture_logs() as logs:
        listed = await make_client(max_tag_pages=3).client.tags(fake.host, "team/app", None)
    assert (listed.tags, listed.pages, listed.truncated) == (("1", "dup", "2", "3"), 3, True)
    assert len(fake.paths()) == 3
    [warning] = [entry for entry in logs if entry["log_level"] == "warning"]
    assert (warning["registry"], warning["repository"], warning["pages"]) == (fake.host, "team/app", 3)


async def test_a_null_tag_list_is_empty(serve: Serve, make_client: MakeClient) -> None:
    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        return tag_page(None)

    fake = await serve(handler)
    listed = await make_client().client.tags(fake.host, "team/empty", None)
    assert (listed.tags, listed.pages, listed.truncated) == ((), 1, False)


async def test_a_link_to_another_host_is_not_followed(serve: Serve, make_client: MakeClient) -> None:
    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        return tag_page(["a"], '<https://elsewhere.example/v2/team/app/tags/list?last=a>; rel="next"')

    fake = await serve(handler)
    harness = make_client()
    with pytest.raises(RegistryError) as raised:
        await harness.client.tags(fake.host, "team/app", CREDENTIAL)
    assert (raised.value.reason, raised.value.operation) == ("protocol", "tags")
    assert "another host" in str(raised.value)
    assert harness.sample("headwind_registry_errors_total", registry=fake.host, reason="protocol") == 1


async def test_a_tag_list_that_is_not_json_is_a_protocol_error(serve: Serve, make_client: MakeClient) -> None:
    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>maintenance</html>", content_type="text/html")

    fake = await serve(handler)
    with pytest.raises(
        RegistryError, match=r"^tags 127\.0\.0\.1:\d+/team/app: the tag list is not JSON"
    ) as raised:
        await make_client().client.tags(fake.host, "team/app", None)
    assert raised.value.reason == "protocol"


# --- manifests -------------------------------------------------------------------------------------


async def test_a_digest_comes_from_head_with_all_four_media_types_accepted(
    serve: Serve, make_client: MakeClient
) -> None:
    fake = await serve(manifests_ok)
    info = await make_client().client.manifest(fake.host, "team/app", "1.0.0", None)
    assert (info.digest, info.media_type, dict(info.platforms), info.is_index) == (
        DIGEST_A,
        OCI_MANIFEST,
        {},
        False,
    )
    [head] = fake.requests
    assert (head.method, head.path) == ("HEAD", "/v2/team/app/manifests/1.0.0")
    assert [part.strip() for part in head.headers["Accept"].split(",")] == list(MANIFEST_MEDIA_TYPES)


async def test_without_a_digest_header_the_digest_is_the_sha256_of_the_exact_bytes(
    serve: Serve, make_client: MakeClient
) -> None:
    body = b'{"schemaVersion": 2,  "mediaType": "application/vnd.oci.image.manifest.v1+json"}\n'

    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": OCI_MANIFEST}
        return web.Response(body=b"" if request.method == "HEAD" else body, headers=headers)

    fake = await serve(handler)
    info = await make_client().client.manifest(fake.host, "team/app", "1.0.0", None)
    assert info.digest == "sha256:" + hashlib.sha256(body).hexdigest()
    assert [seen.method for seen in fake.requests] == ["HEAD", "GET"]


async def test_an_index_with_platforms_maps_each_platform_to_its_child(
    serve: Serve, make_client: MakeClient
) -> None:
    index = {
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST,
        "manifests": [
            {"digest": DIGEST_B, "platform": {"os": "linux", "architecture": "amd64"}},
            {"digest": DIGEST_C, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"digest": DIGEST_A, "platform": {"os": "unknown", "architecture": "unknown"}},  # an attestation
            {"digest": "not-a-digest", "platform": {"os": "linux", "architecture": "s390x"}},
        ],
    }

    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        if request.method == "HEAD":
            return manifest_response(DIGEST_A, DOCKER_LIST)
        return web.Response(
            body=json.dumps(index).encode(),
            headers={"Content-Type": DOCKER_LIST, "Docker-Content-Digest": DIGEST_A},
        )

    fake = await serve(handler)
    client = make_client().client
    plain = await client.manifest(fake.host, "team/multi", "2.0.0", None)
    assert (plain.digest, plain.is_index, dict(plain.platforms)) == (DIGEST_A, True, {})
    assert [seen.method for seen in fake.requests] == ["HEAD"], "without platforms, HEAD is enough"

    info = await client.manifest(fake.host, "team/multi", "2.0.0", None, platforms=True)
    assert (info.digest, info.media_type, info.is_index) == (DIGEST_A, DOCKER_LIST, True)
    assert dict(info.platforms) == {"linux/amd64": DIGEST_B, "linux/arm64/v8": DIGEST_C}


async def test_a_missing_manifest_is_not_found_and_counted(serve: Serve, make_client: MakeClient) -> None:
    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        return error_response(404, "MANIFEST_UNKNOWN")

    fake = await serve(handler)
    harness = make_client()
    with pytest.raises(RegistryError) as raised:
        await harness.client.manifest(fake.host, "team/app", "9.9.9", None)
    assert (raised.value.reason, raised.value.status, raised.value.operation) == (
        "not-found",
        404,
        "manifest",
    )
    assert "manifest 9.9.9 not found" in str(raised.value)
    assert harness.sample("headwind_registry_errors_total", registry=fake.host, reason="not-found") == 1
    assert harness.sleeps.waits == [], "a 404 is an answer, not a failure to retry"


async def test_docker_hub_rate_limit_headers_become_gauges(serve: Serve, make_client: MakeClient) -> None:
    remaining = iter(["76;w=21600", "75;w=21600"])

    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        return manifest_response(**{"RateLimit-Limit": "100;w=21600", "RateLimit-Remaining": next(remaining)})

    fake = await serve(handler)
    harness = make_client()
    await harness.client.manifest(fake.host, "library/nginx", "1.25", None)
    assert harness.sample("headwind_registry_rate_limit", registry=fake.host) == 100
    assert harness.sample("headwind_registry_rate_limit_remaining", registry=fake.host) == 76
    await harness.client.manifest(fake.host, "library/nginx", "1.26", None)
    assert harness.sample("headwind_registry_rate_limit_remaining", registry=fake.host) == 75


# --- throttling, failures, retries ------------------------------------------------------------------


def scripted(
    *answers: Callable[[], web.Response],
) -> Callable[[Fake, web.Request], Awaitable[web.StreamResponse]]:
    """A handler answering with ``answers`` in turn, then with a manifest."""
    queue = list(answers)

    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        return queue.pop(0)() if queue else manifest_response()

    return handler


async def test_a_429_waits_retry_after_seconds_then_succeeds(serve: Serve, make_client: MakeClient) -> None:
    fake = await serve(scripted(lambda: error_response(429, "TOOMANYREQUESTS", **{"Retry-After": "7"})))
    harness = make_client()
    with capture_logs() as logs:
        info = await harness.client.manifest(fake.host, "team/app", "1.0.0", None)
    assert info.digest == DIGEST_A
    assert harness.sleeps.waits == [pytest.approx(7.0, abs=0.5)]
    assert harness.sample("headwind_registry_throttled_total", registry=fake.host) == 1
    assert (
        harness.sample(
            "headwind_registry_requests_total", registry=fake.host, operation="manifest", status="429"
        )
        == 1
    )
    assert (
        harness.sample(
            "headwind_registry_requests_total", registry=fake.host, operation="manifest", status="200"
        )
        == 1
    )
    [warning] = [entry for entry in logs if entry["log_level"] == "warning"]
    assert (warning["registry"], warning["repository"]) == (fake.host, "team/app")


async def test_a_429_pauses_every_request_to_that_registry_not_only_the_throttled_one(
    serve: Serve, make_client: MakeClient
) -> None:
    fake = await serve(scripted(lambda: error_response(429, **{"Retry-After": "5"})))
    harness = make_client()
    await harness.client.manifest(fake.host, "team/app", "1.0.0", None)
    await harness.client.manifest(fake.host, "team/other", "1.0.0", None)  # within the 5 s, by the clock
    assert harness.sleeps.waits == [pytest.approx(5.0, abs=0.5), pytest.approx(5.0, abs=0.5)]
    assert [seen.path.rsplit("/", 3)[1] for seen in fake.requests] == ["app", "app", "other"], (
        "the second repository never collected a 429 of its own"
    )


async def test_a_429_with_an_http_date_waits_until_that_date(serve: Serve, make_client: MakeClient) -> None:
    def throttled() -> web.Response:
        until = email.utils.formatdate(time.time() + 30, usegmt=True)
        return error_response(429, **{"Retry-After": until})

    fake = await serve(scripted(throttled))
    harness = make_client()
    await harness.client.manifest(fake.host, "team/app", "1.0.0", None)
    [wait] = harness.sleeps.waits
    assert 28.0 <= wait <= 30.5, "the date has one-second resolution"


async def test_a_429_without_retry_after_backs_off(serve: Serve, make_client: MakeClient) -> None:
    fake = await serve(scripted(lambda: error_response(429), lambda: error_response(429)))
    harness = make_client(backoff_base=0.5)
    await harness.client.manifest(fake.host, "team/app", "1.0.0", None)
    assert harness.sleeps.waits == [pytest.approx(0.5, abs=0.05), pytest.approx(1.0, abs=0.05)]


async def test_a_retry_after_beyond_max_retry_after_fails_as_throttled_without_waiting(
    serve: Serve, make_client: MakeClient
) -> None:
    fake = await serve(scripted(lambda: error_response(429, **{"Retry-After": "21600"})))
    harness = make_client(max_retry_after=300)
    with pytest.raises(RegistryError) as raised:
        await harness.client.manifest(fake.host, "library/nginx", "latest", None)
    assert (raised.value.reason, raised.value.status) == ("throttled", 429)
    assert "21600s" in raised.value.message
    assert harness.sleeps.waits == []
    assert harness.sample("headwind_registry_errors_total", registry=fake.host, reason="throttled") == 1


async def test_server_errors_back_off_with_full_jitter_then_succeed(
    serve: Serve, make_client: MakeClient
) -> None:
    fake = await serve(scripted(lambda: error_response(503), lambda: error_response(502)))
    metrics, sleeps = Metrics(), Sleeps()
    draws = iter([0.25, 0.5])
    settings = RegistrySettings(backoff_base=1.0, backoff_cap=30.0)
    async with RegistryClient(settings, metrics, sleep=sleeps, jitter=lambda: next(draws)) as client:
        info = await client.manifest(fake.host, "team/app", "1.0.0", None)
    assert info.digest == DIGEST_A
    assert sleeps.waits == [0.25 * 1.0, 0.5 * 2.0], "jitter() * min(cap, base * 2**attempt)"
    statuses = {
        status: metrics.registry.get_sample_value(
            "headwind_registry_requests_total",
            {"registry": fake.host, "operation": "manifest", "status": status},
        )
        for status in ("503", "502", "200")
    }
    assert statuses == {"503": 1, "502": 1, "200": 1}


async def test_server_errors_that_outlast_the_retries_fail_as_server_error(
    serve: Serve, make_client: MakeClient
) -> None:
    async def always_500(fake: Fake, request: web.Request) -> web.StreamResponse:
        return error_response(500, "INTERNAL")

    fake = await serve(always_500)
    harness = make_client(retries=2, backoff_base=1.0, backoff_cap=1.5)
    with pytest.raises(RegistryError) as raised:
        await harness.client.tags(fake.host, "team/app", None)
    assert (raised.value.reason, raised.value.status, raised.value.operation) == ("server-error", 500, "tags")
    assert "after 3 attempts" in raised.value.message
    assert len(fake.requests) == 3
    assert harness.sleeps.waits == [1.0, 1.5], "the cap bounds the backoff"
    assert harness.sample("headwind_registry_errors_total", registry=fake.host, reason="server-error") == 1


async def test_a_hanging_registry_times_out_and_fails_as_timeout(
    serve: Serve, make_client: MakeClient
) -> None:
    async def hang(fake: Fake, request: web.Request) -> web.StreamResponse:
        await asyncio.wait_for(fake.release.wait(), timeout=10)
        return manifest_response()

    fake = await serve(hang)
    harness = make_client(timeout=0.2, retries=1)
    started = time.monotonic()
    with pytest.raises(RegistryError) as raised:
        await harness.client.manifest(fake.host, "team/app", "1.0.0", None)
    assert time.monotonic() - started < 2.0
    assert (raised.value.reason, raised.value.status) == ("timeout", None)
    assert len(fake.requests) == 2
    assert (
        harness.sample(
            "headwind_registry_requests_total", registry=fake.host, operation="manifest", status="timeout"
        )
        == 2
    )
    assert harness.sample("headwind_registry_errors_total", registry=fake.host, reason="timeout") == 1


async def test_a_refused_connection_fails_as_connection(make_client: MakeClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    harness = make_client(retries=1)
    with pytest.raises(RegistryError) as raised:
        await harness.client.manifest(f"127.0.0.1:{port}", "team/app", "1.0.0", None)
    assert raised.value.reason == "connection"
    assert (
        harness.sample(
            "headwind_registry_requests_total",
            registry=f"127.0.0.1:{port}",
            operation="manifest",
            status="error",
        )
        == 2
    )


async def test_cancellation_propagates_and_is_not_a_registry_error(
    serve: Serve, make_client: MakeClient
) -> None:
    async def hang(fake: Fake, request: web.Request) -> web.StreamResponse:
        await asyncio.wait_for(fake.release.wait(), timeout=10)
        return manifest_response()

    fake = await serve(hang)
    harness = make_client()
    task = asyncio.create_task(
        harness.client.manifest(fake.host, "team/app", "1.0.0", None), name="test:manifest"
    )
    await eventually(lambda: bool(fake.requests), what="the request reaching the server")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert harness.sample("headwind_registry_errors_total", registry=fake.host, reason="timeout") == 0
    for status in ("error", "timeout"):
        assert (
            harness.sample(
                "headwind_registry_requests_total", registry=fake.host, operation="manifest", status=status
            )
            == 0
        ), "a cancelled request is neither an error nor a timeout"


# --- authentication --------------------------------------------------------------------------------


@dataclass
class TokenServer:
    """The token half of a scripted Bearer registry: what it was asked, and how it answers."""

    requests: list[Seen] = field(default_factory=list)
    expires_in: int = 300
    stingy: int = 0  # the next N tokens grant nothing
    issued: int = 0
    grants: dict[str, str] = field(default_factory=dict)  # token -> the scope it grants ("" for none)


def bearer_registry(
    tokens: TokenServer, *, users: dict[str, str] | None = None
) -> Callable[[Fake, web.Request], Awaitable[web.StreamResponse]]:
    """A registry that wants ``Bearer`` tokens for ``repository:<path>:pull`` from its own ``/token``."""
    users = {"robot": PASSWORD} if users is None else users

    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        if request.path == "/token":
            tokens.requests.append(Seen(request.method, request.path_qs, dict(request.headers)))
            authorization = request.headers.get("Authorization", "")
            if authorization:
                username, _, password = base64.b64decode(authorization.split()[1]).decode().partition(":")
                if users.get(username) != password:
                    return web.json_response({"details": "incorrect username or password"}, status=401)
            tokens.issued += 1
            token = f"token-{tokens.issued}"
            scope = request.query.get("scope", "")
            tokens.grants[token] = "" if tokens.stingy > 0 else scope
            tokens.stingy = max(0, tokens.stingy - 1)
            return web.json_response({"access_token": token, "expires_in": tokens.expires_in})
        path = request.path.removeprefix("/v2/").rsplit("/", 2)[0]
        needed = f"repository:{path}:pull"
        challenge = f'Bearer realm="{fake.url}/token",service="scripted",scope="{needed}"'
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("Bearer "):
            return error_response(401, "UNAUTHORIZED", **{"WWW-Authenticate": challenge})
        if tokens.grants.get(authorization.removeprefix("Bearer ")) != needed:
            return error_response(
                401, "UNAUTHORIZED", **{"WWW-Authenticate": challenge + ',error="insufficient_scope"'}
            )
        if request.path.endswith("/tags/list"):
            return tag_page(["1.0.0"])
        return manifest_response()

    return handler


async def test_a_bearer_token_is_fetched_once_per_scope_and_credential_and_then_sent_up_front(
    serve: Serve, make_client: MakeClient
) -> None:
    tokens = TokenServer()
    fake = await serve(bearer_registry(tokens))
    client = make_client().client

    for tag in ("1.0", "1.1", "1.2"):
        await client.manifest(fake.host, "team/app", tag, CREDENTIAL)
    await client.tags(fake.host, "team/app", CREDENTIAL)
    assert len(tokens.requests) == 1, "one token for team/app's pull scope"
    [token_request] = tokens.requests
    assert "service=scripted" in token_request.path
    assert "scope=repository:team/app:pull" in token_request.path
    assert (
        token_request.headers["Authorization"]
        == "Basic " + base64.b64encode(f"robot:{PASSWORD}".encode()).decode()
    )
    statuses = [
        seen.headers.get("Authorization", "-")[:6] for seen in fake.requests if seen.path.startswith("/v2/")
    ]
    assert statuses == ["-", "Bearer", "Bearer", "Bearer", "Bearer"], (
        "after the first challenge, the token goes up front"
    )

    await client.manifest(fake.host, "team/other", "1.0", CREDENTIAL)
    assert len(tokens.requests) == 2, "another repository is another scope"
    other = Credential("robot", PASSWORD, "secret elsewhere/regcred")
    await client.manifest(fake.host, "team/app", "1.0", other)
    assert len(tokens.requests) == 2, (
        "the same username and password share the token, wherever they came from"
    )
    with pytest.raises(RegistryError) as raised:
        await client.manifest(fake.host, "team/app", "1.0", Credential("robot", "rotated", "secret team/new"))
    assert len(tokens.requests) == 3, "a rotated password never reuses the old one's token"
    assert (raised.value.reason, raised.value.operation) == ("unauthorized", "token")


async def test_a_bearer_token_is_refetched_when_it_nears_expiry(
    serve: Serve, make_client: MakeClient
) -> None:
    clock = ManualClock()
    tokens = TokenServer(expires_in=60)
    fake = await serve(bearer_registry(tokens))
    client = make_client(clock=clock).client
    await client.manifest(fake.host, "team/app", "1.0", CREDENTIAL)
    clock.advance(45.0)
    await client.manifest(fake.host, "team/app", "1.0", CREDENTIAL)
    assert len(tokens.requests) == 1
    clock.advance(10.0)  # 55 s: within the 10 s margin of the 60 s lifetime
    await client.manifest(fake.host, "team/app", "1.0", CREDENTIAL)
    assert len(tokens.requests) == 2


async def test_concurrent_requests_share_one_token_fetch(serve: Serve, make_client: MakeClient) -> None:
    tokens = TokenServer()
    fake = await serve(bearer_registry(tokens))
    client = make_client().client
    await asyncio.gather(*(client.manifest(fake.host, "team/app", f"1.{n}", CREDENTIAL) for n in range(6)))
    assert len(tokens.requests) == 1


async def test_insufficient_scope_fetches_a_token_for_the_named_scope_and_retries_once(
    serve: Serve, make_client: MakeClient
) -> None:
    tokens = TokenServer(stingy=1)
    fake = await serve(bearer_registry(tokens))
    info = await make_client().client.manifest(fake.host, "team/app", "1.0", CREDENTIAL)
    assert info.digest == DIGEST_A
    assert len(tokens.requests) == 2, "one extra token request"
    assert len(fake.paths()) == 3, "anonymous 401, insufficient_scope 401, then 200"


async def test_insufficient_scope_twice_is_unauthorized_after_exactly_one_retry(
    serve: Serve, make_client: MakeClient
) -> None:
    tokens = TokenServer(stingy=10)
    fake = await serve(bearer_registry(tokens))
    harness = make_client()
    with pytest.raises(RegistryError) as raised:
        await harness.client.manifest(fake.host, "team/private", "1.0", None)
    assert (raised.value.reason, raised.value.status, raised.value.operation) == (
        "unauthorized",
        401,
        "manifest",
    )
    assert "insufficient_scope" in raised.value.message
    assert len(tokens.requests) == 2
    assert len(fake.paths()) == 3
    assert harness.sample("headwind_registry_errors_total", registry=fake.host, reason="unauthorized") == 1


async def test_a_cached_token_the_registry_no_longer_takes_is_replaced_once(
    serve: Serve, make_client: MakeClient
) -> None:
    tokens = TokenServer()
    fake = await serve(bearer_registry(tokens))
    client = make_client().client
    await client.manifest(fake.host, "team/app", "1.0", CREDENTIAL)
    tokens.grants.clear()  # the registry forgot every token (a restart with a new key)
    await client.manifest(fake.host, "team/app", "1.0", CREDENTIAL)
    assert len(tokens.requests) == 2


def basic_registry(users: dict[str, str]) -> Callable[[Fake, web.Request], Awaitable[web.StreamResponse]]:
    async def handler(fake: Fake, request: web.Request) -> web.StreamResponse:
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            username, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            if users.get(username) == password:
                return manifest_response()
        return error_response(401, "UNAUTHORIZED", **{"WWW-Authenticate": 'Basic realm="scripted"'})

    return handler


async def test_basic_auth_sends_the_credential_when_challenged_and_up_front_afterwards(
    serve: Serve, make_client: MakeClient
) -> None:
    fake = await serve(basic_registry({"robot": PASSWORD}))
    client = make_client().client
    await client.manifest(fake.host, "team/app", "1.0", CREDENTIAL)
    await client.manifest(fake.host, "team/app", "1.1", CREDENTIAL)
    assert [seen.headers.get("Authorization", "-")[:5] for seen in fake.requests] == ["-", "Basic", "Basic"]


async def test_basic_auth_without_a_credential_or_with_a_wrong_one_is_unauthorized(
    serve: Serve, make_client: MakeClient
) -> None:
    fake = await serve(basic_registry({"robot": PASSWORD}))
    client = make_client().client
    with pytest.raises(RegistryError, match="none were given") as raised:
        await client.manifest(fake.host, "team/app", "1.0", None)
    assert (raised.value.reason, raised.value.status) == ("unauthorized", 401)
    with pytest.raises(RegistryError, match=r"refused the credential from secret team/wrong") as raised:
        await client.manifest(fake.host, "team/app", "1.0", Credential("robot", "wrong", "secret team/wrong"))
    assert raised.value.reason == "unauthorized"


async def test_no_password_reaches_a_log_line_or_an_error(serve: Serve, make_client: MakeClient) -> None:
    tokens = TokenServer(stingy=10)
    bearer = await serve(bearer_registry(tokens))
    basic = await serve(basic_registry({}))
    throttling = await serve(scripted(lambda: error_response(429), lambda: error_response(503)))
    harness = make_client(max_tag_pages=1)
    errors: list[RegistryError] = []
    with capture_logs() as logs:
        for host in (bearer.host, basic.host, throttling.host):
            try:
                await harness.client.manifest(host, "team/app", "1.0", CREDENTIAL)
            except RegistryError as error:
                errors.append(error)
    assert len(errors) == 2
    encoded = base64.b64encode(f"robot:{PASSWORD}".encode()).decode()
    for text in (
        [repr(entry) for entry in logs] + [str(error) for error in errors] + [repr(error) for error in errors]
    ):
        assert PASSWORD not in text
        assert encoded not in text
    assert logs, "the throttled registry was logged"
    for entry in logs:
        if entry["log_level"] in ("warning", "error"):
            assert entry["registry"] and entry["repository"] == "team/app", entry


# --- concurrency ---------------------------------------------------------------------------------


async def test_requests_to_one_registry_never_exceed_its_concurrency_cap(
    serve: Serve, make_client: MakeClient
) -> None:
    async def slow(fake: Fake, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.05)
        return manifest_response()

    fake = await serve(slow)
    client = make_client(max_concurrency=2).client
    await asyncio.gather(*(client.manifest(fake.host, "team/app", f"1.{n}", None) for n in range(8)))
    assert len(fake.requests) == 8
    assert fake.max_in_flight == 2


async def test_a_stuck_registry_does_not_hold_back_another(serve: Serve, make_client: MakeClient) -> None:
    async def hang(fake: Fake, request: web.Request) -> web.StreamResponse:
        await asyncio.wait_for(fake.release.wait(), timeout=10)
        return manifest_response()

    stuck = await serve(hang)
    healthy = await serve(manifests_ok)
    client = make_client(max_concurrency=1).client
    blocked = asyncio.create_task(client.manifest(stuck.host, "team/app", "1.0", None), name="test:stuck")
    try:
        await eventually(lambda: bool(stuck.requests), what="the request reaching the stuck registry")
        info = await asyncio.wait_for(client.manifest(healthy.host, "team/app", "1.0", None), timeout=5)
        assert info.digest == DIGEST_A
    finally:
        stuck.release.set()
        await blocked


# --- the token cache ------------------------------------------------------------------------------


def test_token_responses_accept_token_or_access_token_and_default_to_sixty_seconds() -> None:
    assert parse_token_response(b'{"token": "t"}') == Token("t", 60.0, None)
    assert parse_token_response(b'{"access_token": "a", "expires_in": 300}') == Token("a", 300.0, None)
    parsed = parse_token_response(b'{"token": "t", "expires_in": 120, "issued_at": "2024-01-01T00:00:00Z"}')
    assert parsed.issued_at == 1704067200.0


def test_the_token_cache_keys_by_credential_fingerprint_and_trusts_issued_at_only_to_shorten() -> None:
    clock, wall = ManualClock(), ManualClock()
    cache = TokenCache(margin=10.0, clock=clock, wall_clock=wall)
    key = cache_key("ghcr.io", "repository:a:pull", CREDENTIAL)
    assert PASSWORD not in repr(key)
    assert cache_key("ghcr.io", "repository:a:pull", None)[2] == "anonymous"
    cache.put(key, Token("old", 300.0, issued_at=wall() - 280.0))  # issued 280 s ago: 20 s left, 10 s usable
    clock.advance(9.0)
    assert cache.get(key) == "old"
    clock.advance(2.0)
    assert cache.get(key) is None
    cache.put(key, Token("skewed", 60.0, issued_at=wall() + 3600.0))  # a server clock an hour ahead
    clock.advance(51.0)
    assert cache.get(key) is None, "never longer than expires_in"
