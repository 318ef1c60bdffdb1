"""The operator's four HTTP servers, each on its own port, as Headwind has them.

Webhooks (8080), the approval API (8081), the web UI (8082) and metrics (9090) are separate
listeners so that each can be exposed, firewalled and probed on its own: registries reach the
webhook port from outside, Prometheus scrapes only the metrics port. Every listener serves the
health endpoints. The applications here are thin shells; the features that own each port
(webhook intake, approvals, UI) add their routes in their own modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from headwind.adapters.metrics import Metrics

from .health import Probes, add_health_routes

WEBHOOKS, API, UI, METRICS = "webhooks", "api", "ui", "metrics"


@dataclass(frozen=True)
class Listener:
    name: str
    host: str
    port: int


def metrics_routes(app: web.Application, metrics: Metrics) -> None:
    async def scrape(request: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", scrape)


def _bound_port(site: web.TCPSite, requested: int) -> int:
    """The port the OS gave (port 0 in tests and the sandbox means any free one)."""
    server = site._server
    sockets = getattr(server, "sockets", None) or ()
    return int(sockets[0].getsockname()[1]) if sockets else requested


class HttpServers:
    """Starts and stops the listeners; ``ports`` tells where each one actually listens."""

    def __init__(
        self,
        listeners: list[Listener],
        probes: Probes,
        metrics: Metrics,
        extra_routes: dict[str, Callable[[web.Application], None]] | None = None,
    ) -> None:
        self._listeners = listeners
        self._probes = probes
        self._metrics = metrics
        self._extra = extra_routes or {}
        self._runners: list[web.AppRunner] = []
        self.ports: dict[str, int] = {}

    def application(self, name: str) -> web.Application:
        app = web.Application()
        add_health_routes(app, self._probes)
        if name == METRICS:
            metrics_routes(app, self._metrics)
        if extra := self._extra.get(name):
            extra(app)
        return app

    async def start(self) -> None:
        """Bind every listener; if one port cannot be bound, close the others and raise."""
        try:
            for listener in self._listeners:
                runner = web.AppRunner(self.application(listener.name), access_log=None, shutdown_timeout=2.0)
                await runner.setup()
                self._runners.append(runner)
                site = web.TCPSite(runner, listener.host, listener.port)
                await site.start()
                self.ports[listener.name] = _bound_port(site, listener.port)
        except OSError:
            await self.stop()
            raise

    async def stop(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
