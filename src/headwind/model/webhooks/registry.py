"""CNCF distribution notifications (``POST /webhook/registry``): the envelope self-hosted registries send.

The reference registry (``registry:2``, Debian's ``docker-registry``) and its forks (GitLab's
registry, see :mod:`~headwind.model.webhooks.gitlab`) POST ``{"events": [...]}`` to each endpoint
in their ``notifications`` configuration. What arrives is far noisier than "a tag was pushed"
(observed with distribution 2.8, see the corpus):

* every blob upload is a ``push`` of ``application/octet-stream`` with no tag;
* every ``HEAD``/``GET`` of a manifest or blob is a ``pull``; deletes are ``delete``;
* the children of a multi-arch index are pushed by digest, without a tag.

So a push is an event with ``action == "push"``, a ``target.tag``, and a manifest or index media
type (or none, from registries too old to say); everything else is ignored. Two choices differ
from Headwind (Rust):

* **The registry host is kept.** It comes from ``request.host`` (the ``Host`` the pusher used),
  else from the host of ``target.url``; ``?registry=`` overrides both for a registry behind a proxy
  that knows itself by an internal name. Headwind read the host only from ``target.repository``,
  where distribution never puts it, so a push to ``registry.example.com/team/app`` became Docker
  Hub's ``team/app`` and matched nothing.
* **Helm charts are found by their config.** A chart's manifest has the plain OCI manifest media
  type; only its config descriptor, listed in ``target.references`` when the registry sets
  ``notifications.events.includereferences: true``, says ``application/vnd.cncf.helm.config.v1+json``.
  Headwind looked for ``helm.config`` in ``target.mediaType`` and so never found one.

Leniency: a single event object outside an envelope (what Azure Container Registry and some relays
send) is read as an envelope of one; an envelope with a push we cannot read is refused whole, so
the registry retries it and the administrator sees why.

:func:`read_notifications` is public so that other endpoints sending the same envelope (GitLab)
parse it here rather than in a copy.
"""

from __future__ import annotations

from typing import Any, Final

from headwind.model.pushes import CHART, HELM_CONFIG_MEDIA_TYPE, IMAGE, PushEvent
from headwind.model.webhooks.checks import checked_digest, checked_tag, repository_path
from headwind.model.webhooks.fields import (
    Delivery,
    InvalidPayload,
    child,
    items,
    obj,
    optional_child,
    optional_string,
    path_of,
    string,
)
from headwind.model.webhooks.hosts import host_of_url, is_host, is_overridden, registry_override

SOURCE: Final = "registry"
MANIFEST_MEDIA_TYPES: Final = frozenset(
    {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        # Schema 1, still pushed by very old clients; distribution reports it under both names.
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The tagged manifest pushes of a distribution notification envelope."""
    return read_notifications(payload, delivery, SOURCE)


def read_notifications(payload: object, delivery: Delivery, source: str) -> list[PushEvent]:
    """The tagged manifest pushes of an envelope (or of one bare event), reported as ``source``."""
    body = obj(payload)
    if "events" not in body and "action" in body and "target" in body:
        return _pushes([body], "", delivery, source)
    return _pushes(items(body, "events"), "events", delivery, source)


def _pushes(events: list[Any], path: str, delivery: Delivery, source: str) -> list[PushEvent]:
    pushes = []
    for index, event in enumerate(events):
        event_path = path_of(path, index) if path else ""
        push = _push_of(obj(event, event_path), event_path, delivery, source)
        if push is not None:
            pushes.append(push)
    return pushes


def _push_of(event: dict[str, Any], path: str, delivery: Delivery, source: str) -> PushEvent | None:
    if string(event, "action", path) != "push":
        return None
    target_path = path_of(path, "target")
    target = child(event, "target", path)
    media_type = optional_string(target, "mediaType", target_path)
    tag = optional_string(target, "tag", target_path)
    if tag is None or (media_type is not None and media_type not in MANIFEST_MEDIA_TYPES):
        return None
    digest = optional_string(target, "digest", target_path)
    registry = registry_override(delivery, _implied_host(event, target, path, delivery))
    return PushEvent(
        registry=registry,
        repository=repository_path(
            registry, string(target, "repository", target_path), path_of(target_path, "repository")
        ),
        tag=checked_tag(tag, path_of(target_path, "tag")),
        digest=checked_digest(digest, path_of(target_path, "digest")) if digest else None,
        media_type=media_type,
        kind=CHART if _is_chart(target, target_path) else IMAGE,
        source=source,
    )


def _implied_host(event: dict[str, Any], target: dict[str, Any], path: str, delivery: Delivery) -> str | None:
    """``request.host``, else the host of ``target.url``; not read at all when ``?registry=`` decides."""
    if is_overridden(delivery):
        return None
    request_path = path_of(path, "request")
    request = optional_child(event, "request", path)
    host = optional_string(request, "host", request_path) if request is not None else None
    if host is not None:
        if not is_host(host):
            raise InvalidPayload(
                f"{path_of(request_path, 'host')}: {host[:80]!r} is not a registry host[:port]; "
                "add ?registry=<host> to the webhook URL"
            )
        return host.lower()
    url = optional_string(target, "url", path_of(path, "target"))
    return host_of_url(url) if url is not None else None


def _is_chart(target: dict[str, Any], path: str) -> bool:
    """Whether a descriptor in ``target.references`` is a Helm chart config (first, in practice)."""
    references_path = path_of(path, "references")
    for index, reference in enumerate(items(target, "references", path, required=False)):
        reference_path = path_of(references_path, index)
        descriptor = obj(reference, reference_path)
        if optional_string(descriptor, "mediaType", reference_path) == HELM_CONFIG_MEDIA_TYPE:
            return True
    return False
