"""Push images, multi-arch indexes and Helm charts to a registry over its HTTP API, without Docker.

Tests arrange registry content through the same API any client uses: blobs by ``POST`` + ``PUT
?digest=``, manifests by ``PUT`` with their exact media type (the digest the registry reports is the
SHA-256 of the bytes sent, so each manifest is serialised once and hashed). Every image gets a fresh
config nonce (and random layer bytes unless ``content`` is given), so each push makes a new digest and
re-pushing a tag really moves it.

This is deliberately an independent implementation that shares no code with
``headwind.adapters.registry``: if both sides used one helper, a bug in it would pass every test.
It authenticates itself the simple way: on ``401`` it answers a ``Basic`` challenge with the user's
password, and a ``Bearer`` challenge by fetching a token for ``repository:<name>:pull,push`` (plus
whatever the challenge asked for, such as ``delete``) from the realm, once per repository.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import hashlib
import io
import json
import re
import secrets
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
import yaml
from multidict import CIMultiDictProxy
from yarl import URL

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

# Every manifest type: what a reader should send as Accept (distribution answers 404/400 otherwise).
ALL_MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST)

_MEDIA = {
    # media -> (manifest, config, layer, index)
    "oci": (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER, OCI_INDEX),
    "docker": (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST_LIST),
}
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Pushed:
    """A manifest in the registry: its digest, media type and size in bytes."""

    digest: str
    media_type: str
    size: int


@dataclass(frozen=True)
class PushedIndex:
    """A multi-arch index; ``children`` maps a platform ("linux/arm64/v8") to its manifest's digest."""

    digest: str
    media_type: str
    children: dict[str, str]


class PushError(Exception):
    """The registry refused a step of a push."""


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes


class Pusher:
    """Pushes content to the registry at ``url`` (``http://127.0.0.1:PORT``); close it when done."""

    def __init__(self, url: str, *, username: str | None = None, password: str | None = None) -> None:
        self.url = url.rstrip("/")
        self._login = basic_authorization(username, password or "") if username is not None else None
        self._session: aiohttp.ClientSession | None = None
        self._basic: str | None = None
        self._tokens: dict[str, str] = {}

    async def __aenter__(self) -> Pusher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def push_image(
        self,
        repository: str,
        tag: str | None,
        *,
        media: str = "oci",
        content: bytes = b"",
        platform: str = "linux/amd64",
    ) -> Pushed:
        """Push a one-layer image for ``platform``; ``tag`` None pushes it by digest only."""
        manifest_type, config_type, layer_type, _ = _media(media)
        raw = content or secrets.token_bytes(64)
        layer = await self._push_blob(repository, gzip.compress(raw, mtime=0), layer_type)
        config = await self._push_blob(repository, _json_bytes(_image_config(platform, raw)), config_type)
        manifest = {"schemaVersion": 2, "mediaType": manifest_type, "config": config, "layers": [layer]}
        return await self._push_manifest(repository, tag, manifest_type, manifest)

    async def push_index(
        self,
        repository: str,
        tag: str,
        *,
        platforms: Sequence[str] = ("linux/amd64", "linux/arm64/v8"),
        media: str = "oci",
    ) -> PushedIndex:
        """Push one image per platform by digest, then an index (or manifest list) of them as ``tag``."""
        _, _, _, index_type = _media(media)
        children: dict[str, str] = {}
        entries = []
        for platform in platforms:
            child = await self.push_image(repository, None, media=media, platform=platform)
            children[platform] = child.digest
            entries.append(
                {
                    "mediaType": child.media_type,
                    "digest": child.digest,
                    "size": child.size,
                    "platform": _platform_object(platform),
                }
            )
        index = {"schemaVersion": 2, "mediaType": index_type, "manifests": entries}
        pushed = await self._push_manifest(repository, tag, index_type, index)
        return PushedIndex(pushed.digest, pushed.media_type, children)

    async def push_chart(self, repository: str, version: str, *, chart_name: str | None = None) -> Pushed:
        """Push a Helm chart as an OCI artifact, as ``helm push`` does; the tag is ``version``.

        The chart is deterministic (fixed mtimes), so the same name and version give the same digest.
        """
        name = chart_name or repository.rsplit("/", 1)[-1]
        chart = {"apiVersion": "v2", "name": name, "version": version}
        layer = await self._push_blob(repository, _chart_archive(chart), HELM_CHART_LAYER)
        config = await self._push_blob(repository, _json_bytes(chart), HELM_CONFIG)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config,
            "layers": [layer],
            "annotations": {
                "org.opencontainers.image.title": name,
                "org.opencontainers.image.version": version,
            },
        }
        return await self._push_manifest(repository, version, OCI_MANIFEST, manifest)

    async def delete_tag_manifest(self, repository: str, digest: str) -> None:
        """Delete the manifest ``digest`` (and so every tag pointing at it)."""
        answer = await self._send("DELETE", f"{self.url}/v2/{repository}/manifests/{digest}", repository)
        _expect(answer, 202, f"DELETE manifest {repository}@{digest}")

    async def _push_blob(self, repository: str, data: bytes, media_type: str) -> dict[str, Any]:
        """Upload ``data`` unless the registry has it; return its descriptor."""
        digest = _digest(data)
        descriptor = {"mediaType": media_type, "digest": digest, "size": len(data)}
        head = await self._send("HEAD", f"{self.url}/v2/{repository}/blobs/{digest}", repository)
        if head.status == 200:
            return descriptor
        started = await self._send("POST", f"{self.url}/v2/{repository}/blobs/uploads/", repository)
        _expect(started, 202, f"POST blob upload to {repository}")
        location = started.headers["Location"]
        if location.startswith("/"):
            location = self.url + location
        # The upload URL carries a signed _state parameter: append to it verbatim, never re-encode it.
        separator = "&" if "?" in location else "?"
        headers = {"Content-Type": "application/octet-stream"}
        done = await self._send("PUT", f"{location}{separator}digest={digest}", repository, headers, data)
        _expect(done, 201, f"PUT blob {digest} to {repository}")
        return descriptor

    async def _push_manifest(
        self, repository: str, reference: str | None, media_type: str, manifest: dict[str, Any]
    ) -> Pushed:
        body = _json_bytes(manifest)
        digest = _digest(body)
        url = f"{self.url}/v2/{repository}/manifests/{reference or digest}"
        answer = await self._send("PUT", url, repository, {"Content-Type": media_type}, body)
        _expect(answer, 201, f"PUT manifest {repository}:{reference or digest}")
        reported = answer.headers.get("Docker-Content-Digest")
        if reported != digest:
            raise PushError(f"registry reports digest {reported} for a manifest whose digest is {digest}")
        return Pushed(digest, media_type, len(body))

    async def _send(
        self,
        method: str,
        url: str,
        repository: str,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> _Answer:
        """One request, repeated once with credentials if the registry challenges it."""
        answer = await self._once(method, url, repository, headers, data)
        if answer.status == 401 and await self._authenticate(answer, repository):
            answer = await self._once(method, url, repository, headers, data)
        return answer

    async def _once(
        self, method: str, url: str, repository: str, headers: dict[str, str] | None, data: bytes | None
    ) -> _Answer:
        request_headers = dict(headers or {})
        authorization = self._tokens.get(repository) or self._basic
        if authorization:
            request_headers["Authorization"] = authorization
        session = self._client()
        async with session.request(
            method, URL(url, encoded=True), headers=request_headers, data=data, allow_redirects=False
        ) as response:
            return _Answer(response.status, response.headers, await response.read())

    async def _authenticate(self, challenged: _Answer, repository: str) -> bool:
        """Prepare credentials for a challenge; False if there is nothing new to try."""
        if self._login is None:
            return False
        scheme, _, params = challenged.headers.get("WWW-Authenticate", "").partition(" ")
        if scheme.lower() == "basic":
            self._basic = self._login
            return True
        if scheme.lower() == "bearer":
            self._tokens[repository] = "Bearer " + await self._fetch_token(
                dict(_CHALLENGE_PARAM.findall(params)), repository
            )
            return True
        return False

    async def _fetch_token(self, challenge: dict[str, str], repository: str) -> str:
        """A token for pull and push on ``repository``, plus any other actions the challenge named."""
        actions = ["pull", "push"]
        for scope in challenge.get("scope", "").split():
            if scope.startswith(f"repository:{repository}:"):
                actions += [a for a in scope.rsplit(":", 1)[1].split(",") if a not in actions]
        query = {
            "service": challenge.get("service", ""),
            "scope": f"repository:{repository}:{','.join(actions)}",
        }
        session = self._client()
        headers = {"Authorization": self._login} if self._login else {}
        async with session.get(challenge["realm"], params=query, headers=headers) as response:
            if response.status != 200:
                raise PushError(
                    f"token server {challenge['realm']} answered {response.status}: {await response.text()}"
                )
            body = await response.json()
        token = body.get("token") or body.get("access_token")
        if not isinstance(token, str):
            raise PushError(f"token server {challenge['realm']} sent no token: {body}")
        return token

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session


def basic_authorization(username: str, password: str) -> str:
    """An ``Authorization`` header value for basic auth (aiohttp 3.14 deprecates ``aiohttp.BasicAuth``)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _media(media: str) -> tuple[str, str, str, str]:
    try:
        return _MEDIA[media]
    except KeyError:
        raise ValueError(f"media must be 'oci' or 'docker', not {media!r}") from None


def _expect(answer: _Answer, status: int, what: str) -> None:
    if answer.status != status:
        body = answer.body[:500].decode(errors="replace")
        raise PushError(f"{what}: expected {status}, got {answer.status}: {body}")


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json_bytes(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _platform_object(platform: str) -> dict[str, str]:
    """``linux/arm64/v8`` -> {"os": "linux", "architecture": "arm64", "variant": "v8"}."""
    os_name, architecture, *variant = platform.split("/")
    value = {"os": os_name, "architecture": architecture}
    if variant:
        value["variant"] = variant[0]
    return value


def _image_config(platform: str, layer_content: bytes) -> dict[str, Any]:
    """An image config for one uncompressed layer, with a nonce label so every config is new."""
    created = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
    return {
        **_platform_object(platform),
        "created": created,
        "config": {"Labels": {"test.headwind.nonce": secrets.token_hex(8)}},
        "rootfs": {"type": "layers", "diff_ids": [_digest(layer_content)]},
    }


def _chart_archive(chart: dict[str, str]) -> bytes:
    """A chart .tgz holding ``<name>/Chart.yaml``, as ``helm package`` lays it out."""
    chart_yaml = yaml.safe_dump(chart, sort_keys=False).encode()
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as archive:
        member = tarfile.TarInfo(f"{chart['name']}/Chart.yaml")
        member.size = len(chart_yaml)
        member.mode = 0o644
        archive.addfile(member, io.BytesIO(chart_yaml))
    return gzip.compress(tar_bytes.getvalue(), mtime=0)
