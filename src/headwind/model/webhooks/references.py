"""Image references and hosts as payloads spell them, read into a push's registry and repository.

Some formats name a pushed image as a whole reference (Google Artifact Registry's
``us-east1-docker.pkg.dev/proj/repo/img:1.0``, our native ``image``) and some imply a registry host
that must be checked before it becomes part of a key (ACR's ``request.host``, an ECR account and
region, JFrog's ``jpd_origin``). These helpers do both with the field's path in every refusal,
and apply the ``?registry=`` override to whole references the way the other sources apply it to
hosts.

Used by the ``acr``, ``jfrog``, ``gcr``, ``ecr`` and ``native`` sources, alongside
:mod:`~headwind.model.webhooks.checks` for tags, digests and repository paths.
"""

from __future__ import annotations

from headwind.model.image import ImageRef, InvalidReference, parse_image
from headwind.model.webhooks.fields import Delivery, InvalidPayload
from headwind.model.webhooks.hosts import is_host, is_overridden, registry_override

_SHOWN = 80


def reference_at(text: str, path: str) -> ImageRef:
    """``text`` parsed as an image reference, or :class:`InvalidPayload` naming ``path`` and the problem."""
    try:
        return parse_image(text)
    except InvalidReference as error:
        raise InvalidPayload(f"{path}: {error.problem} (in {text[:_SHOWN]!r})") from None


def host_at(value: str | None, path: str) -> str | None:
    """A registry host a payload implies, checked as ``host[:port]``; ``None`` passes."""
    if value is not None and not is_host(value):
        raise InvalidPayload(f"{path}: {value[:_SHOWN]!r} is not a registry host[:port]")
    return value


def located(reference: ImageRef, delivery: Delivery) -> tuple[str, str]:
    """Registry and repository path of a pushed reference, after the ``?registry=`` override.

    Overridden, the path is kept as written: ``nginx`` under another host is ``nginx`` there, not
    Docker Hub's ``library/nginx``.
    """
    registry = registry_override(delivery, reference.registry)
    return (registry, reference.spelled_path) if is_overridden(delivery) else (registry, reference.path)
