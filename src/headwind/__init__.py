"""Headwind for Python: keep Kubernetes workloads and Helm releases up to date.

An asyncio Kubernetes operator, a drop-in for Headwind (headwind-sh/headwind): it watches workloads
annotated with an update policy, learns about new image tags and chart versions from registry webhooks
and polling, and applies the updates its policy allows -- after a human approval where one is wanted,
with a rollback when the new version does not become healthy.

The package is layered; imports point downward only, and ``lint-imports`` checks it:

- ``headwind.cli``       process start, subcommands, task supervision, signals, configuration;
- ``headwind.servers``   the HTTP servers: webhooks, approval API, web UI, metrics;
- ``headwind.services``  the dispatcher, approvals, applier, rollout health, poller, Helm, notifications;
- ``headwind.adapters``  the outside world: Kubernetes, registries, the Helm engine, outbound HTTP;
- ``headwind.model``     pure values and rules: image references, versions, policies, plans.

Beside the layers, ``headwind.sandbox`` is a Kubernetes API emulator for tests and demos
(``headwind sandbox``); the operator never imports it, and it imports nothing of the operator.

This top-level module stays import-free (it only knows the version), so every layer and the sandbox
may read ``headwind.__version__`` without pulling anything else in.
"""

from importlib import metadata

try:
    __version__: str = metadata.version("headwind")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
