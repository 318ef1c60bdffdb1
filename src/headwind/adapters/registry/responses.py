"""Reading a registry's answers: status, tag list pages, manifests, digests and ``Link`` headers.

The answers come from servers we do not control, so nothing here trusts them: a body that is not
the JSON object the distribution spec describes, a ``tags`` that is not a list, or a ``Link`` to
another host is a :class:`~.errors.RegistryError` with reason ``protocol`` -- never a ``KeyError``
or a ``TypeError`` from deep inside the client -- and a 404 or 403 becomes ``not-found`` or
``denied`` with the registry's own ``code: message`` attached.

The choices that are not obvious:

* a manifest's digest is the ``Docker-Content-Digest`` header when there is a valid one, even
  when it disagrees with the SHA-256 of the body (that is logged), and the body's SHA-256 only
  when there is none;
* an index's children are keyed ``os/architecture[/variant]``; attestation manifests
  (``unknown/unknown``) and malformed entries are skipped, and the first entry for a platform wins;
* ``Link`` headers (RFC 8288) are read leniently -- unquoted ``rel``, several links in one header,
  a bare URL without angle brackets -- because registries write them every way; the next page is
  followed only on the registry's own origin.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import structlog
from multidict import CIMultiDictProxy
from yarl import URL

from headwind.model.image import is_valid_digest

from .calls import Call

# The log lines keep the logger name they had when this code lived in client.py.
log = structlog.get_logger(__name__)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_MEDIA_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST)
INDEX_MEDIA_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
ACCEPT_MANIFESTS = ", ".join(MANIFEST_MEDIA_TYPES)


@dataclass(frozen=True, slots=True)
class Response:
    """A registry's answer, read in full (an empty body for a ``HEAD``)."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: URL


def expect_ok(call: Call, response: Response, what: str) -> None:
    """Nothing for a 2xx; otherwise the error that names ``what`` and the registry's own detail."""
    if 200 <= response.status < 300:
        return
    detail = error_detail(response)
    message = f"{response.status} {detail}".rstrip()
    if response.status == 404:
        raise call.error("not-found", f"{what} not found ({message})", 404)
    if response.status == 403:
        raise call.error("denied", f"access to {what} denied to {call.who} ({message})", 403)
    raise call.error("protocol", f"unexpected answer for {what}: {message}", response.status)


def error_detail(response: Response) -> str:
    """The distribution error body's first ``code: message`` (``MANIFEST_UNKNOWN: manifest unknown``)."""
    if not response.body:
        return ""
    try:
        document = json.loads(response.body)
    except ValueError:
        return ""
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return ""
    code, message = errors[0].get("code"), errors[0].get("message")
    return ": ".join(str(part) for part in (code, message) if part)[:200]


# --- tag lists -------------------------------------------------------------------------------------


def tags_of(call: Call, body: bytes) -> list[str]:
    """The tags of one tag list page, in the registry's order; non-string and empty ones dropped."""
    document = _json_object(call, body, "tag list")
    tags = document.get("tags")
    if tags is None:  # distribution answers "tags": null for a repository without tags
        return []
    if not isinstance(tags, list):
        raise call.error("protocol", f"the tag list's 'tags' is a {type(tags).__name__}, not a list", 200)
    return [tag for tag in tags if isinstance(tag, str) and tag]


def next_page(call: Call, base: URL, response: Response) -> URL | None:
    """The next tag list page this answer links to, on the registry's own origin; ``None`` at the end."""
    target = next_link(response.headers.getall("Link", []))
    if target is None:
        return None
    try:
        url = response.url.join(URL(target, encoded=True))
    except ValueError:
        raise call.error("protocol", f"unreadable Link header target {target!r}") from None
    if url.origin() != base.origin():
        raise call.error(
            "protocol", f"the next page's Link points to another host ({url.origin()}); not following"
        )
    return url


def next_link(headers: list[str]) -> str | None:
    """The target of the ``rel="next"`` link among ``Link`` header values (RFC 8288), read leniently.

    Accepts ``<url>; rel="next"``, ``<url>; rel=next``, several links in one header, and the bare or
    quoted URL some registries send without angle brackets.
    """
    for header in headers:
        for link in _split_outside(header, ","):
            target, _, params = link.strip().partition(";")
            target = target.strip()
            if target.startswith("<") and target.endswith(">"):
                target = target[1:-1].strip()
            else:
                target = target.strip("\"'")
            for param in _split_outside(params, ";"):
                name, _, value = param.partition("=")
                if name.strip().lower() == "rel" and "next" in value.strip().strip("\"'").lower().split():
                    return target or None
    return None


def _split_outside(text: str, separator: str) -> list[str]:
    """Split at ``separator`` where it is not inside ``<...>`` or a quoted string."""
    parts: list[str] = []
    current: list[str] = []
    quoted = angled = False
    for char in text:
        if char == '"' and not angled:
            quoted = not quoted
        elif char == "<" and not quoted:
            angled = True
        elif char == ">" and not quoted:
            angled = False
        if char == separator and not quoted and not angled:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


# --- manifests -------------------------------------------------------------------------------------


def manifest_of(
    call: Call, response: Response, reference: str, platforms: bool
) -> tuple[str, str, dict[str, str]]:
    """A fetched manifest's digest, media type and (for an index, with ``platforms``) children."""
    document = _json_object(call, response.body, f"manifest {reference}")
    computed = "sha256:" + hashlib.sha256(response.body).hexdigest()
    digest = digest_header(response)
    if digest is None:
        digest = computed
    elif digest.startswith("sha256:") and digest != computed:
        log.warning(
            "registry digest header does not match the manifest's bytes; using the header",
            registry=call.registry,
            repository=call.path,
            reference=reference,
            header=digest,
            computed=computed,
        )
    media_type = media_type_of(response.headers.get("Content-Type"))
    if media_type not in MANIFEST_MEDIA_TYPES and isinstance(document.get("mediaType"), str):
        media_type = document["mediaType"]
    children: dict[str, str] = {}
    if platforms and media_type in INDEX_MEDIA_TYPES:
        children = _platforms_of(call, document)
    return digest, media_type, children


def _platforms_of(call: Call, index: dict[str, Any]) -> dict[str, str]:
    """``os/architecture[/variant]`` -> child digest, skipping attestations (``unknown/unknown``)."""
    manifests = index.get("manifests")
    if not isinstance(manifests, list):
        raise call.error("protocol", "the index has no 'manifests' list", 200)
    children: dict[str, str] = {}
    for entry in manifests:
        if not isinstance(entry, dict):
            continue
        platform, digest = entry.get("platform"), entry.get("digest")
        if not isinstance(platform, dict) or not isinstance(digest, str) or not is_valid_digest(digest):
            continue
        os_name, architecture = platform.get("os"), platform.get("architecture")
        if not isinstance(os_name, str) or not isinstance(architecture, str):
            continue
        if not os_name or not architecture or "unknown" in (os_name, architecture):
            continue
        variant = platform.get("variant")
        key = f"{os_name}/{architecture}" + (f"/{variant}" if isinstance(variant, str) and variant else "")
        children.setdefault(key, digest)
    return children


def digest_header(response: Response) -> str | None:
    """The ``Docker-Content-Digest`` header, if it is a valid digest."""
    digest = response.headers.get("Docker-Content-Digest", "").strip()
    return digest if digest and is_valid_digest(digest) else None


def media_type_of(content_type: str | None) -> str:
    """The media type of a ``Content-Type`` value, lower-cased, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _json_object(call: Call, body: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError:
        raise call.error("protocol", f"the {what} is not JSON", 200) from None
    if not isinstance(document, dict):
        raise call.error("protocol", f"the {what} is not a JSON object", 200)
    return document
