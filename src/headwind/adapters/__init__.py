"""The adapters layer: the outside world, turned into model values at the boundary.

The Kubernetes client and informers (list+watch with resume, 410 re-list and backoff, and slim
projections of objects instead of whole JSON documents), container registries (OCI distribution
API, webhook payload formats), Helm repositories and release storage, and outbound HTTP
(notifications). JSON arrives here and leaves here; what goes up is ``headwind.model`` values, and
every outbound call has a timeout.

Adapters talk to Kubernetes through the real client library only, so the same code runs against a
cluster and against the sandbox emulator -- they do not know which one they face.

May import: ``headwind.model``, the standard library, client libraries.
Must not import: ``headwind.services``, ``headwind.servers``, ``headwind.cli``, ``headwind.sandbox``.
Checked by ``lint-imports`` (contracts ``layers`` and ``operator-without-sandbox``).
"""
