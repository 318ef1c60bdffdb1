"""The operator process: informers, the dispatcher, leader election and the servers, joined.

What runs where, and why:

- Every replica runs the informers (so its caches are warm and it can serve reads at once), the
  four HTTP servers and the health probes. Readiness waits for every informer's first LIST.
- Only the leader acts. Informer handlers push the key of every changed object onto the
  dispatcher's queue only while this replica leads, and the dispatcher's workers run only while
  it holds the Lease. On becoming leader it enqueues every cached object once (a resync), so
  changes that happened while another replica led, or none did, are not lost. Losing the Lease
  cancels the workers within the renew deadline, before another replica can take over.
- The dispatcher decides with :class:`~headwind.services.decider.WorkloadDecider`, from the
  informers' caches and the :class:`~headwind.services.catalog.TagCatalog` that event sources fill.
  With ``HEADWIND_POLLING_ENABLED``, the :class:`~headwind.services.poller.Poller` runs beside the
  workers on the leader, with one registry client (and its limits and token cache) for everything.
- Shutdown (SIGTERM/SIGINT): stop taking new work, drain the queue for up to
  ``HEADWIND_SHUTDOWN_GRACE`` seconds, release the Lease so a standby takes over at once, stop
  the informers and close the servers; exit 0.

Every long-running piece is a named task under the :class:`Supervisor`, which restarts crashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from kubernetes_asyncio.client import ApiClient

from headwind.adapters.kube.client import KubeConnectError, connect
from headwind.adapters.kube.informer import Informer, InformerSettings
from headwind.adapters.kube.pods import mark_leader
from headwind.adapters.kube.pullsecrets import PullSecrets
from headwind.adapters.kube.resources import HELM_RELEASES, HELM_REPOSITORIES, UPDATE_REQUESTS, ResourceSpec
from headwind.adapters.kube.workloads import WatchedGauge, workload_informers
from headwind.adapters.metrics import Metrics
from headwind.adapters.registry.client import RegistryClient, RegistrySettings
from headwind.adapters.webhook_secrets import WebhookSecrets
from headwind.model.config import Settings
from headwind.model.objects import ObjectSummary, summarize
from headwind.model.webhooks.sources import PARSERS
from headwind.model.workloads import ObjectKey, Workload
from headwind.servers.listeners import API, METRICS, UI, WEBHOOKS, HttpServers, Listener
from headwind.servers.webhooks import webhook_routes
from headwind.services.catalog import TagCatalog
from headwind.services.decider import WorkloadDecider
from headwind.services.dispatcher import Dispatcher
from headwind.services.intake import PushIntake
from headwind.services.leadership import LeaderElector, default_identity
from headwind.services.poller import Poller

from .logging import configure_logging
from .supervisor import Supervisor

log = structlog.get_logger(__name__)

OPTIONAL_KINDS: tuple[ResourceSpec, ...] = (UPDATE_REQUESTS, HELM_RELEASES, HELM_REPOSITORIES)


def _now() -> datetime:
    return datetime.now(UTC)


def listeners(settings: Settings) -> list[Listener]:
    host = settings.bind_address
    return [
        Listener(WEBHOOKS, host, settings.webhook_port),
        Listener(API, host, settings.api_port),
        Listener(UI, host, settings.ui_port),
        Listener(METRICS, host, settings.metrics_port),
    ]


def registry_settings(settings: Settings) -> RegistrySettings:
    """How the registry client behaves, from the ``HEADWIND_REGISTRY_*`` variables."""
    return RegistrySettings(
        timeout=settings.registry_timeout,
        max_concurrency=settings.registry_concurrency,
        requests_per_second=settings.registry_rate,
        burst=settings.registry_burst,
        retries=settings.registry_retries,
        max_tag_pages=settings.registry_max_tag_pages,
        plain_http=frozenset(settings.registry_plain_http),
    )


def _summary_key(summary: ObjectSummary) -> ObjectKey:
    return summary.key


class Operator:
    """One operator process against one cluster."""

    def __init__(
        self,
        settings: Settings,
        api: ApiClient,
        *,
        metrics: Metrics | None = None,
        informer_settings: InformerSettings | None = None,
    ) -> None:
        self.settings = settings
        self.api = api
        self.metrics = metrics = metrics or Metrics()
        self.identity = settings.identity or default_identity()
        namespaces = settings.watch_namespaces
        self.workload_informers = workload_informers(api, metrics, namespaces, settings=informer_settings)
        self.informers: dict[str, Informer[Any]] = dict(self.workload_informers)
        for spec in OPTIONAL_KINDS:
            informer: Informer[ObjectSummary] = Informer(
                api,
                spec,
                functools.partial(summarize, spec.kind),
                _summary_key,
                metrics,
                namespaces,
                settings=informer_settings,
            )
            if spec.kind in metrics.watched:
                informer.add_handler(WatchedGauge(metrics, spec.kind))  # headwind_helm_releases_watched
            self.informers[spec.kind] = informer
        self.catalog = TagCatalog()
        lookups = {kind: informer.get for kind, informer in self.workload_informers.items()}
        self.dispatcher = Dispatcher(
            WorkloadDecider(lookups, self.catalog, _now),
            metrics,
            workers=settings.workers,
            queue_size=settings.queue_size,
        )
        self.registry = RegistryClient(registry_settings(settings), metrics)
        self.poller = (
            Poller(
                self._workloads,
                self.registry,
                PullSecrets(api),
                self.catalog,
                self.dispatcher.enqueue,
                metrics,
                interval=settings.polling_interval,
                jitter=settings.polling_jitter,
            )
            if settings.polling_enabled
            else None
        )
        self.elector = (
            LeaderElector(
                api,
                name=settings.lease_name,
                namespace=settings.lease_namespace,
                identity=self.identity,
                metrics=metrics,
                lease_duration=settings.lease_duration,
                renew_deadline=settings.lease_renew_deadline,
                retry_period=settings.lease_retry_period,
            )
            if settings.leader_election
            else None
        )
        self.webhook_secrets = WebhookSecrets(
            token=settings.webhook_token,
            hmac_secret=settings.webhook_hmac_secret,
            directory=settings.webhook_secrets_dir,
            require=settings.webhook_require_auth,
            sources=PARSERS,
        )
        self.intake = PushIntake(
            self.catalog, self.workload_informers, self.dispatcher.enqueue, lambda: self._acting
        )
        routes = webhook_routes(
            self.intake, self.webhook_secrets.current, metrics, max_body=settings.webhook_max_body
        )
        self.supervisor = Supervisor(metrics)
        self.servers = HttpServers(listeners(settings), self, metrics, {WEBHOOKS: routes})
        self.pod = (
            (settings.namespace, settings.identity) if settings.namespace and settings.identity else None
        )
        """This replica's pod, labelled while it leads (adapters/kube/pods.py); None outside a pod."""
        self._acting = False
        self._stopping = False
        self._pod_label: bool | None = None
        """Whether this replica's pod carries the leader label, as far as we know (None: unknown)."""
        for informer in self.informers.values():
            informer.add_handler(self._on_change)
        if self.poller is not None:
            for workload_informer in self.workload_informers.values():
                workload_informer.add_handler(self.poller.workloads_changed)

    def _workloads(self) -> list[Workload]:
        return [workload for informer in self.workload_informers.values() for workload in informer.items()]

    # -- probes --------------------------------------------------------------------------------

    def liveness_problems(self) -> list[str]:
        return [f"task {name} keeps crashing" for name in self.supervisor.failing()]

    def readiness_problems(self) -> list[str]:
        problems = [
            f"informer {kind} has not synced" for kind, i in self.informers.items() if not i.synced.is_set()
        ]
        if self._stopping:
            problems.append("shutting down")
        return problems

    # -- work ----------------------------------------------------------------------------------

    def _on_change(self, event_type: str, old: Any, new: Any) -> None:
        """Informer handler: only the leader acts, and acting is only queueing a key."""
        if not self._acting:
            return
        key: ObjectKey = (new or old).key
        if not self.dispatcher.enqueue(key):
            log.warning("dispatcher queue full; the next resync will pick this up", **key.log_fields())

    async def _lead(self) -> None:
        """The leader-only work: resync every cached object, then run the workers and the poller."""
        self._acting = not self._stopping
        try:
            if self._acting:
                log.info("acting as leader", identity=self.identity)
                await self._sync_pod_label()
                for informer in self.informers.values():
                    for key in informer.keys():  # noqa: SIM118 (an Informer, not a dict)
                        self.dispatcher.enqueue(key)
            poller = self.poller
            polling = asyncio.create_task(poller.run(), name="poller") if poller and self._acting else None
            try:
                await self.dispatcher.run()
            finally:
                if polling is not None:
                    polling.cancel()
                    await asyncio.gather(polling, return_exceptions=True)
        finally:
            self._acting = False
            await self._sync_pod_label()

    async def _sync_pod_label(self) -> None:
        """Make the pod's leader label say whether this replica acts (see adapters/kube/pods.py).

        Unknown until a PATCH succeeds: one that fails or is cancelled midway is tried again by
        :meth:`_keep_pod_label`, so a replica that lost the Lease while the API was unreachable does
        not keep receiving webhooks.
        """
        desired = self._acting
        if self.pod is None or self._pod_label is desired:
            return
        self._pod_label = None
        if await mark_leader(self.api, *self.pod, desired):
            self._pod_label = desired

    async def _keep_pod_label(self) -> None:
        while True:
            await self._sync_pod_label()
            await asyncio.sleep(self.settings.lease_retry_period)

    async def start(self) -> None:
        """Serve, start the informers, and compete for leadership (or act at once without it)."""
        if not self.webhook_secrets.current().required:
            log.warning(
                "webhooks accept unauthenticated requests: set HEADWIND_WEBHOOK_TOKEN or "
                "HEADWIND_WEBHOOK_HMAC_SECRET (or a secrets directory) to require them"
            )
        await self._sync_pod_label()  # a restarted container may find its pod still labelled
        await self.servers.start()
        for kind, informer in self.informers.items():
            self.supervisor.start(f"informer:{kind}", informer.run)
        if self.pod is not None:
            self.supervisor.start("pod-label", self._keep_pod_label)
        if self.elector is not None:
            elector = self.elector
            self.supervisor.start("leader-election", lambda: elector.run(self._lead))
        else:
            self.metrics.leader.set(1)  # the only replica, by configuration
            self.supervisor.start("dispatcher", self._lead)

    async def wait_synced(self, timeout: float) -> None:
        await asyncio.wait_for(
            asyncio.gather(*(informer.synced.wait() for informer in self.informers.values())), timeout
        )

    async def shutdown(self) -> bool:
        """Stop taking work, drain for the grace period, release the Lease, stop everything.

        Returns whether the queue drained in time.
        """
        self._stopping = True
        self._acting = False
        await self._sync_pod_label()  # first: deliveries go elsewhere while the queue drains
        drained = await self.dispatcher.shutdown(self.settings.shutdown_grace)
        await self.supervisor.stop_all()
        await self.servers.stop()
        await self.registry.close()
        log.info("stopped", drained=drained)
        return drained


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def serve(settings: Settings, *, kubeconfig: Path | None, context: str | None) -> int:
    try:
        api = await connect(kubeconfig, context)
    except KubeConnectError as error:
        log.error("cannot connect to Kubernetes", error=str(error))
        return 1
    try:
        operator = Operator(settings, api)
        try:
            await operator.start()
        except OSError as error:
            log.error("cannot listen", error=str(error), address=settings.bind_address)
            await operator.shutdown()
            return 1
        log.info("started", identity=operator.identity, ports=operator.servers.ports)
        await _stop_on_signals().wait()
        log.info("stopping on signal", grace=settings.shutdown_grace)
        await operator.shutdown()
        return 0
    finally:
        await api.close()


def run(settings: Settings, *, kubeconfig: Path | None, context: str | None) -> int:
    """``headwind run``: the process exit status."""
    configure_logging(settings.log_level, settings.log_format)
    for warning in settings.warnings():
        log.warning(warning)
    return asyncio.run(serve(settings, kubeconfig=kubeconfig, context=context))


@contextlib.asynccontextmanager
async def sandbox_operator(settings: Settings, kubeconfig: Path) -> AsyncIterator[list[str]]:
    """The operator beside ``headwind sandbox``'s emulator; yields the lines the sandbox announces."""
    configure_logging(settings.log_level, settings.log_format)
    api = await connect(kubeconfig)
    operator = Operator(dataclasses.replace(settings, lease_namespace="default"), api)
    try:
        await operator.start()
        host = "127.0.0.1" if settings.bind_address in ("0.0.0.0", "::") else settings.bind_address
        ports = operator.servers.ports
        yield [
            f"Operator:        running as {operator.identity}",
            f"Web UI:          http://{host}:{ports[UI]}/",
            f"Approval API:    http://{host}:{ports[API]}/",
            f"Webhooks:        http://{host}:{ports[WEBHOOKS]}/webhook/",
            f"Metrics:         http://{host}:{ports[METRICS]}/metrics",
            f"Ready when:      http://{host}:{ports[METRICS]}/readyz answers 200",
        ]
    finally:
        await operator.shutdown()
        await api.close()
