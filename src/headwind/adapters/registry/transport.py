"""One HTTP exchange with a registry, and what to do when it gets no usable answer.

Both the registry requests (:mod:`.client`) and the token-server requests (:mod:`.authenticator`)
go through :class:`Transport`, so that both are timed, counted and retried the same way:

* every exchange is counted in ``headwind_registry_requests_total`` by its status (or
  ``timeout`` / ``error``) and timed -- a request cancelled before its answer is neither;
* registry requests, not token-server ones (those do not reach the registry), pass the
  registry's concurrency cap and request budget (:meth:`~.limits.RegistryLimits.slot`), and the
  registry's ``RateLimit-*`` headers are read into gauges;
* a timeout or a dropped connection is a :class:`Transient` for the caller's retry loop, never a
  bare aiohttp exception; a body over :data:`MAX_BODY` is a ``protocol`` error, read no further;
* :meth:`Transport.back_off` sleeps with full jitter (``random() * min(cap, base * 2**attempt)``)
  after a 5xx, a timeout or a dropped connection, and :meth:`Transport.throttled` answers a 429 by
  pausing the whole registry for its ``Retry-After`` -- not only the request that was told --
  unless the registry asks for longer than ``max_retry_after``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext

import aiohttp
import structlog
from multidict import CIMultiDictProxy
from yarl import URL

from headwind.adapters.metrics import Metrics

from .calls import Call
from .errors import Reason
from .limits import RegistryLimits, Sleep, rate_limit_value, retry_after_seconds
from .responses import Response

# The log lines keep the logger name they had when this code lived in client.py.
log = structlog.get_logger(__name__)

MAX_BODY = 16 * 1024 * 1024  # a manifest is at most 4 MiB in distribution; a tag page far less


class Transient(Exception):
    """A request that got no HTTP answer: worth retrying."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.message = message


class Transport:
    """The HTTP session, the registries' limits and the retry timing one client shares."""

    def __init__(
        self,
        metrics: Metrics,
        limits: RegistryLimits,
        *,
        session: aiohttp.ClientSession | None,
        timeout: float,
        retries: int,
        backoff_base: float,
        backoff_cap: float,
        max_retry_after: float,
        sleep: Sleep,
        jitter: Callable[[], float],
    ) -> None:
        self._metrics = metrics
        self._limits = limits
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self._timeout_seconds = timeout
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retries = retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._jitter = jitter

    async def exchange(
        self,
        call: Call,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        *,
        limited: bool = True,
    ) -> Response:
        """Send one HTTP request (through the registry's limits unless not ``limited``) and read it all."""
        session = self._session_()
        metric_call = call.operation
        slot: AbstractAsyncContextManager[None] = (
            self._limits.slot(call.registry) if limited else nullcontext()
        )
        async with slot:
            started = time.perf_counter()
            status: str | None = None  # stays None for a request cancelled before its answer: not counted
            try:
                async with session.request(
                    method, url, headers=headers, timeout=self._timeout, allow_redirects=True
                ) as response:
                    status = str(response.status)
                    body = b"" if method == "HEAD" else await _read_body(call, response)
                    result = Response(response.status, response.headers, body, response.url)
            except TimeoutError:  # before OSError: in 3.11 a TimeoutError is one
                status = "timeout"
                raise Transient(
                    "timeout", f"{method} {url.path} got no complete answer within {self._timeout_seconds:g}s"
                ) from None
            except (aiohttp.ClientError, OSError) as error:
                status = "error"
                raise Transient("connection", f"{method} {url.path} failed: {_describe(error)}") from None
            finally:
                if status is not None:
                    self._metrics.registry_requests.labels(call.registry, metric_call, status).inc()
                    self._metrics.registry_request_duration.labels(call.registry, metric_call).observe(
                        time.perf_counter() - started
                    )
        if limited:
            self._observe_rate_limits(call.registry, result.headers)
        return result

    async def back_off(
        self, call: Call, attempt: int, reason: Reason, message: str, status: int | None = None
    ) -> int:
        """Sleep before the next attempt, or raise when the retries are spent; the next attempt's number."""
        if attempt >= self._retries:
            tried = f" (after {attempt + 1} attempts)" if attempt else ""
            raise call.error(reason, f"{message}{tried}", status)
        delay = self._jitter() * min(self._backoff_cap, self._backoff_base * 2**attempt)
        log.info(
            "registry request failed; retrying",
            registry=call.registry,
            repository=call.path,
            operation=call.operation,
            reason=reason,
            detail=message,
            attempt=attempt + 1,
            delay=round(delay, 3),
        )
        await self._sleep(delay)
        return attempt + 1

    def throttled(self, call: Call, attempt: int, response: Response) -> int:
        """A 429: pause the whole registry for Retry-After (or a backoff), or give up."""
        self._metrics.registry_throttled.labels(call.registry).inc()
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if retry_after is not None and retry_after > self._max_retry_after:
            raise call.error(
                "throttled",
                f"429 Too Many Requests: the registry asks to wait {retry_after:.0f}s, longer than "
                f"max_retry_after ({self._max_retry_after:g}s)",
                429,
            )
        if attempt >= self._retries:
            raise call.error("throttled", f"429 Too Many Requests (after {attempt + 1} attempts)", 429)
        delay = (
            retry_after
            if retry_after is not None
            else self._jitter() * min(self._backoff_cap, self._backoff_base * 2**attempt)
        )
        log.warning(
            "registry throttled; pausing requests to it",
            registry=call.registry,
            repository=call.path,
            operation=call.operation,
            delay=round(delay, 3),
            retry_after=response.headers.get("Retry-After"),
            attempt=attempt + 1,
        )
        self._limits.pause(call.registry, delay)
        return attempt + 1

    async def close(self) -> None:
        """Close the session this transport opened (a session passed in belongs to the caller)."""
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _observe_rate_limits(self, registry: str, headers: CIMultiDictProxy[str]) -> None:
        remaining = rate_limit_value(headers.get("RateLimit-Remaining"))
        if remaining is not None:
            self._metrics.registry_rate_limit_remaining.labels(registry).set(remaining)
        limit = rate_limit_value(headers.get("RateLimit-Limit"))
        if limit is not None:
            self._metrics.registry_rate_limit.labels(registry).set(limit)

    def _session_(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the registry client is closed")
        if self._session is None:
            # trust_env: HTTPS_PROXY / NO_PROXY apply, for clusters whose only way out is a proxy.
            self._session = aiohttp.ClientSession(trust_env=True)
        return self._session


async def _read_body(call: Call, response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY:
            raise call.error(
                "protocol",
                f"the answer to {response.url.path} is larger than {MAX_BODY} bytes",
                response.status,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
