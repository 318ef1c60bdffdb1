"""The servers layer: the operator's HTTP faces, as thin aiohttp applications.

Registry webhooks (:8080), the approval and rollback API (:8081), the web UI (:8082) and Prometheus
metrics with health checks (:9090) -- the same ports and paths as Headwind. A handler parses and
authenticates the request, calls a service, and renders the answer; known errors become 4xx JSON
bodies with a ``message``. Anything that decides belongs in ``headwind.services``.

May import: ``headwind.services``, ``headwind.adapters``, ``headwind.model``.
Must not import: ``headwind.cli``, ``headwind.sandbox``.
Checked by ``lint-imports`` (contracts ``layers`` and ``operator-without-sandbox``).
"""
