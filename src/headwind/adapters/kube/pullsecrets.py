"""Which registry credentials a workload's pods pull with: their image pull secrets, read on demand.

Headwind (Rust) took credentials only from the ``default`` ServiceAccount's secrets, cached them per
registry forever and for every namespace, and ignored the secrets a pod spec names: a private image
was checked with another namespace's password, or with a revoked one, or not at all. Here
:meth:`PullSecrets.credential` looks where pods do: the pod spec's ``imagePullSecrets`` in order,
or, when the pod spec names none, those of the ServiceAccount the pods run as (the admission plugin
copies an account's secrets into a pod only then); the first secret with an entry for the registry
wins.

Caching, so that polling a hundred workloads does not mean a hundred GETs per secret, without
keeping a rotated or deleted secret alive:

* every Secret and ServiceAccount is fetched at most once per ``ttl`` seconds per
  ``(namespace, name)``; within that window the last answer (including "not found") is reused;
* a Secret's parsed credentials are kept with the ``resourceVersion`` they were parsed from and
  reused only while a GET returns that same version: a rotated secret is parsed and used at once;
* every key includes the namespace, so a secret never answers for a namespace it is not in.

A Secret or ServiceAccount that is missing (404), forbidden to us (403) or, for a Secret, holds no
usable docker config, is skipped with a warning that names it and says why (never a value), and the
search goes on: a pod whose first pull secret is gone still pulls with its second. Any other
failure (a 5xx, a timeout) raises: the caller counts it and retries, rather than polling anonymously
and reading "401 Unauthorized" as "no new tags".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import structlog
from kubernetes_asyncio.client import ApiClient

from headwind.model.credentials import Credential, InvalidDockerConfig, credential_for, parse_docker_config

from .client import ApiError, get_json

_SKIPPED_STATUSES = (403, 404)
_DEFAULT_SERVICE_ACCOUNT = "default"

T = TypeVar("T")
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Fetched(Generic[T]):
    """What one GET of an object gave: its projection, or why it was skipped ("" when it was not)."""

    fetched_at: float
    resource_version: str
    value: T
    skipped: str = ""


class PullSecrets:
    """Credentials for pulling a workload's images, the way the kubelet finds them."""

    def __init__(
        self,
        api: ApiClient,
        *,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 10.0,
    ) -> None:
        self._api = api
        self._ttl = ttl
        self._clock = clock
        self._timeout = timeout
        self._secrets: dict[tuple[str, str], _Fetched[Mapping[str, Credential]]] = {}
        self._accounts: dict[tuple[str, str], _Fetched[tuple[str, ...]]] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    async def credential(
        self,
        namespace: str,
        registry: str,
        *,
        secret_names: Sequence[str],
        service_account: str,
        path: str = "",
    ) -> Credential | None:
        """The credential pods in ``namespace`` would pull from ``registry`` with; ``None``: anonymously.

        ``path`` is the repository (``team-a/app``), for secrets whose keys name a repository
        prefix (``ghcr.io/team-a``). ``secret_names`` are the pod spec's ``imagePullSecrets``;
        ``service_account`` is its ``serviceAccountName``, ``""`` meaning ``default`` (what the
        admission plugin assigns).
        Raises :class:`~headwind.adapters.kube.client.ApiError` (and network errors) for failures
        other than a missing or forbidden object.
        """
        searched: set[str] = set()
        names = [name for name in secret_names if name]
        if not names:
            names = list(await self._account_secrets(namespace, service_account or _DEFAULT_SERVICE_ACCOUNT))
        for name in names:
            found = await self._from_secret(namespace, name, registry, path, searched)
            if found is not None:
                return found
        return None

    async def _from_secret(
        self, namespace: str, name: str, registry: str, path: str, searched: set[str]
    ) -> Credential | None:
        """The secret's credential for ``registry``; each secret is consulted once per search."""
        if not name or name in searched:
            return None
        searched.add(name)
        return credential_for(registry, await self._secret(namespace, name), path)

    async def _secret(self, namespace: str, name: str) -> Mapping[str, Credential]:
        """Secret ``namespace/name``'s credentials by registry; empty when it is skipped."""
        source = f"secret {namespace}/{name}"
        return await self._fetch(
            "Secret", "secrets", namespace, name, self._secrets, lambda body: _credentials(body, source), {}
        )

    async def _account_secrets(self, namespace: str, name: str) -> tuple[str, ...]:
        """The names in ServiceAccount ``namespace/name``'s ``imagePullSecrets``; empty when it is skipped."""
        return await self._fetch(
            "ServiceAccount", "serviceaccounts", namespace, name, self._accounts, _pull_secret_names, ()
        )

    async def _fetch(
        self,
        kind: str,
        plural: str,
        namespace: str,
        name: str,
        cache: dict[tuple[str, str], _Fetched[T]],
        project: Callable[[Mapping[str, Any]], tuple[T, str]],
        empty: T,
    ) -> T:
        """The object's projection: from ``cache`` if fetched less than ``ttl`` ago, else by one GET.

        ``project`` turns the object into its value and why it is skipped (``""``: it is not); it
        runs only for a ``resourceVersion`` not seen before. A lock per object makes concurrent
        searches share one GET instead of each sending its own.
        """
        key = (namespace, name)
        async with self._locks.setdefault((kind, namespace, name), asyncio.Lock()):
            cached = cache.get(key)
            if cached is not None and self._clock() - cached.fetched_at < self._ttl:
                return cached.value
            path = f"/api/v1/namespaces/{quote(namespace, safe='')}/{plural}/{quote(name, safe='')}"
            try:
                body = await get_json(self._api, path, timeout=self._timeout)
            except ApiError as error:
                if error.status not in _SKIPPED_STATUSES:
                    raise
                fetched = _Fetched(self._clock(), "", empty, _skip_reason(error, plural, namespace))
            else:
                version = _resource_version(body)
                if cached is not None and version and cached.resource_version == version:
                    value, skipped = cached.value, cached.skipped
                else:
                    value, skipped = project(body)
                fetched = _Fetched(self._clock(), version, value, skipped)
            cache[key] = fetched
        if fetched.skipped:
            log.warning(
                "skipping an image pull credential source",
                object=f"{kind} {namespace}/{name}",
                reason=fetched.skipped,
            )
        return fetched.value


def _credentials(secret: Mapping[str, Any], source: str) -> tuple[Mapping[str, Credential], str]:
    """A Secret's credentials by registry, or none and the reason it holds no usable docker config."""
    data = secret.get("data")
    strings = (
        {key: value for key, value in data.items() if isinstance(value, str)}
        if isinstance(data, Mapping)
        else {}
    )
    try:
        return parse_docker_config(str(secret.get("type") or ""), strings, source=source), ""
    except InvalidDockerConfig as error:
        return {}, error.problem


def _pull_secret_names(account: Mapping[str, Any]) -> tuple[tuple[str, ...], str]:
    """The names in a ServiceAccount's ``imagePullSecrets`` (``[{"name": "regcred"}]``), in order."""
    references = account.get("imagePullSecrets")
    if not isinstance(references, list):
        return (), ""
    names = (reference.get("name") for reference in references if isinstance(reference, Mapping))
    return tuple(name for name in names if isinstance(name, str) and name), ""


def _skip_reason(error: ApiError, plural: str, namespace: str) -> str:
    if error.status == 404:
        return "not found"
    return f"forbidden: headwind may not get {plural} in namespace {namespace} ({error.message})"


def _resource_version(body: Mapping[str, Any]) -> str:
    metadata = body.get("metadata")
    version = metadata.get("resourceVersion") if isinstance(metadata, Mapping) else None
    return version if isinstance(version, str) else ""
