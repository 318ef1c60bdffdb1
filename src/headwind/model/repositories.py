"""Which image repository a container runs, spelled one way, so that events find their workloads.

A push event names ``registry.example.com/team/app``; a pod spec may say ``team/app`` on Docker
Hub as ``docker.io/team/app``, ``index.docker.io/team/app`` or ``team/app``, and an official image
as ``nginx`` or ``library/nginx``. The informers index containers by :func:`repository_of`, and
every event source normalizes with the same function, so matching is one dictionary lookup.
(Parsing references in full, with tags, digests and rewriting, is ``image.py``'s job.)
"""

from __future__ import annotations

DOCKER_HUB = "docker.io"
DOCKER_HUB_ALIASES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)


def _split_registry(reference: str) -> tuple[str, str]:
    first, slash, rest = reference.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first.lower(), rest
    return DOCKER_HUB, reference


def repository_of(reference: str) -> str:
    """``registry/path`` of an image reference, without tag or digest, Docker Hub spelled canonically.

    >>> repository_of("nginx:1.25")
    'docker.io/library/nginx'
    >>> repository_of("localhost:5000/app@sha256:abc")
    'localhost:5000/app'
    """
    name = reference.strip().split("@", 1)[0]
    registry, path = _split_registry(name)
    last_slash = path.rfind("/")
    colon = path.rfind(":")
    if colon > last_slash:
        path = path[:colon]
    if registry in DOCKER_HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    return f"{registry}/{path.lower()}"
