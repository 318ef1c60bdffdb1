"""The OCI distribution client: tag lists and manifest digests, for every image, through one client.

Headwind (Rust) built a new registry client -- and so a new token cache and no shared limits --
for every image on every polling cycle, never paginated tag lists, and retried nothing. Here one
:class:`RegistryClient` (one aiohttp session, one :class:`~.auth.TokenCache`, one
:class:`~.limits.RegistryLimits`) serves every image of the process, and each operation

* authenticates the way the registry asked last time (a registry that challenged once gets its
  token or basic credential up front, saving a 401 round trip per request), answers a new
  ``401`` challenge, and retries exactly once on ``error="insufficient_scope"``;
* passes every HTTP request -- retries included -- through the per-registry concurrency cap and
  request budget, waits out a ``429`` (``Retry-After`` in seconds or as an HTTP date; the whole
  registry pauses, not only the request that was told), and backs off with full jitter after a
  5xx, a timeout or a dropped connection;
* reads Docker Hub's ``RateLimit-*`` headers into gauges, so the remaining pull budget shows
  before it runs out;
* fails with one :class:`~.errors.RegistryError` that names registry, repository, operation and a
  one-word reason, and is counted in ``headwind_registry_errors_total`` -- never with a bare
  aiohttp exception. Cancellation propagates untouched.

Digests come from ``HEAD`` (which Docker Hub does not count as a pull) with all four manifest
media types in ``Accept`` (distribution answers 404 for an OCI manifest a client did not say it
accepts); only a ``HEAD`` without ``Docker-Content-Digest``, or a caller that wants the platforms
of an index, costs a ``GET``. Tag lists follow ``Link: <...>; rel="next"`` up to
``max_tag_pages`` (``library/node`` has over 9,000 tags), filter each page through ``keep`` as it
arrives, and keep the registry's order: distribution does not sort them, and sorting is the
policy's business.

This module holds the API, the values it answers with, and the loop that drives one request to
an answer worth interpreting. What that loop drives lives beside it: :mod:`.transport` (one HTTP
exchange, backoff, the pause after a 429), :mod:`.authenticator` (what to send, and what to do
after a 401), :mod:`.responses` (reading answers: status, tag pages, manifests, ``Link``) and
:mod:`.hosts` (where a registry's API is).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType

import aiohttp
import structlog
from yarl import URL

from headwind.adapters.metrics import Metrics
from headwind.model.credentials import Credential

from . import hosts
from .authenticator import Authenticator
from .calls import Call
from .errors import RegistryError
from .hosts import DOCKER_HUB, DOCKER_HUB_API, is_loopback
from .limits import RegistryLimits
from .responses import (
    ACCEPT_MANIFESTS,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    INDEX_MEDIA_TYPES,
    MANIFEST_MEDIA_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
    Response,
    digest_header,
    error_detail,
    expect_ok,
    manifest_of,
    media_type_of,
    next_link,
    next_page,
    tags_of,
)
from .transport import MAX_BODY, Transient, Transport

# The names this module always had, wherever they are defined now.
__all__ = [
    "DOCKER_HUB",
    "DOCKER_HUB_API",
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "INDEX_MEDIA_TYPES",
    "MANIFEST_MEDIA_TYPES",
    "MAX_BODY",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "ManifestInfo",
    "RegistryClient",
    "RegistrySettings",
    "TagList",
    "is_loopback",
    "next_link",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    """How the client treats every registry; the defaults suit Docker Hub and GHCR alike."""

    timeout: float = 30.0
    """Total seconds for one HTTP request, from connecting to the last byte of the body."""
    max_concurrency: int = 4
    """Requests in flight to one registry host at a time."""
    requests_per_second: float = 10.0
    burst: int = 20
    """Request budget per registry host: at most ``burst + requests_per_second * t`` in ``t`` seconds."""
    max_tag_pages: int = 20
    page_size: int = 1000
    retries: int = 4
    """Extra attempts on 429, 5xx, timeouts and connection errors."""
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = 300.0
    """A longer ``Retry-After`` fails the operation (reason ``throttled``) instead of sleeping."""
    plain_http: frozenset[str] = frozenset()
    """Registry hosts spoken to over plain HTTP; loopback hosts always are."""

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be positive, not {value}"
            for name, value in (
                ("timeout", self.timeout),
                ("max_concurrency", self.max_concurrency),
                ("requests_per_second", self.requests_per_second),
                ("burst", self.burst),
                ("max_tag_pages", self.max_tag_pages),
                ("page_size", self.page_size),
            )
            if value <= 0
        ] + [
            f"{name} must not be negative, not {value}"
            for name, value in (
                ("retries", self.retries),
                ("backoff_base", self.backoff_base),
                ("backoff_cap", self.backoff_cap),
                ("max_retry_after", self.max_retry_after),
            )
            if value < 0
        ]
        if problems:
            raise ValueError("invalid registry settings: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class TagList:
    """The tags of one repository, in registry order, after the caller's filter."""

    registry: str
    path: str
    tags: tuple[str, ...]
    pages: int
    truncated: bool
    """True when ``max_tag_pages`` stopped the listing before the registry's last page."""


@dataclass(frozen=True, slots=True)
class ManifestInfo:
    """What a tag (or digest) points at: its digest and media type, and an index's children by platform."""

    digest: str
    media_type: str
    platforms: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """``"linux/arm64/v8"`` -> child digest; empty unless an index was fetched with ``platforms=True``."""

    @property
    def is_index(self) -> bool:
        """Whether this is a multi-platform index (OCI image index or Docker manifest list)."""
        return self.media_type in INDEX_MEDIA_TYPES


class RegistryClient:
    """Tags and manifests of any repository on any registry, within each registry's limits."""

    def __init__(
        self,
        settings: RegistrySettings,
        metrics: Metrics,
        *,
        session: aiohttp.ClientSession | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._metrics = metrics
        limits = RegistryLimits(
            settings.max_concurrency, settings.requests_per_second, settings.burst, clock, sleep
        )
        self._transport = Transport(
            metrics,
            limits,
            session=session,
            timeout=settings.timeout,
            retries=settings.retries,
            backoff_base=settings.backoff_base,
            backoff_cap=settings.backoff_cap,
            max_retry_after=settings.max_retry_after,
            sleep=sleep,
            jitter=jitter,
        )
        self._auth = Authenticator(self._transport, plain_http=settings.plain_http, clock=clock)

    # --- the API ---------------------------------------------------------------------------------

    async def tags(
        self,
        registry: str,
        path: str,
        credential: Credential | None,
        *,
        keep: Callable[[str], bool] | None = None,
    ) -> TagList:
        """The tags of ``registry/path`` that ``keep`` accepts, in registry order, without duplicates."""
        call = Call(registry, path, "tags", credential)
        async with self._counting_errors(call):
            base = self.base_url(registry)
            url: URL | None = URL(f"{base}/v2/{path}/tags/list").with_query(n=self.settings.page_size)
            kept: list[str] = []
            seen: set[str] = set()
            pages = 0
            while url is not None:
                response = await self._request(call, "GET", url)
                expect_ok(call, response, "the repository")
                pages += 1
                for tag in tags_of(call, response.body):
                    if tag not in seen and (keep is None or keep(tag)):
                        seen.add(tag)
                        kept.append(tag)
                url = next_page(call, base, response)
                if url is not None and pages >= self.settings.max_tag_pages:
                    log.warning(
                        "registry tag list truncated",
                        registry=registry,
                        repository=path,
                        pages=pages,
                        tags=len(kept),
                        hint="raise max_tag_pages, or narrow the tags the policy looks at",
                    )
                    return TagList(registry, path, tuple(kept), pages, truncated=True)
            return TagList(registry, path, tuple(kept), pages, truncated=False)

    async def manifest(
        self,
        registry: str,
        path: str,
        reference: str,
        credential: Credential | None,
        *,
        platforms: bool = False,
    ) -> ManifestInfo:
        """What ``reference`` (a tag or digest) resolves to; with ``platforms``, an index's children too."""
        call = Call(registry, path, "manifest", credential)
        async with self._counting_errors(call):
            url = URL(f"{self.base_url(registry)}/v2/{path}/manifests/{reference}")
            what = f"manifest {reference}"
            head = await self._request(call, "HEAD", url, accept=ACCEPT_MANIFESTS)
            expect_ok(call, head, what)
            digest = digest_header(head)
            media_type = media_type_of(head.headers.get("Content-Type"))
            # An index, or a HEAD that did not say what it is: only the body can tell the platforms.
            wants_children = platforms and media_type not in (OCI_MANIFEST, DOCKER_MANIFEST)
            if digest is not None and not wants_children:
                return ManifestInfo(digest, media_type)
            got = await self._request(call, "GET", url, accept=ACCEPT_MANIFESTS)
            expect_ok(call, got, what)
            digest, media_type, children = manifest_of(call, got, reference, platforms)
            return ManifestInfo(digest, media_type, MappingProxyType(children))

    def base_url(self, registry: str) -> URL:
        """Where ``registry``'s API is: HTTPS unless loopback or ``plain_http``; Docker Hub at its API."""
        return hosts.base_url(registry, self.settings.plain_http)

    async def close(self) -> None:
        """Close the session this client opened (a session passed in belongs to the caller)."""
        await self._transport.close()

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # --- one request: limits, retries, authentication ----------------------------------------------

    async def _request(self, call: Call, method: str, url: URL, *, accept: str | None = None) -> Response:
        """One registry request, retried and authenticated until it has an answer worth interpreting."""
        auth = await self._auth.up_front(call)
        attempt = 0
        while True:
            headers = {"Accept": accept} if accept else {}
            if auth.header is not None:
                headers["Authorization"] = auth.header
            try:
                response = await self._transport.exchange(call, method, url, headers)
            except Transient as failure:
                attempt = await self._transport.back_off(call, attempt, failure.reason, failure.message)
                continue
            status = response.status
            if status == 429:
                attempt = self._transport.throttled(call, attempt, response)
                continue
            if status >= 500:
                message = f"{status} {error_detail(response)}".rstrip()
                attempt = await self._transport.back_off(call, attempt, "server-error", message, status)
                continue
            if status == 401:
                auth = await self._auth.answer(call, response, auth)
                continue
            self._auth.accepted(call, auth)
            return response

    @asynccontextmanager
    async def _counting_errors(self, call: Call) -> AsyncIterator[None]:
        """Count failed operations; turn what a hostile or broken registry can provoke into errors.

        Parsing answers can fail in ways no check anticipates (a realm URL with a bad port, a Link
        to ``http://h:99999``, JSON nested beyond recursion, a token with a newline aiohttp refuses
        to send): all of them are the registry's fault and become reason ``protocol``, never an
        exception the poller does not expect.
        """
        try:
            yield
        except RegistryError as error:
            self._metrics.registry_errors.labels(call.registry, error.reason).inc()
            raise
        except (ValueError, RecursionError, UnicodeError) as error:
            self._metrics.registry_errors.labels(call.registry, "protocol").inc()
            raise call.error("protocol", f"unusable answer: {type(error).__name__}: {error}") from None
