"""The registry test infrastructure works: what the pusher pushes, plain HTTP reads back.

Everything here reads with bare aiohttp requests (never the product's registry client), so these
tests prove the fixtures, not the code under test.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web

from ..waiting import eventually
from .fixtures import RegistryFactory
from .proxy import FaultyProxy
from .pusher import (
    ALL_MANIFEST_TYPES,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    HELM_CHART_LAYER,
    HELM_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    Pusher,
    PushError,
    basic_authorization,
)
from .server import NotificationEndpoint, RunningRegistry, stop_registry

ACCEPT_ALL = {"Accept": ", ".join(ALL_MANIFEST_TYPES)}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def tags(http: aiohttp.ClientSession, url: str, repository: str, **kwargs: Any) -> set[str]:
    async with http.get(f"{url}/v2/{repository}/tags/list", **kwargs) as response:
        assert response.status == 200, await response.text()
        return set((await response.json())["tags"] or [])


async def get_json(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> Any:
    async with http.get(url, **kwargs) as response:
        assert response.status == 200, await response.text()
        return json.loads(await response.read())


# --- the plain registry and the pusher ---------------------------------------------------------------


async def test_pushed_tags_are_listed(registry: RunningRegistry, pusher: Pusher, http) -> None:
    await pusher.push_image("team/app", "1.0.0")
    await pusher.push_image("team/app", "1.1.0", media="docker")
    assert registry.host.startswith("127.0.0.1:")
    assert await tags(http, registry.url, "team/app") == {"1.0.0", "1.1.0"}


@pytest.mark.parametrize(("media", "media_type"), [("oci", OCI_MANIFEST), ("docker", DOCKER_MANIFEST)])
async def test_head_with_accept_reports_the_pushed_digest_type_and_size(
    registry: RunningRegistry, pusher: Pusher, http, media: str, media_type: str
) -> None:
    pushed = await pusher.push_image("team/app", "1.0.0", media=media)
    assert pushed.media_type == media_type
    async with http.head(f"{registry.url}/v2/team/app/manifests/1.0.0", headers=ACCEPT_ALL) as response:
        assert response.status == 200
        assert response.headers["Docker-Content-Digest"] == pushed.digest
        assert response.headers["Content-Type"] == media_type
        assert int(response.headers["Content-Length"]) == pushed.size


async def test_repushing_a_tag_moves_it_to_a_new_digest(
    registry: RunningRegistry, pusher: Pusher, http
) -> None:
    first = await pusher.push_image("team/app", "latest")
    second = await pusher.push_image("team/app", "latest")
    assert first.digest != second.digest
    async with http.head(f"{registry.url}/v2/team/app/manifests/latest", headers=ACCEPT_ALL) as response:
        assert response.headers["Docker-Content-Digest"] == second.digest


async def test_pushing_by_digest_adds_no_tag(registry: RunningRegistry, pusher: Pusher, http) -> None:
    await pusher.push_image("team/app", "1.0.0")
    untagged = await pusher.push_image("team/app", None, content=b"by digest")
    assert await tags(http, registry.url, "team/app") == {"1.0.0"}
    manifest = await get_json(
        http, f"{registry.url}/v2/team/app/manifests/{untagged.digest}", headers=ACCEPT_ALL
    )
    layer = manifest["layers"][0]["digest"]
    async with http.get(f"{registry.url}/v2/team/app/blobs/{layer}") as response:
        assert gzip.decompress(await response.read()) == b"by digest"


@pytest.mark.parametrize(("media", "index_type"), [("oci", OCI_INDEX), ("docker", DOCKER_MANIFEST_LIST)])
async def test_a_multi_arch_index_lists_its_children_with_platforms(
    registry: RunningRegistry, pusher: Pusher, http, media: str, index_type: str
) -> None:
    pushed = await pusher.push_index("team/multi", "2.0.0", media=media)
    assert set(pushed.children) == {"linux/amd64", "linux/arm64/v8"}
    index = await get_json(http, f"{registry.url}/v2/team/multi/manifests/2.0.0", headers=ACCEPT_ALL)
    assert index["mediaType"] == index_type
    platforms = {
        "/".join(
            filter(None, (m["platform"]["os"], m["platform"]["architecture"], m["platform"].get("variant")))
        ): m["digest"]
        for m in index["manifests"]
    }
    assert platforms == pushed.children
    assert await tags(http, registry.url, "team/multi") == {"2.0.0"}


async def test_a_chart_is_an_oci_artifact_with_helm_config_and_chart_archive(
    registry: RunningRegistry, pusher: Pusher, http
) -> None:
    pushed = await pusher.push_chart("charts/mychart", "0.2.0")
    assert pushed.media_type == OCI_MANIFEST
    base = f"{registry.url}/v2/charts/mychart"
    manifest = await get_json(http, f"{base}/manifests/0.2.0", headers={"Accept": OCI_MANIFEST})
    assert manifest["config"]["mediaType"] == HELM_CONFIG
    assert [layer["mediaType"] for layer in manifest["layers"]] == [HELM_CHART_LAYER]
    config = await get_json(http, f"{base}/blobs/{manifest['config']['digest']}")
    assert config == {"apiVersion": "v2", "name": "mychart", "version": "0.2.0"}
    async with http.get(f"{base}/blobs/{manifest['layers'][0]['digest']}") as response:
        chart_archive = await response.read()
    with tarfile.open(fileobj=io.BytesIO(chart_archive), mode="r:gz") as archive:
        chart_yaml = archive.extractfile("mychart/Chart.yaml")
        assert chart_yaml is not None
        assert yaml.safe_load(chart_yaml.read()) == config


async def test_deleting_a_manifest_removes_its_tag(registry: RunningRegistry, pusher: Pusher, http) -> None:
    doomed = await pusher.push_image("team/app", "1.0.0")
    await pusher.push_image("team/app", "1.1.0")
    await pusher.delete_tag_manifest("team/app", doomed.digest)
    assert await tags(http, registry.url, "team/app") == {"1.1.0"}


async def test_stopping_ends_the_process(registry_factory: RegistryFactory) -> None:
    registry = await registry_factory()
    await stop_registry(registry)
    assert registry.process.returncode is not None
    assert "listening on" in registry.log_path.read_text()


# --- auth --------------------------------------------------------------------------------------------


async def test_basic_auth_challenges_anonymous_clients_and_admits_ci(
    basic_registry: RunningRegistry, http
) -> None:
    async with http.get(f"{basic_registry.url}/v2/") as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="test-registry"'
    async with basic_registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")
    login = basic_authorization("ci", "ci-pass")
    assert (basic_registry.username, basic_registry.password) == ("ci", "ci-pass")
    assert await tags(http, basic_registry.url, "team/app", headers={"Authorization": login}) == {"1.0.0"}


async def fetch_token(
    http: aiohttp.ClientSession, registry: RunningRegistry, scope: str, authorization: str | None
) -> str:
    assert registry.issuer is not None
    query = {"service": "test-registry", "scope": scope}
    headers = {"Authorization": authorization} if authorization else {}
    async with http.get(registry.issuer.url, params=query, headers=headers) as response:
        assert response.status == 200, await response.text()
        body = await response.json()
    assert body["token"] == body["access_token"]
    assert body["expires_in"] == 300
    token: str = body["token"]
    return token


async def test_token_flow_from_challenge_to_pull(token_registry: RunningRegistry, http) -> None:
    issuer = token_registry.issuer
    assert issuer is not None
    async with token_registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")
    async with http.get(f"{token_registry.url}/v2/team/app/tags/list") as response:
        assert response.status == 401
        challenge = response.headers["WWW-Authenticate"]
    assert challenge == (
        f'Bearer realm="{issuer.url}",service="test-registry",scope="repository:team/app:pull"'
    )
    issuer.requests.clear()
    token = await fetch_token(
        http, token_registry, "repository:team/app:pull", basic_authorization("ci", "ci-pass")
    )
    assert [(r.account, r.service, r.scopes) for r in issuer.requests] == [
        ("ci", "test-registry", ("repository:team/app:pull",))
    ]
    bearer = {"Authorization": f"Bearer {token}"}
    assert await tags(http, token_registry.url, "team/app", headers=bearer) == {"1.0.0"}


async def test_token_issuer_rejects_a_wrong_password(token_registry: RunningRegistry, http) -> None:
    assert token_registry.issuer is not None
    query = {"service": "test-registry", "scope": "repository:team/app:pull"}
    auth = basic_authorization("ci", "wrong")
    async with http.get(token_registry.issuer.url, params=query, headers={"Authorization": auth}) as response:
        assert response.status == 401


async def assert_insufficient_scope(http: aiohttp.ClientSession, url: str, token: str) -> None:
    async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 401
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


async def test_anonymous_and_narrowed_tokens_grant_nothing(token_registry: RunningRegistry, http) -> None:
    issuer = token_registry.issuer
    assert issuer is not None
    async with token_registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")
    tags_url = f"{token_registry.url}/v2/team/app/tags/list"
    anonymous = await fetch_token(http, token_registry, "repository:team/app:pull", None)
    await assert_insufficient_scope(http, tags_url, anonymous)

    issuer.narrow_next = 1
    login = basic_authorization("ci", "ci-pass")
    await assert_insufficient_scope(
        http, tags_url, await fetch_token(http, token_registry, "repository:team/app:pull", login)
    )
    assert issuer.narrow_next == 0
    token = await fetch_token(http, token_registry, "repository:team/app:pull", login)
    assert await tags(http, token_registry.url, "team/app", headers={"Authorization": f"Bearer {token}"}) == {
        "1.0.0"
    }


async def test_max_grant_limits_every_token(token_registry: RunningRegistry) -> None:
    issuer = token_registry.issuer
    assert issuer is not None
    async with token_registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")
    issuer.max_grant = {"pull"}
    async with token_registry.pusher() as pusher:
        with pytest.raises(PushError, match="401"):
            await pusher.push_image("team/app", "1.1.0")
    assert issuer.requests[-1].scopes == ("repository:team/app:pull,push",)


# --- the faulty proxy --------------------------------------------------------------------------------


async def test_the_proxy_injects_queued_faults_then_forwards(
    faulty_proxy: FaultyProxy, pusher: Pusher, http
) -> None:
    await pusher.push_image("team/app", "1.0.0")
    faulty_proxy.fail_next(429, retry_after="1")
    faulty_proxy.fail_next(503, times=2)
    statuses = []
    for _ in range(4):
        async with http.get(f"{faulty_proxy.url}/v2/team/app/tags/list") as response:
            statuses.append(response.status)
            if response.status == 429:
                assert response.headers["Retry-After"] == "1"
    assert statuses == [429, 503, 503, 200]
    assert [(r.method, r.path, r.status, r.injected) for r in faulty_proxy.requests] == [
        ("GET", "/v2/team/app/tags/list", status, status != 200) for status in statuses
    ]
    times = [r.at for r in faulty_proxy.requests]
    assert times == sorted(times)


async def test_a_fault_with_a_path_waits_for_a_matching_request(faulty_proxy: FaultyProxy, http) -> None:
    faulty_proxy.fail_next(503, path=r"/manifests/", headers={"X-Injected": "yes"})
    async with http.get(f"{faulty_proxy.url}/v2/") as response:
        assert response.status == 200
    async with http.head(
        f"{faulty_proxy.url}/v2/team/app/manifests/1.0.0?x=1", headers=ACCEPT_ALL
    ) as response:
        assert response.status == 503
        assert response.headers["X-Injected"] == "yes"
    assert [(r.path, r.injected) for r in faulty_proxy.requests] == [
        ("/v2/", False),
        ("/v2/team/app/manifests/1.0.0?x=1", True),
    ]


async def test_pushing_and_reading_through_the_proxy(faulty_proxy: FaultyProxy, http) -> None:
    faulty_proxy.add_headers({"RateLimit-Remaining": "76;w=21600"})
    async with Pusher(faulty_proxy.url) as pusher:
        pushed = await pusher.push_image("team/app", "1.0.0")
    uploads = [r for r in faulty_proxy.requests if r.method == "PUT" and "/blobs/uploads/" in r.path]
    assert len(uploads) == 2, "the upload Location was rewritten to come back through the proxy"
    url = f"{faulty_proxy.url}/v2/team/app/manifests/1.0.0"
    async with http.head(url, headers=ACCEPT_ALL) as response:
        assert response.status == 200
        assert response.headers["Docker-Content-Digest"] == pushed.digest
        assert int(response.headers["Content-Length"]) == pushed.size
        assert response.headers["RateLimit-Remaining"] == "76;w=21600"


# --- notifications -----------------------------------------------------------------------------------


async def test_notifications_reach_the_configured_endpoint(registry_factory: RegistryFactory) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("Authorization"), json.loads(await request.read())))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        endpoint = NotificationEndpoint(
            name="test-hook",
            url=f"http://127.0.0.1:{runner.addresses[0][1]}/hook",
            headers={"Authorization": ["Bearer hook-token"]},
            ignore_actions=("pull",),
            ignore_mediatypes=("application/octet-stream",),
        )
        registry = await registry_factory(notifications=[endpoint])
        async with registry.pusher() as pusher:
            pushed = await pusher.push_chart("charts/mychart", "0.1.0")
        await eventually(lambda: bool(received), what="a notification")
    finally:
        await runner.cleanup()
    authorization, envelope = received[0]
    assert authorization == "Bearer hook-token"
    [event] = envelope["events"]
    assert (event["action"], event["target"]["tag"], event["target"]["digest"]) == (
        "push",
        "0.1.0",
        pushed.digest,
    )
    assert event["target"]["references"][0]["mediaType"] == HELM_CONFIG
    assert len(received) == 1, "blob and pull events are filtered out"
