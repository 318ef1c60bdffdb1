"""The HTTP face of the emulator: Kubernetes REST paths onto :class:`ApiServer` calls.

Kept thin on purpose: this module parses paths, queries and bodies, applies the cross-cutting
concerns in one middleware (added latency, scripted faults, authentication, the request log, and
turning :class:`ApiError` into a ``Status`` body), authorizes each verb, and streams watches.
All object semantics live in ``apiserver.py``.

Paths are parsed by hand rather than with a route table, because Kubernetes paths are ambiguous
to a router: ``/api/v1/namespaces/x`` is a Namespace while ``/api/v1/namespaces/x/pods`` is a
collection in it, and ``/api/v1/namespaces/x/status`` is the Namespace's status subresource.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web

from . import discovery, errors
from .apiserver import APPLY_PATCH, ApiServer, DeleteOptions, ListOptions
from .auth import Access, Attributes, User
from .errors import ApiError
from .faults import Faults, LoggedRequest
from .kinds import ResourceType
from .watches import TIMEOUT, WatchStream, event_line

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024  # the apiserver's request size limit
NAMESPACE_SUBRESOURCES = ("status", "finalize")
USER = web.RequestKey("user", User)


@dataclass
class ServerSettings:
    """Knobs of the HTTP server that tests turn (short watch timeouts exercise reconnects)."""

    watch_timeout: float = 1800.0
    bookmark_interval: float = 60.0


@dataclass(frozen=True)
class Target:
    """What a resource path names."""

    group: str
    version: str
    plural: str
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    watch_path: bool = False


def parse_path(path: str) -> Target | None:
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 3 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    watch_path = rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    namespace = ""
    if (
        len(rest) >= 3
        and rest[0] == "namespaces"
        and not (len(rest) == 3 and rest[2] in NAMESPACE_SUBRESOURCES)
    ):
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    return Target(
        group,
        version,
        rest[0],
        namespace,
        rest[1] if len(rest) > 1 else "",
        rest[2] if len(rest) > 2 else "",
        watch_path,
    )


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _flag(query: Any, name: str) -> bool:
    return str(query.get(name, "")).lower() not in ("", "false", "0")


def _int(query: Any, name: str) -> int | None:
    value = query.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError as error:
        raise errors.bad_request(f"{name}: invalid value {value!r}: must be an integer") from error


class Routes:
    """Request handling for one emulator instance."""

    def __init__(self, api: ApiServer, access: Access, faults: Faults, settings: ServerSettings) -> None:
        self.api = api
        self.access = access
        self.faults = faults
        self.settings = settings
        self.streams: set[WatchStream] = set()

    def application(self, extra_routes: list[web.RouteDef] | None = None) -> web.Application:
        app = web.Application(middlewares=[self.middleware], client_max_size=MAX_BODY)
        app.router.add_routes(extra_routes or [])
        app.router.add_get("/version", self.version)
        app.router.add_get("/version/", self.version)
        for path, handler in (("/api", self.core_versions), ("/apis", self.groups)):
            app.router.add_get(path, handler)
            app.router.add_get(f"{path}/", handler)  # clients ask for both; the apiserver answers both
        for probe in ("/healthz", "/livez", "/readyz"):
            app.router.add_get(probe, self.health)
        app.router.add_route("*", "/{tail:.*}", self.resource)
        return app

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # Logged when it arrives, so a test sees a watch while it is open; status 0 until answered.
        entry = LoggedRequest(request.method, request.path, dict(request.query), request.content_type, 0, "-")
        self.faults.record(entry)
        try:
            if self.faults.latency:
                await asyncio.sleep(self.faults.latency)
            fault = self.faults.take(request.method, request.path_qs)
            if fault is not None:
                entry.status = fault.status
                return _json(fault.body(), fault.status, fault.headers())
            caller = self.access.authenticate(request.headers.get("Authorization"))
            entry.user = caller.name
            request[USER] = caller
            response: web.StreamResponse = await handler(request)
            entry.status = response.status
            return response
        except ApiError as error:
            entry.status = error.code
            return _json(error.status(), error.code, error.headers)
        except web.HTTPException as error:
            entry.status = error.status
            raise
        except ConnectionError:
            raise  # the client went away (kubectl ending a watch): aiohttp drops it quietly
        except Exception:
            entry.status = 500
            log.exception("sandbox: unhandled error in %s %s", request.method, request.path_qs)
            return _json(
                ApiError(500, "InternalError", "internal error in the sandbox emulator").status(), 500
            )

    # -- discovery and health ----------------------------------------------------------------

    async def version(self, request: web.Request) -> web.Response:
        return _json(discovery.SERVER_VERSION)

    async def core_versions(self, request: web.Request) -> web.Response:
        return _json(discovery.core_versions())

    async def groups(self, request: web.Request) -> web.Response:
        return _json(discovery.group_list(self.api.kinds))

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    def _discovery(self, path: str) -> dict[str, Any] | None:
        parts = [part for part in path.split("/") if part]
        if parts == ["api", "v1"]:
            return discovery.resource_list(self.api.kinds, "", "v1")
        if len(parts) == 2 and parts[0] == "apis":
            return discovery.group(self.api.kinds, parts[1])
        if len(parts) == 3 and parts[0] == "apis":
            return discovery.resource_list(self.api.kinds, parts[1], parts[2])
        return None

    # -- resources ---------------------------------------------------------------------------

    async def resource(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET" and (document := self._discovery(request.path)) is not None:
            return _json(document)
        target = parse_path(request.path)
        rtype = self.api.kinds.find(target.group, target.version, target.plural) if target else None
        if target is None or rtype is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if target.subresource and target.subresource not in rtype.subresources:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rtype.stored:
            return await self._review(request, rtype, target)
        verb = self._verb(request, target)
        if verb not in rtype.verbs:
            raise errors.method_not_allowed(verb)
        if rtype.namespaced and not target.namespace and target.name:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        self.access.authorize(
            request[USER],
            Attributes(verb, rtype.group, rtype.plural, target.subresource, target.namespace, target.name),
        )
        if verb == "watch":
            return await self._watch(request, rtype, target)
        return await self._act(request, rtype, target, verb)

    def _verb(self, request: web.Request, target: Target) -> str:
        method = request.method
        if method == "GET":
            if target.name:
                return "get"
            return "watch" if target.watch_path or _flag(request.query, "watch") else "list"
        if method == "POST" and not target.name:
            return "create"
        if method == "PUT" and target.name:
            return "update"
        if method == "PATCH" and target.name:
            return "patch"
        if method == "DELETE":
            return "delete" if target.name else "deletecollection"
        raise errors.method_not_allowed(method)

    async def _act(
        self, request: web.Request, rtype: ResourceType, target: Target, verb: str
    ) -> web.Response:
        api, ns, name, sub = self.api, target.namespace, target.name, target.subresource
        query = request.query
        if verb == "get":
            obj = api.stored(rtype, ns, name)
            return _json(api.scale_of(rtype, obj) if sub == "scale" else api.encode(rtype, obj))
        if verb == "list":
            return _json(api.list_objects(rtype, ns or None, self._list_options(query)))
        if verb == "create":
            body = await self._body(request)
            return _json(api.create(rtype, ns, body, dry_run=_flag(query, "dryRun")), 201)
        if verb == "update":
            body = await self._body(request)
            if sub == "scale":
                return _json(api.update_scale(rtype, ns, name, body))
            return _json(api.update(rtype, ns, name, body, subresource=sub))
        if verb == "patch":
            body = await self._body(request)
            return _json(api.patch(rtype, ns, name, body, request.content_type, subresource=sub))
        options = await self._delete_options(request)
        if verb == "delete":
            return _json(api.delete(rtype, ns, name, options))
        return _json(api.delete_collection(rtype, ns or None, self._list_options(query), options))

    def _list_options(self, query: Any) -> ListOptions:
        return ListOptions(
            query.get("labelSelector") or None,
            query.get("fieldSelector") or None,
            _int(query, "limit"),
            query.get("continue") or None,
        )

    async def _body(self, request: web.Request) -> Any:
        raw = await request.read()
        if not raw:
            raise errors.bad_request("the request body is empty")
        try:
            if request.content_type == APPLY_PATCH:
                return yaml.safe_load(raw)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as error:
            raise errors.bad_request(f"the request body is not valid JSON: {error}") from error

    async def _delete_options(self, request: web.Request) -> DeleteOptions:
        body: dict[str, Any] = {}
        if request.can_read_body:
            raw = await request.read()
            if raw.strip():
                try:
                    parsed = json.loads(raw)
                except ValueError as error:
                    raise errors.bad_request(f"the DeleteOptions body is not valid JSON: {error}") from error
                body = parsed if isinstance(parsed, dict) else {}
        query = request.query
        policy = query.get("propagationPolicy") or body.get("propagationPolicy")
        if policy is None and (body.get("orphanDependents") or _flag(query, "orphanDependents")):
            policy = "Orphan"
        preconditions = body.get("preconditions") or {}
        dry_run = _flag(query, "dryRun") or bool(body.get("dryRun"))
        return DeleteOptions(policy, preconditions.get("uid"), preconditions.get("resourceVersion"), dry_run)

    async def _review(self, request: web.Request, rtype: ResourceType, target: Target) -> web.Response:
        if request.method != "POST" or target.name:
            raise errors.method_not_allowed(request.method)
        body = await self._body(request)
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON object")
        caller: User = request[USER]
        self_review = rtype.kind == "SelfSubjectAccessReview"
        # Any authenticated user may ask what they themselves may do: clusters bind the
        # system:basic-user ClusterRole to system:authenticated (``kubectl auth can-i`` relies on it).
        if not (self_review and "system:authenticated" in caller.groups):
            self.access.authorize(caller, Attributes("create", rtype.group, rtype.plural))
        if rtype.kind == "TokenReview":
            return _json(self.access.token_review(body), 201)
        return _json(self.access.subject_access_review(body, caller if self_review else None), 201)

    # -- watch -------------------------------------------------------------------------------

    async def _watch(self, request: web.Request, rtype: ResourceType, target: Target) -> web.StreamResponse:
        query = request.query
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        try:
            stream = self.api.watch(
                rtype,
                target.namespace or None,
                self._list_options(query),
                query.get("resourceVersion") or None,
                send_initial_events=_flag(query, "sendInitialEvents"),
            )
        except ApiError as error:
            if error.code != 410:
                raise
            await response.prepare(request)
            await response.write(
                event_line("ERROR", json.dumps(error.status(), separators=(",", ":")).encode())
            )
            await response.write_eof()
            return response
        await response.prepare(request)
        self.streams.add(stream)
        try:
            await self._pump(response, rtype, stream, query)
            await response.write_eof()
        except ConnectionError:
            pass  # the client closed its watch: the normal way a watch ends from that side
        finally:
            self.streams.discard(stream)
            stream.close()
        return response

    async def _pump(
        self, response: web.StreamResponse, rtype: ResourceType, stream: WatchStream, query: Any
    ) -> None:
        loop = asyncio.get_running_loop()
        timeout = _int(query, "timeoutSeconds")
        deadline = loop.time() + (timeout if timeout is not None else self.settings.watch_timeout)
        bookmarks = _flag(query, "allowWatchBookmarks")
        interval = self.settings.bookmark_interval if bookmarks else float("inf")
        if stream.initial_events_end:
            while stream.pending:
                await response.write(stream.pending.popleft())
            await response.write(self._bookmark(rtype, initial_events_end=True))
        while (remaining := deadline - loop.time()) > 0:
            item = await stream.next(min(remaining, interval))
            if item is None:
                return
            if item is TIMEOUT:
                if bookmarks and stream.idle and loop.time() < deadline:
                    await response.write(self._bookmark(rtype))
                continue
            assert isinstance(item, bytes)
            await response.write(item)

    def _bookmark(self, rtype: ResourceType, *, initial_events_end: bool = False) -> bytes:
        metadata: dict[str, Any] = {"resourceVersion": str(self.api.store.rv)}
        if initial_events_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        bookmark = {"kind": rtype.kind, "apiVersion": rtype.api_version, "metadata": metadata}
        return event_line("BOOKMARK", json.dumps(bookmark, separators=(",", ":")).encode())
