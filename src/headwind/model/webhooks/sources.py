"""The webhook sources by endpoint name: ``POST /webhook/<name>`` reads its body with ``PARSERS[name]``.

``dockerhub`` and ``registry`` are Headwind's paths and keep its payload shapes (without its
defects); the others are one per registry product, plus ``native`` for CI pipelines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from headwind.model.pushes import PushEvent

from . import acr, dockerhub, ecr, gcr, ghcr, gitlab, harbor, jfrog, native, nexus, quay, registry
from .fields import Delivery

Parser = Callable[[object, Delivery], list[PushEvent]]

PARSERS: Mapping[str, Parser] = MappingProxyType(
    {
        "dockerhub": dockerhub.parse,
        "registry": registry.parse,
        "harbor": harbor.parse,
        "ghcr": ghcr.parse,
        "gitlab": gitlab.parse,
        "quay": quay.parse,
        "acr": acr.parse,
        "jfrog": jfrog.parse,
        "gcr": gcr.parse,
        "ecr": ecr.parse,
        "nexus": nexus.parse,
        "native": native.parse,
    }
)
