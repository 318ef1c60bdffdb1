"""Health endpoints, the same on every port: ``/health``, ``/healthz`` and ``/readyz``.

``GET /health`` answers ``200 OK`` exactly as Headwind does, so existing probes keep working.
``/healthz`` is liveness: the event loop answers at all and no supervised task keeps crashing;
when it fails, restarting the pod is the remedy. ``/readyz`` is readiness: every informer has
synced and this replica can serve; a replica that is not ready is taken out of the Service but
not restarted. Failures answer 503 with a JSON body saying what is wrong, so ``kubectl describe``
and a curl tell the same story.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web


class Probes(Protocol):
    """What the process knows about its own health (the app layer implements it)."""

    def liveness_problems(self) -> list[str]: ...

    def readiness_problems(self) -> list[str]: ...


def _verdict(problems: list[str]) -> web.Response:
    if problems:
        return web.json_response({"status": "failing", "problems": problems}, status=503)
    return web.json_response({"status": "ok"})


def add_health_routes(app: web.Application, probes: Probes) -> None:
    async def health(request: web.Request) -> web.Response:
        if probes.liveness_problems():
            return web.Response(text="UNHEALTHY", status=503)
        return web.Response(text="OK")

    async def healthz(request: web.Request) -> web.Response:
        return _verdict(probes.liveness_problems())

    async def readyz(request: web.Request) -> web.Response:
        return _verdict(probes.readiness_problems())

    app.router.add_get("/health", health)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
