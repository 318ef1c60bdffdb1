"""An HTTP proxy in front of a registry that injects faults and records every request.

A real registry never answers ``429 Retry-After`` or ``503`` on demand, and it does not say how often a
client called it. Putting this proxy between the client and the registry lets a test script the
failures (``fail_next``), add rate-limit headers as Docker Hub sends them (``add_headers``), and
assert on what reached the wire (``requests``: method, path, status, time) -- retries, backoff,
caching and request counts are then checked against a real registry rather than a fake.

It is a reverse proxy, not a CONNECT proxy: the client is pointed at ``proxy.url`` as if it were the
registry. It forwards method, path and query (undecoded), body and end-to-end headers, and passes the
answer back unchanged except that absolute ``Location`` and ``Link`` URLs naming the upstream are
rewritten to name the proxy, so an upload's next step comes back through it too.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

# RFC 9110 section 7.6.1, plus the framing headers aiohttp computes itself.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


@dataclass(frozen=True)
class ProxiedRequest:
    """A request the proxy answered; ``at`` is ``time.monotonic()`` when it arrived."""

    method: str
    path: str
    status: int
    at: float
    injected: bool


@dataclass
class _Fault:
    status: int
    times: int
    path: re.Pattern[str] | None
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, path: str) -> bool:
        return self.path is None or self.path.search(path) is not None


class FaultyProxy:
    """A reverse proxy for ``upstream_url`` on ``127.0.0.1`` port 0 (``host``/``url`` set by ``start``)."""

    def __init__(self, upstream_url: str) -> None:
        self.upstream_url = upstream_url.rstrip("/")
        self.host = ""
        self.url = ""
        self.requests: list[ProxiedRequest] = []
        self._faults: list[_Fault] = []
        self._extra_headers: dict[str, str] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        path: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests whose path (with query) matches the regex ``path`` with
        ``status`` without reaching the registry. Queued faults apply in the order they were added."""
        fault_headers = dict(headers or {})
        if retry_after is not None:
            fault_headers["Retry-After"] = retry_after
        compiled = re.compile(path) if path is not None else None
        self._faults.append(_Fault(status, times, compiled, fault_headers))

    def add_headers(self, headers: dict[str, str]) -> None:
        """Add ``headers`` to every forwarded answer from now on."""
        self._extra_headers.update(headers)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.host = f"127.0.0.1:{self._runner.addresses[0][1]}"
        self.url = f"http://{self.host}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        fault = self._take_fault(request.raw_path)
        if fault is not None:
            response = _injected(fault)
        else:
            response = await self._forward(request)
        self.requests.append(
            ProxiedRequest(request.method, request.raw_path, response.status, arrived, fault is not None)
        )
        return response

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None, "FaultyProxy.start() was not awaited"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        body = await request.read()
        url = URL(self.upstream_url + request.raw_path, encoded=True)
        try:
            async with self._session.request(
                request.method, url, headers=headers, data=body or None, allow_redirects=False
            ) as upstream:
                answer = await upstream.read()
                response_headers = self._response_headers(upstream)
                status = upstream.status
        except aiohttp.ClientError as error:
            return web.json_response({"errors": [{"code": "PROXY", "message": str(error)}]}, status=502)
        response = web.Response(status=status, body=answer, headers=response_headers)
        if request.method == "HEAD" and "Content-Length" in upstream.headers:
            # A HEAD answer has no body, but its Content-Length (a manifest's size) is information.
            response.headers["Content-Length"] = upstream.headers["Content-Length"]
        return response

    def _response_headers(self, upstream: aiohttp.ClientResponse) -> CIMultiDict[str]:
        headers: CIMultiDict[str] = CIMultiDict()
        for name, value in upstream.headers.items():
            if name.lower() in _HOP_BY_HOP:
                continue
            if name.lower() in ("location", "link"):
                value = value.replace(self.upstream_url, self.url)
            headers.add(name, value)
        for name, value in self._extra_headers.items():
            headers[name] = value
        return headers


def _injected(fault: _Fault) -> web.Response:
    """A registry-style error body for an injected status."""
    codes = {429: "TOOMANYREQUESTS", 503: "UNAVAILABLE"}
    error = {
        "code": codes.get(fault.status, "INJECTED"),
        "message": f"injected by FaultyProxy ({fault.status})",
    }
    return web.Response(
        status=fault.status,
        body=json.dumps({"errors": [error]}).encode(),
        content_type="application/json",
        headers=fault.headers,
    )
