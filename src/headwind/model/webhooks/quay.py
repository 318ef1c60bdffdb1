"""Quay repository notifications (``POST /webhook/quay``): the "Push to Repository" event, one push per tag.

Quay (quay.io and Red Hat Quay) POSTs the same repository-level fields for every notification
kind -- ``repository`` (``namespace/repo``), ``namespace``, ``name``, ``docker_url``
(``<server hostname>/namespace/repo``) and ``homepage`` -- plus the kind's own. The kind itself
is not in the body, so a push is recognized by what only pushes carry, ``updated_tags``:

* ``repo_push``: ``updated_tags``, a list of tags (one push each, without digest: Quay sends
  none). Before 2015 it was an object mapping each tag to an image ID; its keys are read.
* builds (``build_id``, ``docker_tags``), ``vulnerability_found`` (``vulnerability``, ``tags``),
  ``repo_image_expiry`` (``tags``), mirror syncs (``message``) and namespace quota events: ignored.
  A finished build is ignored on purpose: the build pushes its image, which fires ``repo_push``.

The registry host is the host of ``docker_url`` (Quay's ``SERVER_HOSTNAME``, port included), else
of ``homepage``; ``?registry=`` overrides it.
"""

from __future__ import annotations

from typing import Any, Final

from headwind.model.pushes import PushEvent
from headwind.model.webhooks.checks import checked_tag, repository_path
from headwind.model.webhooks.fields import Delivery, InvalidPayload, obj, optional_string, path_of, string
from headwind.model.webhooks.hosts import host_of_reference, host_of_url, is_overridden, registry_override

SOURCE: Final = "quay"


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """One push per tag of a repository push notification; nothing for other notification kinds."""
    body = obj(payload)
    if "updated_tags" not in body:
        return []
    tags = _updated_tags(body["updated_tags"])
    if not tags:
        return []
    registry = registry_override(delivery, None if is_overridden(delivery) else _implied_host(body))
    repository = repository_path(registry, string(body, "repository"), "repository")
    return [
        PushEvent(
            registry=registry,
            repository=repository,
            tag=checked_tag(tag, field),
            source=SOURCE,
        )
        for tag, field in tags
    ]


def _updated_tags(value: Any) -> list[tuple[str, str]]:
    """Each updated tag with the field it came from: a list of tags, or the legacy tag → image ID object."""
    if isinstance(value, dict):
        return [(tag, path_of("updated_tags", tag)) for tag in value]
    if not isinstance(value, list):
        raise InvalidPayload("updated_tags: expected a list of tags")
    tags = []
    for index, tag in enumerate(value):
        if not isinstance(tag, str):
            raise InvalidPayload(f"{path_of('updated_tags', index)}: expected a tag, got {tag!r:.40}")
        tags.append((tag, path_of("updated_tags", index)))
    return tags


def _implied_host(body: dict[str, Any]) -> str | None:
    docker_url = optional_string(body, "docker_url")
    if docker_url is not None:
        host = host_of_reference(docker_url)
        if host is None:
            raise InvalidPayload(f"docker_url: {docker_url[:80]!r} does not start with a registry host")
        return host
    homepage = optional_string(body, "homepage")
    return host_of_url(homepage) if homepage is not None else None
