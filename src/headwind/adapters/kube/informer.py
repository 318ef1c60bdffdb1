"""Informers: an always-converging, indexed, in-memory cache of one API resource.

Everything Headwind decides starts from "which workloads run this image?", and the operator must
answer that without asking the API server each time (an event storm must not become a LIST storm).
An informer LISTs the resource once, then WATCHes from the list's resourceVersion, and keeps a
*slim projection* of each object (``project``: e.g. :class:`~headwind.model.workloads.Workload`,
a few hundred bytes) rather than the whole JSON: ten thousand Deployments with their managed
fields and last-applied annotations cost hundreds of megabytes; their projections a few. Indexes
(``add_index``) are maintained on every change, so a lookup is one dictionary access.

The loops are hand-rolled rather than kubernetes-asyncio's ``Watch``, because the interesting
cases are exactly the ones ``Watch`` hides or gets wrong for an operator:

- **A watch ends normally** (the server's ``timeoutSeconds``, a proxy cutting it, a dropped
  connection): resume from the last resourceVersion seen, from an event or a BOOKMARK. No re-list.
- **410 Gone / an ERROR event**: the server no longer has our resourceVersion, so events were lost.
  Re-LIST and *replace* the cache, emitting synthetic DELETED events for objects that vanished in
  the gap and ADDED/MODIFIED for the ones that appeared or changed: handlers see one consistent
  diff and never miss a deletion. (``Watch`` retries once with the same stale version, then raises.)
- **429**: wait as long as ``Retry-After`` says. **Other errors** (5xx, network): capped
  exponential backoff with full jitter, reset once a watch delivers something, so a thousand
  operators do not hammer a recovering API server in lockstep.
- **Optional resources** (CRDs that may not be installed): if discovery says the resource is not
  served, the informer is synced (empty) and re-checks periodically; it starts when the resource
  appears and empties itself (DELETED events) if it disappears.

``run`` never returns and never dies of an API error; cancel it to stop. Handlers are called
synchronously after the cache has changed (so they can read it) and must be cheap: push a key on
a queue and return. A handler that raises is logged and the informer carries on.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import aiohttp
import structlog
from kubernetes_asyncio.client import ApiClient

from headwind.adapters.metrics import Metrics
from headwind.model.workloads import ObjectKey

from .client import NETWORK_ERRORS, ApiError, get_json, iter_lines, open_stream
from .resources import ResourceSpec, is_served

T = TypeVar("T")

ADDED = "ADDED"
MODIFIED = "MODIFIED"
DELETED = "DELETED"
BOOKMARK = "BOOKMARK"
ERROR = "ERROR"

Handler = Callable[[str, T | None, T | None], None]
IndexFunction = Callable[[T], Iterable[str]]

# A watch that delivered nothing and ended sooner than this did not prove the connection healthy:
# it counts as a failure for backoff, so a server or proxy that closes every watch at once is not
# hammered with reconnects.
MIN_HEALTHY_WATCH = 1.0
# How many times a paginated LIST is restarted when its continue token expires (410) before that
# is treated as an error with backoff.
LIST_RESTARTS = 3


@dataclass(frozen=True)
class InformerSettings:
    """How an informer talks to the API server; the defaults suit a production cluster."""

    watch_timeout: float = 300.0  # server-side timeoutSeconds, before jitter
    watch_jitter: float = 0.2  # timeoutSeconds is drawn from [t, t * (1 + jitter)]
    read_timeout_margin: float = 30.0  # client-side read timeout = timeoutSeconds + this
    request_timeout: float = 60.0  # one LIST page, one discovery request, connecting a watch
    page_size: int = 500
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 300.0  # never wait longer than this, whatever Retry-After says
    recheck_interval: float = 30.0  # how often an optional resource that is not served is re-checked


class Backoff:
    """Capped exponential backoff with full jitter: the n-th delay is uniform in [0, min(cap, base·2ⁿ)]."""

    def __init__(self, base: float, cap: float, rng: random.Random | None = None) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 32))
        self.failures += 1
        return self._rng.uniform(0, ceiling)

    def reset(self) -> None:
        self.failures = 0


class _Gone(Exception):
    """An optional resource stopped being served (404 on list or watch)."""


@dataclass
class _Stream:
    """One list+watch loop: cluster-wide (``namespace`` None) or one namespace, and the keys it owns."""

    namespace: str | None
    keys: set[ObjectKey] = field(default_factory=set)
    listed: bool = False


@dataclass(frozen=True)
class _WatchEnd:
    resume_from: str | None  # None: re-list
    reason: str  # timeout, disconnect, expired, error (the watch-restart metric's label)
    healthy: bool  # delivered something or lasted a while: resets the backoff


class Informer(Generic[T]):
    """The cache of one resource, kept by list+watch; see the module's documentation."""

    def __init__(
        self,
        api: ApiClient,
        spec: ResourceSpec,
        project: Callable[[dict[str, Any]], T],
        key_of: Callable[[T], ObjectKey],
        metrics: Metrics,
        namespaces: Sequence[str] = (),
        *,
        settings: InformerSettings | None = None,
    ) -> None:
        self.api = api
        self.spec = spec
        self.settings = settings or InformerSettings()
        self.name = f"informer:{spec}"
        self.synced = asyncio.Event()
        self.served = not spec.optional
        self._project = project
        self._key_of = key_of
        self._metrics = metrics
        self._rng = random.Random()
        scoped = sorted(set(namespaces)) if spec.namespaced else []
        self._streams = [_Stream(namespace) for namespace in scoped] or [_Stream(None)]
        self._objects: dict[ObjectKey, T] = {}
        self._versions: dict[ObjectKey, str] = {}
        self._handlers: list[Handler[T]] = []
        self._index_functions: dict[str, IndexFunction[T]] = {}
        self._indexes: dict[str, dict[str, set[ObjectKey]]] = {}
        self._indexed: dict[str, dict[ObjectKey, frozenset[str]]] = {}
        self._log = structlog.get_logger(__name__).bind(kind=spec.kind)
        metrics.informer_objects.labels(spec.kind).set(0)

    # -- reading the cache -------------------------------------------------------------------

    @property
    def namespaces(self) -> tuple[str, ...]:
        """The namespaces watched; empty when cluster-wide."""
        return tuple(stream.namespace for stream in self._streams if stream.namespace is not None)

    def get(self, key: ObjectKey) -> T | None:
        return self._objects.get(key)

    def items(self) -> list[T]:
        return list(self._objects.values())

    def keys(self) -> list[ObjectKey]:
        return list(self._objects)

    def __len__(self) -> int:
        return len(self._objects)

    def __contains__(self, key: object) -> bool:
        return key in self._objects

    def by_index(self, name: str, value: str) -> list[T]:
        """The cached objects that ``name``'s index function mapped to ``value``, in key order."""
        index = self._index(name)
        return [self._objects[key] for key in sorted(index.get(value, ()))]

    def index_values(self, name: str) -> list[str]:
        """Every value ``name``'s index currently holds (e.g. every repository some workload runs)."""
        return sorted(self._index(name))

    def _index(self, name: str) -> dict[str, set[ObjectKey]]:
        try:
            return self._indexes[name]
        except KeyError:
            raise KeyError(f"{self.name} has no index {name!r}") from None

    # -- extending -----------------------------------------------------------------------------

    def add_handler(self, handler: Handler[T]) -> None:
        """Call ``handler(event_type, old, new)`` after every change (ADDED/MODIFIED/DELETED)."""
        self._handlers.append(handler)

    def add_index(self, name: str, function: IndexFunction[T]) -> None:
        """Index objects by the values ``function`` returns; objects already cached are indexed now."""
        if name in self._index_functions:
            raise ValueError(f"{self.name} already has an index {name!r}")
        self._index_functions[name] = function
        self._indexes[name] = {}
        self._indexed[name] = {}
        for key, obj in self._objects.items():
            self._index_one(name, key, obj)

    # -- running -------------------------------------------------------------------------------

    async def run(self) -> None:
        """List and watch until cancelled; every API error is handled inside."""
        self._log.info("informer starting", resource=str(self.spec), namespaces=list(self.namespaces))
        try:
            while True:
                if self.spec.optional:
                    await self._until_served()
                try:
                    async with asyncio.TaskGroup() as group:
                        for stream in self._streams:
                            group.create_task(
                                self._run_stream(stream), name=f"{self.name}:{stream.namespace or '*'}"
                            )
                except* _Gone:
                    self._log.info("resource is no longer served; forgetting its objects", objects=len(self))
                    self._forget_all()
                    self.served = False
                    await asyncio.sleep(self.settings.recheck_interval)
        finally:
            self._log.info("informer stopped")

    async def _until_served(self) -> None:
        """Return once discovery says the resource is served; until then the (empty) cache is synced."""
        backoff = Backoff(self.settings.backoff_base, self.settings.backoff_cap, self._rng)
        announced = False
        while True:
            try:
                served = await is_served(self.api, self.spec, timeout=self.settings.request_timeout)
            except Exception as error:
                delay = self._count_error(error, backoff)
                self._log.warning("discovery failed; retrying", error=str(error), retry_in=round(delay, 3))
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            if served:
                if announced:
                    self._log.info("resource is served now; starting to watch it")
                self.served = True
                return
            if not announced:
                self._log.info(
                    "resource is not served (is its CRD installed?); re-checking periodically",
                    resource=str(self.spec),
                    every=self.settings.recheck_interval,
                )
                announced = True
            self.served = False
            self.synced.set()
            await asyncio.sleep(self.settings.recheck_interval)

    async def _run_stream(self, stream: _Stream) -> None:
        """One list+watch loop, forever: raises only :class:`_Gone` (and cancellation)."""
        log = self._log.bind(namespace=stream.namespace or "*")
        backoff = Backoff(self.settings.backoff_base, self.settings.backoff_cap, self._rng)
        resource_version: str | None = None
        while True:
            watching = False
            try:
                if resource_version is None:
                    resource_version = await self._list(stream, log)
                watching = True
                end = await self._watch(stream, resource_version, log)
            except ApiError as error:
                if error.status == 404 and self.spec.optional and await self._gone():
                    raise _Gone(str(error)) from error
                if watching:
                    reason = "expired" if error.status == 410 else "error"
                    self._metrics.informer_watch_restarts.labels(self.spec.kind, reason).inc()
                if error.status == 410:
                    resource_version = None
                delay = self._count_error(error, backoff)
                log.warning(
                    "watch failed; retrying" if watching else "list failed; retrying",
                    status=error.status,
                    error=str(error),
                    retry_in=round(delay, 3),
                )
                await asyncio.sleep(delay)
                continue
            except Exception as error:
                if watching:
                    self._metrics.informer_watch_restarts.labels(self.spec.kind, "error").inc()
                delay = self._count_error(error, backoff)
                what = "watch" if watching else "list"
                if isinstance(error, NETWORK_ERRORS):
                    log.warning(f"{what} failed; retrying", error=repr(error), retry_in=round(delay, 3))
                else:
                    log.exception(f"{what} failed unexpectedly; retrying", retry_in=round(delay, 3))
                await asyncio.sleep(delay)
                continue
            self._metrics.informer_watch_restarts.labels(self.spec.kind, end.reason).inc()
            resource_version = end.resume_from
            if end.healthy:
                backoff.reset()
            if end.reason == "error" or not end.healthy:
                await asyncio.sleep(backoff.next_delay())

    async def _gone(self) -> bool:
        """Whether discovery confirms a 404: a resource it still lists is only failing (an error to retry)."""
        try:
            return not await is_served(self.api, self.spec, timeout=self.settings.request_timeout)
        except Exception:
            return False

    def _count_error(self, error: BaseException, backoff: Backoff) -> float:
        """Count a failed request in the metrics and say how long to wait before the next one."""
        if isinstance(error, ApiError):
            status = str(error.status)
        else:
            status = "network" if isinstance(error, NETWORK_ERRORS) else "unexpected"
        self._metrics.informer_errors.labels(self.spec.kind, status).inc()
        if isinstance(error, ApiError) and error.status == 429 and error.retry_after is not None:
            backoff.failures += 1
            return min(error.retry_after, self.settings.retry_after_cap)
        return backoff.next_delay()

    # -- list ------------------------------------------------------------------------------------

    async def _list(self, stream: _Stream, log: Any) -> str:
        """LIST page by page and replace the stream's part of the cache; returns the list's version."""
        for attempt in range(LIST_RESTARTS + 1):
            self._metrics.informer_lists.labels(self.spec.kind).inc()
            try:
                fresh, resource_version = await self._list_pages(stream, log)
            except ApiError as error:
                if error.status != 410 or attempt == LIST_RESTARTS:
                    raise
                log.info("list continue token expired; listing again from the start")
                continue
            changes = self._replace(stream, fresh)
            if not stream.listed:
                stream.listed = True
                log.info("listed", objects=len(stream.keys), resource_version=resource_version)
                if all(s.listed for s in self._streams):
                    self.synced.set()
            else:
                log.info("re-listed", objects=len(stream.keys), changes=changes)
            return resource_version
        raise AssertionError("unreachable")  # pragma: no cover

    async def _list_pages(self, stream: _Stream, log: Any) -> tuple[dict[ObjectKey, tuple[T, str]], str]:
        path = self.spec.collection_path(stream.namespace)
        fresh: dict[ObjectKey, tuple[T, str]] = {}
        query = {"limit": str(self.settings.page_size)}
        while True:
            body = await get_json(self.api, path, query, timeout=self.settings.request_timeout)
            metadata = body.get("metadata") or {}
            for raw in body.get("items") or ():
                projected = self._projection(raw, log)
                if projected is not None:
                    key, obj, version = projected
                    fresh[key] = (obj, version)
            token = metadata.get("continue")
            if not token:
                return fresh, str(metadata.get("resourceVersion") or "")
            query = {"limit": str(self.settings.page_size), "continue": str(token)}

    # -- watch -----------------------------------------------------------------------------------

    def _timeout_seconds(self) -> int:
        timeout = self.settings.watch_timeout
        return max(1, int(self._rng.uniform(timeout, timeout * (1 + self.settings.watch_jitter))))

    async def _watch(self, stream: _Stream, resource_version: str, log: Any) -> _WatchEnd:
        """One watch request, from ``resource_version`` until the stream ends; how it ended."""
        timeout_seconds = self._timeout_seconds()
        query = {
            "watch": "true",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(timeout_seconds),
        }
        client_timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=self.settings.request_timeout,
            sock_read=timeout_seconds + self.settings.read_timeout_margin,
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        delivered = False
        path = self.spec.collection_path(stream.namespace)
        async with open_stream(self.api, path, query, timeout=client_timeout) as response:
            try:
                async for line in iter_lines(response.content):
                    try:
                        event = json.loads(line)
                        event_type, obj = event["type"], event["object"]
                    except (ValueError, KeyError, TypeError) as error:
                        log.warning("malformed watch event; resuming", error=str(error), line=line[:200])
                        self._metrics.informer_errors.labels(self.spec.kind, "invalid").inc()
                        return _WatchEnd(resource_version, "error", delivered)
                    if event_type == ERROR:
                        return self._error_event(obj, resource_version, delivered, log)
                    delivered = True
                    version = _resource_version(obj)
                    if event_type == BOOKMARK:
                        resource_version = version or resource_version
                    elif event_type in (ADDED, MODIFIED, DELETED):
                        self._on_event(stream, event_type, obj, log)
                        resource_version = version or resource_version
                    else:
                        log.warning("ignoring a watch event of unknown type", type=event_type)
            except NETWORK_ERRORS as error:
                elapsed = loop.time() - started
                log.debug("watch disconnected; resuming", error=repr(error), after=round(elapsed, 3))
                return _WatchEnd(resource_version, "disconnect", delivered or elapsed >= MIN_HEALTHY_WATCH)
        elapsed = loop.time() - started
        reason = "timeout" if elapsed >= 0.9 * timeout_seconds else "disconnect"
        log.debug("watch ended; resuming", reason=reason, resource_version=resource_version)
        return _WatchEnd(resource_version, reason, delivered or elapsed >= MIN_HEALTHY_WATCH)

    def _error_event(self, status: Any, resource_version: str, delivered: bool, log: Any) -> _WatchEnd:
        code = status.get("code") if isinstance(status, dict) else None
        error = ApiError.from_status(code if isinstance(code, int) else 500, status)
        if error.status == 410:
            log.info("watch expired; re-listing", resource_version=resource_version, error=str(error))
            return _WatchEnd(None, "expired", delivered)
        if error.status == 404 and self.spec.optional:
            raise error
        self._metrics.informer_errors.labels(self.spec.kind, str(error.status)).inc()
        log.warning("watch error event; re-listing", status=error.status, error=str(error))
        return _WatchEnd(None, "error", delivered)

    # -- the cache -------------------------------------------------------------------------------

    def _projection(self, raw: Any, log: Any) -> tuple[ObjectKey, T, str] | None:
        try:
            obj = self._project(raw)
            return self._key_of(obj), obj, _resource_version(raw)
        except Exception:
            metadata = raw.get("metadata") if isinstance(raw, dict) else None
            name = metadata.get("name") if isinstance(metadata, dict) else None
            log.exception("cannot project an object; ignoring it", name=name)
            return None

    def _on_event(self, stream: _Stream, event_type: str, raw: Any, log: Any) -> None:
        projected = self._projection(raw, log)
        if projected is None:
            return
        key, obj, version = projected
        if event_type == DELETED:
            self._delete(stream, key)
        else:
            self._upsert(stream, key, obj, version)

    def _replace(self, stream: _Stream, fresh: dict[ObjectKey, tuple[T, str]]) -> int:
        """Make the stream's part of the cache exactly ``fresh``; returns how many objects changed."""
        changes = 0
        for key in sorted(stream.keys - fresh.keys()):
            changes += self._delete(stream, key)
        for key, (obj, version) in fresh.items():
            changes += self._upsert(stream, key, obj, version)
        return changes

    def _upsert(self, stream: _Stream, key: ObjectKey, obj: T, version: str) -> bool:
        old = self._objects.get(key)
        if old is not None and version and self._versions.get(key) == version:
            return False
        self._objects[key] = obj
        self._versions[key] = version
        stream.keys.add(key)
        for name in self._index_functions:
            self._index_one(name, key, obj)
        self._changed(key, MODIFIED if old is not None else ADDED, old, obj)
        return True

    def _delete(self, stream: _Stream, key: ObjectKey) -> bool:
        old = self._objects.pop(key, None)
        self._versions.pop(key, None)
        stream.keys.discard(key)
        for name in self._index_functions:
            self._unindex_one(name, key)
        if old is None:
            return False
        self._changed(key, DELETED, old, None)
        return True

    def _forget_all(self) -> None:
        for stream in self._streams:
            for key in sorted(stream.keys):
                self._delete(stream, key)

    def _changed(self, key: ObjectKey, event_type: str, old: T | None, new: T | None) -> None:
        self._metrics.informer_objects.labels(self.spec.kind).set(len(self._objects))
        for handler in self._handlers:
            try:
                handler(event_type, old, new)
            except Exception:
                self._log.exception("an informer handler failed", handler=repr(handler), **key.log_fields())

    def _index_one(self, name: str, key: ObjectKey, obj: T) -> None:
        try:
            values = frozenset(self._index_functions[name](obj))
        except Exception:
            self._log.exception("an index function failed", index=name, **key.log_fields())
            values = frozenset()
        index, indexed = self._indexes[name], self._indexed[name]
        previous = indexed.get(key, frozenset())
        for value in previous - values:
            self._drop_from_bucket(index, value, key)
        for value in values - previous:
            index.setdefault(value, set()).add(key)
        if values:
            indexed[key] = values
        else:
            indexed.pop(key, None)

    def _unindex_one(self, name: str, key: ObjectKey) -> None:
        index = self._indexes[name]
        for value in self._indexed[name].pop(key, frozenset()):
            self._drop_from_bucket(index, value, key)

    @staticmethod
    def _drop_from_bucket(index: dict[str, set[ObjectKey]], value: str, key: ObjectKey) -> None:
        bucket = index.get(value)
        if bucket is not None:
            bucket.discard(key)
            if not bucket:
                del index[value]


def _resource_version(obj: Any) -> str:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    version = metadata.get("resourceVersion") if isinstance(metadata, dict) else None
    return str(version) if version else ""
