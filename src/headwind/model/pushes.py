"""A push, as every registry's webhook reports it once its format is read: one value for all sources.

Twelve webhook formats (Docker Hub, CNCF distribution, Harbor, GHCR, GitLab, Quay, ACR, JFrog,
Google Artifact Registry, ECR, Nexus and our own) say "a tag was pushed" in twelve shapes, and
most leave something out: Quay sends no digest, Docker Hub no registry host, Nexus no host at
all. A :class:`PushEvent` is what they have in common, normalized the way image references are
(:func:`~headwind.model.image.repository_key` spells Docker Hub, aliases and ``library/`` one way),
so that ``registry.example.com/team/app`` from a webhook finds the pod that runs
``registry.example.com/team/app:1.0`` -- Headwind dropped the host of the generic format and so
never matched private registries.

A Helm chart pushed to an OCI registry is an artifact of another kind (its config media type is
``application/vnd.cncf.helm.config.v1+json``); it becomes a push of kind :data:`CHART`, for Helm
releases rather than containers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from headwind.model.image import repository_key

IMAGE: Final = "image"
CHART: Final = "chart"
HELM_CONFIG_MEDIA_TYPE: Final = "application/vnd.cncf.helm.config.v1+json"


@dataclass(frozen=True, slots=True)
class PushEvent:
    """A tag (or digest) pushed to a repository, as one webhook delivery reported it."""

    registry: str
    """The registry host as image references spell it (``docker.io``, ``registry.example.com:5000``)."""
    repository: str
    """The repository path within the registry (``team/app``; ``library/nginx`` on Docker Hub)."""
    tag: str | None
    digest: str | None = None
    media_type: str | None = None
    kind: str = IMAGE
    """:data:`IMAGE` or :data:`CHART`."""
    source: str = ""
    """The webhook endpoint that reported it (``dockerhub``, ``harbor``...), for logs and metrics."""

    @property
    def key(self) -> str:
        """The normalized ``registry/path`` that informers index workloads by."""
        return repository_key(self.registry, self.repository)

    def __str__(self) -> str:
        at = f":{self.tag}" if self.tag else ""
        pinned = f"@{self.digest}" if self.digest else ""
        return f"{self.kind} {self.registry}/{self.repository}{at}{pinned}"
