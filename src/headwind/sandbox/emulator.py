"""The emulator as one object: start it, point a client at it, script faults, stop it.

Tests start one per test in-process (``await Emulator(config).start()`` on 127.0.0.1 port 0) and
talk to it through kubernetes-asyncio with the kubeconfig it writes; ``headwind sandbox`` runs one
for people and kubectl. Everything a test needs to provoke or observe lives here:

- :attr:`Emulator.faults` (scripted 500/429/503/409 and latency) and its request log;
- :meth:`Emulator.drop_watches` and :meth:`Emulator.compact` (forcing reconnects and 410s);
- :attr:`Emulator.clock` (advance simulated time) and :meth:`Emulator.wait_idle`;
- :attr:`Emulator.health` (which images become ready) and :attr:`Emulator.access` (tokens,
  permissions).

The same controls are served over HTTP under ``/_sandbox/`` for a sandbox in another process.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from .apiserver import ApiServer
from .auth import Access, User
from .clock import Clock, ManualClock, ScaledClock
from .controllers.base import ControllerManager
from .controllers.health import HealthOracle
from .controllers.lifecycle import GarbageCollector, NamespaceController
from .controllers.workloads import workload_controllers
from .errors import ApiError, bad_request
from .faults import Faults
from .kinds import KindRegistry
from .kubeconfig import SandboxTls, kubeconfig, write_kubeconfig
from .routes import Routes, ServerSettings
from .storage import Object, Store

log = logging.getLogger(__name__)

ADMIN_TOKEN = "sandbox-admin-token"
ADMIN = User("sandbox-admin", ("system:masters", "system:authenticated"))
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


@dataclass
class EmulatorConfig:
    """How an emulator starts; every field has the value a plain test wants."""

    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = False
    tokens: dict[str, User] = field(default_factory=lambda: {ADMIN_TOKEN: ADMIN})
    allow_anonymous: bool | None = None  # None: on for http (kubectl sends no token there), off for https
    watch_timeout: float = 1800.0
    bookmark_interval: float = 60.0
    history_limit: int = 50_000
    clock: Clock | None = None
    time_scale: float = 1.0
    unhealthy_images: str = "bad"
    controllers: bool = True
    nodes: int = 1


class Emulator:
    """A running Kubernetes API emulator."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config = config or EmulatorConfig()
        self.clock: Clock = config.clock or ScaledClock(config.time_scale)
        self.store = Store(history_limit=config.history_limit)
        self.kinds = KindRegistry()
        self.api = ApiServer(self.store, self.kinds, self.clock)
        anonymous = (not config.tls) if config.allow_anonymous is None else config.allow_anonymous
        self.access = Access(dict(config.tokens), allow_anonymous=anonymous)
        self.faults = Faults()
        self.settings = ServerSettings(config.watch_timeout, config.bookmark_interval)
        self.health = HealthOracle(config.unhealthy_images)
        self.tls = SandboxTls() if config.tls else None
        self.routes = Routes(self.api, self.access, self.faults, self.settings)
        lifecycle = [GarbageCollector(self.api), NamespaceController(self.api)]
        workloads = workload_controllers(self.api, self.health) if config.controllers else []
        self.controllers = ControllerManager([*lifecycle, *workloads])
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        """Serve on the configured address; returns the base URL (``http(s)://127.0.0.1:PORT``)."""
        self.controllers.start()
        for namespace in SYSTEM_NAMESPACES:
            self.api.ensure_namespace(namespace)
        for index in range(self.config.nodes):
            self.add_node(f"sandbox-node-{index + 1}" if self.config.nodes > 1 else "sandbox-node")
        app = self.routes.application(self._control_routes())
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        ssl_context = self.tls.server_context() if self.tls else None
        site = web.TCPSite(self._runner, self.config.host, self.config.port, ssl_context=ssl_context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        scheme = "https" if self.tls else "http"
        self.url = f"{scheme}://{self.config.host}:{port}"
        await self.controllers.wait_idle()
        return self.url

    async def stop(self) -> None:
        self.store.drop_watches()
        await self.controllers.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- clients -----------------------------------------------------------------------------

    def kubeconfig(self, token: str | None = ADMIN_TOKEN, namespace: str = "default") -> dict[str, Any]:
        return kubeconfig(
            self.url, token=token, ca_pem=self.tls.ca_pem if self.tls else None, namespace=namespace
        )

    def write_kubeconfig(
        self, path: Path, token: str | None = ADMIN_TOKEN, namespace: str = "default"
    ) -> Path:
        return write_kubeconfig(path, self.kubeconfig(token, namespace))

    # -- arranging and observing -------------------------------------------------------------

    def apply(self, obj: Object) -> Object:
        """Create an object, or replace it if it exists: how seeds and tests arrange state."""
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        rtype = self.kinds.find_kind(api_version, kind)
        if rtype is None:
            raise bad_request(f"no kind {kind!r} is served in {api_version!r}")
        metadata = obj.get("metadata") or {}
        namespace = metadata.get("namespace", "default") if rtype.namespaced else ""
        current = self.store.get(rtype.storage, namespace, metadata.get("name", ""))
        if current is None:
            return self.api.create(rtype, namespace, copy.deepcopy(obj))
        return self.api.update(rtype, namespace, metadata["name"], copy.deepcopy(obj))

    def add_node(self, name: str, *, ready: bool = True) -> Object:
        """A Node for DaemonSets to schedule on, with the status a kubelet would report."""
        node = self.apply(_node(name))
        status = {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "reason": "KubeletReady" if ready else "KubeletNotReady",
                    "lastHeartbeatTime": node["metadata"]["creationTimestamp"],
                    "lastTransitionTime": node["metadata"]["creationTimestamp"],
                }
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.31.0-headwind-sandbox",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        }
        rtype = self.api.type_of("nodes")
        return self.api.update(rtype, "", name, {**node, "status": status}, subresource="status")

    def drop_watches(self) -> int:
        """Cut every open watch, as a network blip or an apiserver restart does."""
        return self.store.drop_watches()

    def compact(self, *, drop_watches: bool = True) -> None:
        """Forget history so that resuming any watch from before now gets 410 Expired."""
        self.store.compact()
        if drop_watches:
            self.store.drop_watches()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until the simulated controllers have nothing left to do."""
        await self.controllers.wait_idle(timeout)

    async def advance(self, seconds: float) -> None:
        """Move a manual clock forward and let the controllers react."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs an emulator started with a ManualClock")
        self.clock.advance(seconds)
        await self.wait_idle()

    # -- the same controls over HTTP -----------------------------------------------------------

    def _control_routes(self) -> list[web.RouteDef]:
        return [
            web.post("/_sandbox/faults", self._http_fault),
            web.delete("/_sandbox/faults", self._http_clear_faults),
            web.post("/_sandbox/drop-watches", self._http_drop_watches),
            web.post("/_sandbox/compact", self._http_compact),
            web.post("/_sandbox/health", self._http_health),
            web.get("/_sandbox/requests", self._http_requests),
        ]

    async def _control_body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as error:
            raise bad_request(f"the request body is not valid JSON: {error}") from error
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        return body

    async def _http_fault(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        try:
            fault = self.faults.fail_next(
                str(body["method"]),
                str(body["path"]),
                int(body["status"]),
                int(body.get("times", 1)),
                retry_after=body.get("retryAfter"),
                message=str(body.get("message", "")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise bad_request(f"a fault needs method, path (regex) and status: {error}") from error
        return web.json_response(
            {"method": fault.method, "path": fault.path.pattern, "times": fault.times}, status=201
        )

    async def _http_clear_faults(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return web.json_response({"cleared": True})

    async def _http_drop_watches(self, request: web.Request) -> web.Response:
        return web.json_response({"dropped": self.drop_watches()})

    async def _http_compact(self, request: web.Request) -> web.Response:
        self.compact()
        return web.json_response({"resourceVersion": str(self.store.rv)})

    async def _http_health(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        image = body.get("image")
        if not isinstance(image, str) or not image:
            raise bad_request(
                'set a health verdict with {"image": "repo:tag", "reason": null|"ImagePullBackOff"}'
            )
        self.health.set(image, body.get("reason"))
        return web.json_response({"image": image, "reason": body.get("reason")})

    async def _http_requests(self, request: web.Request) -> web.Response:
        logged = [
            {"method": r.method, "path": r.path, "query": r.query, "status": r.status, "user": r.user}
            for r in self.faults.requests
        ]
        return web.json_response({"requests": logged})


def _node(name: str) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
        "spec": {},
    }


__all__ = ["ADMIN_TOKEN", "ApiError", "Emulator", "EmulatorConfig"]
