"""Sonatype Nexus Repository webhooks (``POST /webhook/nexus``): docker component events.

A "Webhook: Repository" capability POSTs, for one Nexus repository, the event types it was given;
the ``X-Nexus-Webhook-ID`` header says which:

* ``rm:repository:component``: ``{"timestamp", "nodeId", "initiator", "repositoryName", "action":
  "CREATED" | "UPDATED" | "DELETED", "component": {"id", "componentId", "format", "name", "group",
  "version"}}``. A docker component is one tag of one image: ``name`` is the image path
  (``team/app``, ``library/nginx`` in a proxy of Docker Hub) and ``version`` the tag. ``CREATED``
  and ``UPDATED`` are pushes. A version that is a digest (``sha256:...``: a manifest pushed by
  digest, such as one platform of a multi-arch image) names no tag and is ignored.
* ``rm:repository:asset``: the files of a component -- for one docker push, its manifest
  (``v2/team/app/manifests/1.0``) and each layer -- so a push sends one component event and
  several asset events. Only the component event is read, so that a push is reported once;
  subscribe the capability to ``component`` events.
* ``rm:global:*`` (audit, repository changes) and other formats (``maven2``, ``npm``, ``helm``...):
  not image pushes.

**Nexus payloads name no host.** Docker clients reach a Nexus docker repository through a
connector of its own -- a port (``nexus.example.com:8082``) or, in Nexus Pro, a subdomain -- that
the event does not mention, so the webhook URL must: ``?registry=<host[:port]>``, the host pods
pull this repository from (one capability per repository makes that unambiguous). Without it the
delivery is refused, saying so.
"""

from __future__ import annotations

from typing import Any, Final

from headwind.model.pushes import PushEvent
from headwind.model.webhooks.checks import checked_tag, repository_path
from headwind.model.webhooks.fields import Delivery, InvalidPayload, child, obj, string
from headwind.model.webhooks.hosts import registry_override

SOURCE: Final = "nexus"
WEBHOOK_ID_HEADER: Final = "x-nexus-webhook-id"
COMPONENT_EVENT: Final = "rm:repository:component"
_PUSH_ACTIONS: Final = frozenset({"CREATED", "UPDATED"})


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The push a docker component event reports; nothing for other events and formats."""
    body = obj(payload)
    if _event_type(body, delivery) != COMPONENT_EVENT:
        return []
    component = child(body, "component")
    if string(component, "format", "component") != "docker" or string(body, "action") not in _PUSH_ACTIONS:
        return []
    name = string(component, "name", "component")
    version = string(component, "version", "component")
    if ":" in version:
        return []
    registry = registry_override(delivery, None)
    return [
        PushEvent(
            registry=registry,
            repository=repository_path(registry, name, "component.name"),
            tag=checked_tag(version, "component.version"),
            source=SOURCE,
        )
    ]


def _event_type(body: dict[str, Any], delivery: Delivery) -> str:
    """``X-Nexus-Webhook-ID``; without it (a proxy dropped it), a body with a ``component`` is one."""
    event_type = delivery.header(WEBHOOK_ID_HEADER)
    if event_type is not None:
        return event_type
    if "component" in body:
        return COMPONENT_EVENT
    raise InvalidPayload("header X-Nexus-Webhook-ID: required (rm:repository:component) and missing")
