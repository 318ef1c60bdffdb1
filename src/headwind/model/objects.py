"""The slimmest projection, for kinds whose own model arrives with their feature.

UpdateRequests, Flux HelmReleases and HelmRepositories are watched from the start (so the
runtime, readiness and the dispatcher treat every kind alike), but what Headwind decides about
them belongs to the approval and Helm features, which define richer projections. Until then an
informer of those kinds keeps only identity, versions, labels and annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .workloads import ObjectKey, int_or_zero, string_map


@dataclass(frozen=True)
class ObjectSummary:
    key: ObjectKey
    uid: str
    resource_version: str
    generation: int
    labels: Mapping[str, str]
    annotations: Mapping[str, str]


def summarize(kind: str, obj: Mapping[str, Any]) -> ObjectSummary:
    metadata = obj.get("metadata") or {}
    return ObjectSummary(
        key=ObjectKey(kind, str(metadata.get("namespace", "")), str(metadata.get("name", ""))),
        uid=str(metadata.get("uid", "")),
        resource_version=str(metadata.get("resourceVersion", "")),
        generation=int_or_zero(metadata.get("generation")),
        labels=string_map(metadata.get("labels")),
        annotations=string_map(metadata.get("annotations")),
    )
