"""Docker Hub repository webhooks (``POST /webhook/dockerhub``): one push, two fields that matter.

Docker Hub sends a webhook for exactly one thing, a push, with no event type and no signature.
The body is ``{"push_data": {"tag", "pushed_at", "pusher"}, "repository": {"repo_name", ...},
"callback_url"}``; we read ``push_data.tag`` and ``repository.repo_name`` (``team/app``, or
``nginx`` for an official image, normalized to ``library/nginx``) on registry ``docker.io``
(``?registry=`` can name a mirror instead). The payload carries no digest.

Headwind (Rust) also *required* ``repository.namespace`` and ``repository.name``, which add nothing
``repo_name`` does not say; the test command in its own README omits them and got a 422. Here
they are ignored.

A delivery without a tag -- the legacy automated-build payload that lists ``push_data.images``
instead -- names nothing to update to and is ignored; a tag that is not a tag is refused.
"""

from __future__ import annotations

from typing import Final

from headwind.model.pushes import PushEvent
from headwind.model.webhooks.checks import checked_tag, repository_path
from headwind.model.webhooks.fields import Delivery, child, obj, optional_string, string
from headwind.model.webhooks.hosts import registry_override

SOURCE: Final = "dockerhub"
DOCKER_HUB: Final = "docker.io"


def parse(payload: object, delivery: Delivery) -> list[PushEvent]:
    """The push a Docker Hub webhook reports, or none for an untagged one."""
    body = obj(payload)
    push_data = child(body, "push_data")
    repository = child(body, "repository")
    repo_name = string(repository, "repo_name", "repository")
    tag = optional_string(push_data, "tag", "push_data")
    if tag is None:
        return []
    registry = registry_override(delivery, DOCKER_HUB)
    return [
        PushEvent(
            registry=registry,
            repository=repository_path(registry, repo_name, "repository.repo_name"),
            tag=checked_tag(tag, "push_data.tag"),
            source=SOURCE,
        )
    ]
