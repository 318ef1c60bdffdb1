"""JFrog Artifactory webhooks (``POST /webhook/jfrog``): the ``docker`` domain's tag events.

Artifactory's predefined webhooks POST ``{"domain", "event_type", "data", "subscription_key",
"jpd_origin", "source"}``. For the ``docker`` domain, ``data`` names the Artifactory repository
(``repo_key``), the image (``image_name``), the tag, and the ``sha256`` of the stored manifest
file, which is the manifest's digest. Events:

* ``pushed``: a push.
* ``promoted``: a tag promoted to another Docker repository (``POST /api/docker/<repo>/v2/promote``),
  which makes it pullable where it was not. It is read as a push of ``repo_key``. The payload does
  not say whether ``repo_key`` is the source or the target of the promotion; if it is the source,
  the "push" names a tag that did not change, which the dispatcher finds already current.
* ``deleted``, and every other domain (``artifact``, ``build``, ``release_bundle``...): not pushes.

A tag that is a digest (``sha256:...``, or Artifactory's ``sha256__...`` folder for a manifest
pushed by digest, such as one platform of a multi-arch image) is not a tag push and is ignored.

**Where the image is pulled from** depends on the Docker access method of the Artifactory server,
and pod specs use that spelling, so the query parameter ``access`` says which one
(``?access=path`` is the default):

* ``path`` ("Repository Path", the default on JFrog Cloud): ``<host>/<repo_key>/<image_name>``,
  as in ``example.jfrog.io/docker-local/alpine:3.14``. The host is the one of ``jpd_origin``
  (``https://example.jfrog.io``), or ``?registry=``.
* ``subdomain``: ``<repo_key>.<host>/<image_name>``, the host as for ``path``.
* ``port``: ``<host>:<port>/<image_name>``, one port per repository; ``?registry=host:port`` is
  required (so the webhook should cover that one repository).

Pods usually pull through a *virtual* repository while pushes land in a *local* one, and the event
names the local one: ``?repo_key=<virtual key>`` spells the key as pods do. Keel, the only peer with
a JFrog endpoint, reads ``image_name`` and ``tag`` alone (behind one global ``PRIVATE_REGISTRY``
prefix), so the repository key never reaches its matching.
"""

from __future__ import annotations

import re
from typing import Any, Final

from headwind.model.pushes import PushEvent
from headwind.model.webhooks.checks import checked_digest, checked_tag, repository_path
from headwind.model.webhooks.fields import Delivery, InvalidPayload, child, obj, optional_string, string
from headwind.model.webhooks.hosts import host_of_url, is_overridden, registry_override
from headwind.model.webhooks.references import host_at

SOURCE: Final = "jfrog"
_PUSHES: Final = frozenset({"pushed", "promoted"})
_BY_DIGEST: Final = re.compile(r"sha256(?::|__)")
_ACCESS_METHODS: Final = ("path", "subdomain", "port")


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The push a ``docker`` domain event reports; nothing for other events and domains."""
    body = obj(payload)
    if string(body, "domain") != "docker" or string(body, "event_type") not in _PUSHES:
        return []
    data = child(body, "data")
    tag = string(data, "tag", "data")
    if _BY_DIGEST.match(tag):
        return []
    image_name = string(data, "image_name", "data")
    sha256 = optional_string(data, "sha256", "data")
    registry, repository = _location(body, data, image_name, delivery)
    return [
        PushEvent(
            registry=registry,
            repository=repository,
            tag=checked_tag(tag, "data.tag"),
            digest=checked_digest(f"sha256:{sha256}", "data.sha256") if sha256 is not None else None,
            source=SOURCE,
        )
    ]


def _location(
    body: dict[str, Any], data: dict[str, Any], image_name: str, delivery: Delivery
) -> tuple[str, str]:
    """Registry host and repository path as pods spell them, by the ``access`` method."""
    access = delivery.query.get("access", "path")
    if access not in _ACCESS_METHODS:
        raise InvalidPayload(
            f"query parameter access: expected one of {', '.join(_ACCESS_METHODS)}, got {access[:40]!r}"
        )
    if access == "port":
        registry = registry_override(delivery, None)
        return registry, repository_path(registry, image_name, "data.image_name")
    key, key_path = _repo_key(data, delivery)
    host = registry_override(delivery, None if is_overridden(delivery) else _origin_host(body))
    if access == "subdomain":
        registry = f"{key}.{host}".lower()
        host_at(registry, key_path)
        return registry, repository_path(registry, image_name, "data.image_name")
    repository_path(host, key, key_path)  # checked alone, so that a bad key is named as such
    return host, repository_path(host, f"{key}/{image_name}", "data.image_name")


def _repo_key(data: dict[str, Any], delivery: Delivery) -> tuple[str, str]:
    """The repository key as pods spell it, and where it came from: ``?repo_key=``, else ``data.repo_key``."""
    override = delivery.query.get("repo_key")
    if override:
        return override, "query parameter repo_key"
    return string(data, "repo_key", "data"), "data.repo_key"


def _origin_host(body: dict[str, Any]) -> str | None:
    """The host of ``jpd_origin`` (``https://example.jfrog.io``), the JFrog Platform's own URL."""
    origin = optional_string(body, "jpd_origin")
    if origin is None:
        return None
    host = host_of_url(origin)
    if host is None:
        raise InvalidPayload(f"jpd_origin: {origin[:80]!r} is not an http(s) URL; add ?registry=<host>")
    return host
