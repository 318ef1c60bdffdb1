"""Harbor project webhooks (``POST /webhook/harbor``): both payload formats, artifact pushes only.

Harbor sends each event in one of two shapes, chosen per webhook policy:

* **Default** (every version): ``{"type": "PUSH_ARTIFACT", "occur_at", "operator",
  "event_data": {"resources": [{"digest", "tag", "resource_url"}], "repository": {"name",
  "namespace", "repo_full_name", "repo_type"}}}``. Harbor 1.9 and 1.10 (and Tencent TCR, which
  copied the format) call the type ``pushImage``.
* **CloudEvents** (Harbor ≥ 2.8): structured mode, ``{"specversion": "1.0", "type":
  "harbor.artifact.pushed", "data": {"resources": [...], "repository": {...}}, ...}`` -- the same
  ``event_data`` under ``data``. Binary mode (the type in a ``ce-type`` header, ``data`` as the
  body), which Harbor does not send but a Knative broker relaying it does, is read too.

Every other type (``PULL_ARTIFACT``, ``DELETE_ARTIFACT``, ``SCANNING_COMPLETED``, ``QUOTA_*``,
``REPLICATION``, ``TAG_RETENTION``, ChartMuseum's ``UPLOAD_CHART``...) is ignored.

Reading a resource:

* The **registry host** is the first component of ``resource_url`` (Harbor's external URL without
  its scheme: ``harbor.example.com:8443/library/nginx:1.0``); ``?registry=`` overrides it.
* The **repository** is ``repository.repo_full_name`` (``project/repo``), else the path of
  ``resource_url`` (Harbor's own replication adapters send no ``repository``).
* An **untagged** push (by digest) has ``tag`` equal to the digest and is ignored, like a
  by-digest push everywhere else; so is an empty tag.
* **Helm charts** pushed as OCI artifacts cannot be told from images: no Harbor payload carries a
  media type or artifact type (``Resource`` has digest, tag, resource_url and scan overviews
  only), so every push is reported as an image. Charts in Harbor need polling, or the
  distribution endpoint in front of a plain registry.
"""

from __future__ import annotations

from typing import Any, Final

from headwind.model.image import is_valid_digest
from headwind.model.pushes import PushEvent
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
from headwind.model.webhooks.hosts import host_of_reference, is_overridden, registry_override

SOURCE: Final = "harbor"
PUSH_TYPES: Final = frozenset({"PUSH_ARTIFACT", "pushImage"})
CLOUDEVENTS_PUSH_TYPE: Final = "harbor.artifact.pushed"


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The tagged artifact pushes a Harbor webhook reports, in either payload format."""
    body = obj(payload)
    data = _push_data(body, delivery)
    if data is None:
        return []
    event_data, path = data
    repository = optional_child(event_data, "repository", path)
    full_name = (
        optional_string(repository, "repo_full_name", path_of(path, "repository"))
        if repository is not None
        else None
    )
    resources_path = path_of(path, "resources")
    pushes = []
    for index, resource in enumerate(items(event_data, "resources", path)):
        resource_path = path_of(resources_path, index)
        push = _push_of(obj(resource, resource_path), resource_path, full_name, path, delivery)
        if push is not None:
            pushes.append(push)
    return pushes


def _push_data(body: dict[str, Any], delivery: Delivery) -> tuple[dict[str, Any], str] | None:
    """The ``event_data`` of a push and its path, or None for every other event type."""
    if "specversion" in body:
        if string(body, "type") != CLOUDEVENTS_PUSH_TYPE:
            return None
        return child(body, "data"), "data"
    binary_type = delivery.header("ce-type")
    if binary_type is not None and "type" not in body:
        return (body, "") if binary_type == CLOUDEVENTS_PUSH_TYPE else None
    if string(body, "type") not in PUSH_TYPES:
        return None
    return child(body, "event_data"), "event_data"


def _push_of(
    resource: dict[str, Any], path: str, full_name: str | None, data_path: str, delivery: Delivery
) -> PushEvent | None:
    tag = optional_string(resource, "tag", path)
    digest = optional_string(resource, "digest", path)
    if tag is None or tag == digest or is_valid_digest(tag):
        return None
    registry, name, name_field = _location(resource, path, full_name, data_path, delivery)
    return PushEvent(
        registry=registry,
        repository=repository_path(registry, name, name_field),
        tag=checked_tag(tag, path_of(path, "tag")),
        digest=checked_digest(digest, path_of(path, "digest")) if digest else None,
        source=SOURCE,
    )


def _location(
    resource: dict[str, Any], path: str, full_name: str | None, data_path: str, delivery: Delivery
) -> tuple[str, str, str]:
    """The registry host, the repository path (unchecked) and the field the path came from."""
    url_field = path_of(path, "resource_url")
    url = optional_string(resource, "resource_url", path)
    url_host, url_path = _split_resource_url(url, full_name) if url is not None else (None, None)
    if url is not None and url_host is None and not is_overridden(delivery):
        raise InvalidPayload(
            f"{url_field}: {url[:80]!r} does not start with a registry host; "
            "add ?registry=<host> to the webhook URL"
        )
    registry = registry_override(delivery, url_host)
    if full_name is not None:
        return registry, full_name, f"{path_of(data_path, 'repository')}.repo_full_name"
    if url_path is None:
        raise InvalidPayload(
            f"{path_of(data_path, 'repository')}.repo_full_name: required field is missing, "
            f"and {url_field} names no repository"
        )
    return registry, url_path, url_field


def _split_resource_url(url: str, full_name: str | None) -> tuple[str | None, str | None]:
    """Host and repository path of ``host[:port]/path[:tag][@digest]`` (a scheme in front is dropped).

    A URL that is just the repository (``team/app:1``, from a misconfigured external URL) has no
    host, even though ``team`` could be one.
    """
    name = url.partition("://")[2] if "://" in url else url
    name = name.partition("@")[0]
    colon = name.find(":", name.rfind("/") + 1)
    name = name[:colon] if colon >= 0 else name
    host = None if name == full_name else host_of_reference(name)
    path = name.partition("/")[2]
    return host, (path or None) if host is not None else None
