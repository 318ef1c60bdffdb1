"""One check of one repository: the tag list and the digests its polled containers need, per credential.

Every container running the repository shares the check. Credentials come from each workload's
pull secrets (:class:`PullSecretsSource`), so the check is split only where they differ: one tag
list per distinct credential, and one manifest ``HEAD`` per distinct tag that a ``digest``-policy
container runs. What a credential revealed is recorded for the namespaces that used it; tags listed
with different credentials in one namespace are merged, so that they do not replace each other's
listing every round.

Failures stay small: a credential that cannot be read skips its workloads, a refused tag list
still lets the digests be checked, a deleted tag skips only itself -- each counted in
``headwind_polling_errors_total`` and logged with the repository, registry and namespaces.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from headwind.adapters.metrics import Metrics
from headwind.adapters.registry.client import ManifestInfo, TagList
from headwind.adapters.registry.errors import RegistryError
from headwind.model.credentials import Credential
from headwind.model.policy import PolicyKind
from headwind.model.selection import could_choose
from headwind.model.workloads import ObjectKey

from .catalog import TagCatalog
from .subscriptions import Subscription

log = structlog.get_logger(__name__)


class Registry(Protocol):
    """What a check needs of the registry client."""

    async def tags(
        self,
        registry: str,
        path: str,
        credential: Credential | None,
        *,
        keep: Callable[[str], bool] | None = None,
    ) -> TagList: ...

    async def manifest(
        self,
        registry: str,
        path: str,
        reference: str,
        credential: Credential | None,
        *,
        platforms: bool = False,
    ) -> ManifestInfo: ...


class PullSecretsSource(Protocol):
    """Where a workload's registry credentials come from (its pull secrets, else its ServiceAccount's)."""

    async def credential(
        self,
        namespace: str,
        registry: str,
        *,
        secret_names: Sequence[str],
        service_account: str,
        path: str = "",
    ) -> Credential | None: ...


@dataclass
class CheckReport:
    """What checks did; the poller adds them up per round, for the log and for tests."""

    repositories: int = 0
    tag_requests: int = 0
    digest_requests: int = 0
    new_tags: int = 0
    digest_changes: int = 0
    errors: int = 0
    enqueued: set[ObjectKey] = field(default_factory=set)

    def add(self, other: CheckReport) -> None:
        for name in (
            "repositories",
            "tag_requests",
            "digest_requests",
            "new_tags",
            "digest_changes",
            "errors",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.enqueued |= other.enqueued


class RepositoryChecker:
    """See the module docstring."""

    def __init__(
        self, registry: Registry, secrets: PullSecretsSource, catalog: TagCatalog, metrics: Metrics
    ) -> None:
        self._registry = registry
        self._secrets = secrets
        self._catalog = catalog
        self._metrics = metrics

    async def check(self, repository: str, subs: Sequence[Subscription]) -> CheckReport:
        report = CheckReport(repositories=1)
        listed: dict[str, set[str]] = defaultdict(set)
        for credential, group in (await self._by_credential(repository, subs, report)).items():
            for namespace, tags in (await self._list(repository, group, credential, report)).items():
                listed[namespace] |= tags
            await self._check_digests(repository, group, credential, report)
        new: set[str] = set()
        for namespace, tags in listed.items():
            found = self._catalog.record_listing(repository, namespace, tags)
            if found:
                new |= found
                report.enqueued.update(_listers(sub for sub in subs if sub.namespace == namespace))
        if new:
            report.new_tags += len(new)
            self._metrics.polling_new_tags.inc(len(new))
        return report

    async def _by_credential(
        self, repository: str, subs: Sequence[Subscription], report: CheckReport
    ) -> dict[Credential | None, list[Subscription]]:
        """``subs`` grouped by the credential their workloads pull with (``None``: anonymous)."""
        groups: dict[Credential | None, list[Subscription]] = defaultdict(list)
        resolved: dict[tuple[str, tuple[str, ...], str], Credential | None] = {}
        for sub in subs:
            source = (sub.namespace, sub.pull_secrets, sub.service_account)
            if source not in resolved:
                try:
                    resolved[source] = await self._secrets.credential(
                        sub.namespace,
                        sub.ref.registry,
                        secret_names=sub.pull_secrets,
                        service_account=sub.service_account,
                        path=sub.ref.path,
                    )
                except Exception as error:  # an API error: count it, skip these workloads this round
                    self._failed(report, "reading pull secrets failed", repository, [sub], error=str(error))
                    continue
            if source in resolved:
                groups[resolved[source]].append(sub)
        return groups

    async def _list(
        self, repository: str, group: list[Subscription], credential: Credential | None, report: CheckReport
    ) -> dict[str, set[str]]:
        """The tags some policy of ``group`` could choose, per namespace; {} when none lists or it failed."""
        listers = list(_listers_of(group))
        if not listers:
            return {}
        filters = [could_choose(sub.policy, sub.ref.effective_tag or None) for sub in listers]
        ref = listers[0].ref
        try:
            listing = await self._registry.tags(
                ref.registry, ref.path, credential, keep=lambda tag: any(kept(tag) for kept in filters)
            )
        except RegistryError as error:
            self._refused(report, repository, listers, error)
            return {}
        report.tag_requests += 1
        self._metrics.polling_images_checked.inc()
        return {sub.namespace: set(listing.tags) for sub in listers}

    async def _check_digests(
        self, repository: str, group: list[Subscription], credential: Credential | None, report: CheckReport
    ) -> None:
        """The digest of each tag a ``digest``-policy container runs (``latest`` when it names none)."""
        followers: dict[str, list[Subscription]] = defaultdict(list)
        for sub in group:
            if sub.policy.kind is PolicyKind.DIGEST and sub.ref.effective_tag:
                followers[sub.ref.effective_tag].append(sub)
        for tag, subs in sorted(followers.items()):
            try:
                manifest = await self._registry.manifest(
                    subs[0].ref.registry, subs[0].ref.path, tag, credential
                )
            except RegistryError as error:
                self._refused(report, repository, subs, error)
                continue
            report.digest_requests += 1
            namespaces = {sub.namespace for sub in subs}
            first = all(self._catalog.baseline_digest(repository, ns, tag) is None for ns in namespaces)
            changed = [self._catalog.record_digest(repository, ns, tag, manifest.digest) for ns in namespaces]
            if any(changed):
                report.digest_changes += 1
                self._metrics.polling_digest_changes.inc()
            if any(changed) or first:
                report.enqueued.update(sub.key for sub in subs)

    def _refused(
        self, report: CheckReport, repository: str, subs: Iterable[Subscription], error: RegistryError
    ) -> None:
        self._failed(
            report,
            "polling failed",
            repository,
            subs,
            registry=error.registry,
            reason=error.reason,
            error=str(error),
        )

    def _failed(
        self,
        report: CheckReport,
        event: str,
        repository: str,
        subs: Iterable[Subscription],
        **details: object,
    ) -> None:
        report.errors += 1
        self._metrics.polling_errors.inc()
        namespaces = sorted({sub.namespace for sub in subs})
        log.warning(event, repository=repository, namespaces=namespaces, **details)


def _listers_of(subs: Iterable[Subscription]) -> Iterable[Subscription]:
    """The subscriptions whose policy compares tags (all but ``digest``)."""
    return (sub for sub in subs if sub.policy.kind is not PolicyKind.DIGEST)


def _listers(subs: Iterable[Subscription]) -> set[ObjectKey]:
    return {sub.key for sub in _listers_of(subs)}
