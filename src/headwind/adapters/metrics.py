"""Prometheus metrics of one operator process, on a registry of its own.

Headwind's dashboards and alerts keep working because its metric names are kept
(``headwind_reconcile_duration_seconds``, ``headwind_deployments_watched``...); Headwind defined
ten metrics it never updated, so here a metric is defined by the feature that updates it, in
the issue that builds that feature, and a test scrapes ``/metrics`` to see it move.

Each :class:`Metrics` owns its ``CollectorRegistry`` (with the process, platform and GC
collectors) instead of using the global one: two operators in one test process, or a restarted
one, never collide over names.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

RECONCILE_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0)  # Headwind's buckets, kept for dashboards

# Headwind's names for the number of annotated workloads of each kind; CronJobs are new.
WATCHED_GAUGES = {
    "Deployment": "headwind_deployments_watched",
    "StatefulSet": "headwind_statefulsets_watched",
    "DaemonSet": "headwind_daemonsets_watched",
    "CronJob": "headwind_cronjobs_watched",
    "HelmRelease": "headwind_helm_releases_watched",
}


class Metrics:
    """Every metric the runtime updates, registered on one registry."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        # informers
        self.informer_lists = Counter(
            "headwind_informer_lists_total",
            "Full LISTs made by informers (start and re-list).",
            ["kind"],
            registry=registry,
        )
        self.informer_watch_restarts = Counter(
            "headwind_informer_watch_restarts_total",
            "Watches restarted, by why (timeout, disconnect, expired, error).",
            ["kind", "reason"],
            registry=registry,
        )
        self.informer_errors = Counter(
            "headwind_informer_errors_total",
            "Failed list or watch requests, by HTTP status.",
            ["kind", "status"],
            registry=registry,
        )
        self.informer_objects = Gauge(
            "headwind_informer_objects", "Objects held in an informer's cache.", ["kind"], registry=registry
        )
        self.watched = {
            kind: Gauge(name, f"{kind} objects with a headwind.sh/policy annotation.", registry=registry)
            for kind, name in WATCHED_GAUGES.items()
        }
        # dispatcher
        self.queue_depth = Gauge(
            "headwind_dispatcher_queue_depth",
            "Work items waiting in the dispatcher's queue.",
            registry=registry,
        )
        self.items_processed = Counter(
            "headwind_dispatcher_items_processed_total",
            "Work items the dispatcher finished.",
            registry=registry,
        )
        self.items_failed = Counter(
            "headwind_dispatcher_items_failed_total",
            "Work item attempts that failed (each is retried with backoff).",
            registry=registry,
        )
        self.queue_latency = Histogram(
            "headwind_dispatcher_latency_seconds",
            "From a work item's first enqueue until it is done.",
            buckets=RECONCILE_BUCKETS,
            registry=registry,
        )
        self.reconcile_duration = Histogram(
            "headwind_reconcile_duration_seconds",
            "Time spent deciding one work item.",
            buckets=RECONCILE_BUCKETS,
            registry=registry,
        )
        self.reconcile_errors = Counter(
            "headwind_reconcile_errors_total", "Work item attempts that raised.", registry=registry
        )
        # registries (adapters/registry): per registry host, so one slow or limiting registry shows
        self.registry_requests = Counter(
            "headwind_registry_requests_total",
            "HTTP requests to registries, by registry host, operation (tags, manifest, token) and status "
            "(the HTTP status, or 'timeout' / 'error' when there was none).",
            ["registry", "operation", "status"],
            registry=registry,
        )
        self.registry_request_duration = Histogram(
            "headwind_registry_request_duration_seconds",
            "Time for one registry request, retries excluded.",
            ["registry", "operation"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=registry,
        )
        self.registry_errors = Counter(
            "headwind_registry_errors_total",
            "Registry operations that failed after their retries, by registry host and reason.",
            ["registry", "reason"],
            registry=registry,
        )
        self.registry_throttled = Counter(
            "headwind_registry_throttled_total",
            "429 Too Many Requests answers, by registry host (each waited out, Retry-After honoured).",
            ["registry"],
            registry=registry,
        )
        self.registry_rate_limit_remaining = Gauge(
            "headwind_registry_rate_limit_remaining",
            "Requests left in the registry's window, from its RateLimit-Remaining header (Docker Hub).",
            ["registry"],
            registry=registry,
        )
        self.registry_rate_limit = Gauge(
            "headwind_registry_rate_limit",
            "The registry's request limit per window, from its RateLimit-Limit header (Docker Hub).",
            ["registry"],
            registry=registry,
        )
        # polling (services/poller): Headwind's names, without labels, so its dashboards keep working
        self.polling_cycles = Counter(
            "headwind_polling_cycles_total",
            "Polling rounds run: each checks every repository that is due.",
            registry=registry,
        )
        self.polling_images_checked = Counter(
            "headwind_polling_images_checked_total",
            "Repositories whose tags (or current digests) a polling round fetched.",
            registry=registry,
        )
        self.polling_new_tags = Counter(
            "headwind_polling_new_tags_found_total",
            "Tags found by polling that the previous check of the repository did not list.",
            registry=registry,
        )
        self.polling_digest_changes = Counter(
            "headwind_polling_digest_changes_total",
            "Tags found by polling to point at new content since the previous check.",
            registry=registry,
        )
        self.polling_errors = Counter(
            "headwind_polling_errors_total",
            "Repository checks that failed (registry errors, unreadable pull secrets).",
            registry=registry,
        )
        self.polling_resources_filtered = Counter(
            "headwind_polling_resources_filtered_total",
            "Workload containers left out of polling by headwind.sh/event-source, policy or images.",
            registry=registry,
        )
        # webhooks (servers/webhooks)
        self.webhook_requests = Counter(
            "headwind_webhook_requests_total",
            "Webhook requests, by source (the endpoint) and HTTP status answered.",
            ["source", "status"],
            registry=registry,
        )
        self.webhook_events = Counter(
            "headwind_webhook_events_total",
            "Push events taken from webhooks, by source (Headwind counted requests to one endpoint).",
            ["source"],
            registry=registry,
        )
        self.webhook_events_processed = Gauge(
            "headwind_webhook_events_processed",
            "Push events taken from webhooks, all sources: Headwind's name (a counter in all but type).",
            registry=registry,
        )
        self.webhook_rejected = Counter(
            "headwind_webhook_rejected_total",
            "Webhook requests refused, by source and reason (unauthorized, content-type, too-large, "
            "invalid-json, invalid-payload, not-leader, queue-full).",
            ["source", "reason"],
            registry=registry,
        )
        self.webhook_auth_failures = Counter(
            "headwind_webhook_auth_failures_total",
            "Webhook requests whose token or signature was missing or wrong, by source.",
            ["source"],
            registry=registry,
        )
        # process
        self.task_restarts = Counter(
            "headwind_task_restarts_total",
            "Supervised tasks restarted after a crash.",
            ["task"],
            registry=registry,
        )
        self.leader = Gauge(
            "headwind_leader", "1 while this replica holds the leader lease.", registry=registry
        )

    def exposition(self) -> bytes:
        """The registry in Prometheus text format (what ``GET /metrics`` answers)."""
        return generate_latest(self.registry)
