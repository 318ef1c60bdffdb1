"""The API resources Headwind watches, where they live, and whether the cluster serves them.

A resource is named the way the API server routes it (group, version, plural), not by a generated
client class: the informer builds its list and watch URLs from these four strings, so the workload
kinds, our UpdateRequest CRD and Flux's CRDs all take the same path.

Some resources are *optional*: Flux's HelmRelease and HelmRepository exist only where Flux is
installed, and the UpdateRequest CRD may be applied after the operator starts. Their absence is a
state, not an error: :func:`is_served` asks discovery (``GET /apis/{group}/{version}``; 404 means
the group-version is not served, and a served group-version without our plural does not serve it
either), and the informer re-checks periodically. Any other discovery failure raises, because "the
API server is unwell" must not be mistaken for "Flux is not installed".
"""

from __future__ import annotations

from dataclasses import dataclass

from kubernetes_asyncio.client import ApiClient

from headwind.model.workloads import WORKLOAD_KINDS, WorkloadKind

from .client import ApiError, get_json


@dataclass(frozen=True)
class ResourceSpec:
    """One API resource: ``group/version`` and ``plural``, its ``kind``, scope and optionality."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    optional: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version_path(self) -> str:
        """``/api/v1`` for the core group, ``/apis/{group}/{version}`` otherwise (also discovery's URL)."""
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def collection_path(self, namespace: str | None = None) -> str:
        """The URL path to list or watch: cluster-wide (``None``), or in one namespace."""
        if namespace and self.namespaced:
            return f"{self.group_version_path}/namespaces/{namespace}/{self.plural}"
        return f"{self.group_version_path}/{self.plural}"

    def __str__(self) -> str:
        return f"{self.api_version}/{self.plural}"


def workload_spec(kind: WorkloadKind) -> ResourceSpec:
    return ResourceSpec(kind.group, kind.version, kind.plural, kind.kind)


WORKLOAD_SPECS: dict[str, ResourceSpec] = {kind.kind: workload_spec(kind) for kind in WORKLOAD_KINDS}
DEPLOYMENTS = WORKLOAD_SPECS["Deployment"]
STATEFULSETS = WORKLOAD_SPECS["StatefulSet"]
DAEMONSETS = WORKLOAD_SPECS["DaemonSet"]
CRONJOBS = WORKLOAD_SPECS["CronJob"]

# Our own CRD (manifests/crds/updaterequest.yaml); optional because it may be applied after we start.
UPDATE_REQUESTS = ResourceSpec("headwind.sh", "v1alpha1", "updaterequests", "UpdateRequest", optional=True)
# Flux's CRDs, present only where Flux is installed.
HELM_RELEASES = ResourceSpec("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease", optional=True)
HELM_REPOSITORIES = ResourceSpec(
    "source.toolkit.fluxcd.io", "v1", "helmrepositories", "HelmRepository", optional=True
)


async def is_served(api: ApiClient, spec: ResourceSpec, *, timeout: float = 30.0) -> bool:
    """Whether the API server serves ``spec`` now, by discovery; raises :class:`ApiError` unless 404."""
    try:
        document = await get_json(api, spec.group_version_path, timeout=timeout)
    except ApiError as error:
        if error.status == 404:
            return False
        raise
    resources = document.get("resources")
    if not isinstance(resources, list):
        return False
    return any(isinstance(entry, dict) and entry.get("name") == spec.plural for entry in resources)
