"""The services layer: the operator's behaviour, one long-lived task per concern.

The dispatcher (event + cache + policy -> an update plan, or the reason there is none), approvals
(plans that need a human become UpdateRequest resources), the applier (patches a workload with a
precondition, records history, emits Events), rollout health and rollback, the registry and chart
poller, Helm release management, and notifications. Services are joined by queues; decisions are
delegated to ``headwind.model`` so they stay testable without I/O, and all I/O goes through
``headwind.adapters``.

May import: ``headwind.adapters``, ``headwind.model``.
Must not import: ``headwind.servers``, ``headwind.cli``, ``headwind.sandbox``.
Checked by ``lint-imports`` (contracts ``layers`` and ``operator-without-sandbox``).
"""
