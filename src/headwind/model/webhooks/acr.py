"""Azure Container Registry webhooks (``POST /webhook/acr``): one un-wrapped event per delivery.

ACR sends each event alone -- ``{"id", "timestamp", "action", "target": {...}, "request": {...}}``,
not distribution's ``{"events": [...]}`` envelope, which is why Headwind's generic endpoint refused
it. The actions (``az acr webhook create --actions``):

* ``push``: an image manifest pushed; ``target.repository``, ``target.tag``, ``target.digest``,
  ``target.mediaType``, and the registry host in ``request.host`` (``myregistry.azurecr.io``). A
  push without a tag (a manifest pushed by digest, such as one platform of a multi-arch image)
  names nothing to update to and is ignored. A Helm chart pushed to ACR as an OCI artifact
  (``helm push oci://...``) arrives as such a ``push`` too: the event carries only the manifest's
  media type, not the config's that would say "chart", so it is reported as an image push.
* ``chart_push``: a chart uploaded to ACR's legacy Helm repository (``az acr helm push``,
  deprecated). ``target.name`` and ``target.version`` become a push of kind ``chart`` of
  ``<registry>/<name>``; the documented example spells the version ``5.4.0.tgz``, so a ``.tgz``
  suffix is dropped. These events have no ``request``, so the host must come from
  ``?registry=``. No digest is reported: ``target.digest`` is the digest of the ``.tgz`` file, not
  of an OCI manifest anything could pull.
* ``delete``, ``chart_delete``, ``quarantine``, ``ping`` and anything else: not pushes.

``?registry=`` overrides ``request.host`` (a custom domain in front of the registry).

The same events delivered through Event Grid (``Microsoft.ContainerRegistry.ImagePushed`` in an
Event Grid or CloudEvents envelope) are not read here: Event Grid first requires a subscription
handshake that a stateless parser cannot answer. Use an ACR webhook.
"""

from __future__ import annotations

from typing import Any, Final

from headwind.model.pushes import CHART, PushEvent
from headwind.model.webhooks.checks import checked_digest, checked_tag, repository_path
from headwind.model.webhooks.fields import Delivery, child, obj, optional_child, optional_string, string
from headwind.model.webhooks.hosts import is_overridden, registry_override
from headwind.model.webhooks.references import host_at

SOURCE: Final = "acr"
_CHART_ARCHIVE: Final = ".tgz"


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The push an ACR webhook event reports: an image for ``push``, a chart for ``chart_push``."""
    body = obj(payload)
    action = string(body, "action")
    if action == "push":
        return _image_push(body, delivery)
    if action == "chart_push":
        return [_chart_push(body, delivery)]
    return []


def _image_push(body: dict[str, Any], delivery: Delivery) -> list[PushEvent]:
    target = child(body, "target")
    repository = string(target, "repository", "target")
    tag = optional_string(target, "tag", "target")
    if tag is None:
        return []
    digest = optional_string(target, "digest", "target")
    registry = _registry(body, delivery)
    return [
        PushEvent(
            registry=registry,
            repository=repository_path(registry, repository, "target.repository"),
            tag=checked_tag(tag, "target.tag"),
            digest=checked_digest(digest, "target.digest") if digest is not None else None,
            media_type=optional_string(target, "mediaType", "target"),
            source=SOURCE,
        )
    ]


def _chart_push(body: dict[str, Any], delivery: Delivery) -> PushEvent:
    target = child(body, "target")
    name = string(target, "name", "target")
    version = string(target, "version", "target").removesuffix(_CHART_ARCHIVE)
    registry = _registry(body, delivery)
    return PushEvent(
        registry=registry,
        repository=repository_path(registry, name, "target.name"),
        tag=checked_tag(version, "target.version"),
        media_type=optional_string(target, "mediaType", "target"),
        kind=CHART,
        source=SOURCE,
    )


def _registry(body: dict[str, Any], delivery: Delivery) -> str:
    """``?registry=``, else ``request.host`` (read only when needed, and checked)."""
    if is_overridden(delivery):
        return registry_override(delivery, None)
    request = optional_child(body, "request")
    host = optional_string(request, "host", "request") if request is not None else None
    return registry_override(delivery, host_at(host, "request.host"))
