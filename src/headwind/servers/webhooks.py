"""The webhook port's routes: ``POST /webhook/<source>`` for every registry format, never a 500.

Each request goes through the same steps, and each step has its own answer:

1. **Content type** -- JSON (``application/json``, any ``application/*+json`` such as
   distribution's ``application/vnd.docker.distribution.events.v1+json``), or none at all; GitHub's
   form encoding (``payload=<json>``) on ``/webhook/ghcr``. Anything else: ``415``.
2. **Size** -- over ``HEADWIND_WEBHOOK_MAX_BODY`` (1 MiB): ``413``, decided from
   ``Content-Length`` when given and never reading more than the limit; a body that does not
   arrive within 30 s is ``408``, one that cannot be read (a broken encoding) ``400``.
3. **Authenticity** (:mod:`headwind.model.webhook_auth`) -- ``401``; the reason is logged, not sent.
4. **JSON** -- not UTF-8, not JSON, nested beyond reason: ``400`` saying so.
5. **Format** (:mod:`headwind.model.webhooks`) -- a push that cannot be read: ``400`` naming the field.
   An event that is not a push (a pull, a ping): ``202`` with ``accepted: 0``, so senders do not retry.
6. **Intake** (:class:`~headwind.services.intake.PushIntake`) -- not the leader, or the dispatcher's
   queue full: ``503`` with ``Retry-After``.

Success is ``202 {"accepted": <events>, "workloads": <queued>}``. Every answer is JSON with a
``message`` when something is wrong. Each step is counted per source in
``headwind_webhook_requests_total{source,status}``, rejections in
``headwind_webhook_rejected_total{source,reason}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qs

import aiohttp
import structlog
from aiohttp import web

from headwind.adapters.metrics import Metrics
from headwind.model.pushes import PushEvent
from headwind.model.webhook_auth import WebhookAuth, check
from headwind.model.webhooks.fields import Delivery, InvalidPayload
from headwind.model.webhooks.sources import PARSERS, Parser
from headwind.services.intake import Refused, Taken

log = structlog.get_logger(__name__)

_FORM = "application/x-www-form-urlencoded"
BODY_TIMEOUT = 30.0
"""Seconds a sender may take to deliver its body; a slower one is answered 408."""


class Intake(Protocol):
    def take(self, events: Sequence[PushEvent]) -> Taken: ...


class _Rejection(Exception):
    def __init__(
        self, status: int, reason: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.headers = dict(headers or {})


def webhook_routes(
    intake: Intake, auth: Callable[[], WebhookAuth], metrics: Metrics, *, max_body: int
) -> Callable[[web.Application], None]:
    """The route installer for the webhook listener (``HttpServers(extra_routes=...)``)."""

    def install(app: web.Application) -> None:
        for source, parser in PARSERS.items():
            handler = _Handler(source, parser, intake, auth, metrics, max_body)
            app.router.add_post(f"/webhook/{source}", handler.handle)

    return install


class _Handler:
    def __init__(
        self,
        source: str,
        parser: Parser,
        intake: Intake,
        auth: Callable[[], WebhookAuth],
        metrics: Metrics,
        max_body: int,
    ) -> None:
        self._source = source
        self._parse = parser
        self._intake = intake
        self._auth = auth
        self._metrics = metrics
        self._max_body = max_body

    async def handle(self, request: web.Request) -> web.Response:
        try:
            taken = await self._handle(request)
        except _Rejection as rejection:
            self._metrics.webhook_rejected.labels(self._source, rejection.reason).inc()
            return self._answer(rejection.status, {"message": rejection.message}, rejection.headers)
        self._metrics.webhook_events.labels(self._source).inc(taken.events)
        self._metrics.webhook_events_processed.inc(taken.events)
        return self._answer(202, {"accepted": taken.events, "workloads": taken.workloads})

    async def _handle(self, request: web.Request) -> Taken:
        content_type = self._content_type(request)
        body = await self._body(request)
        headers = {name.lower(): value for name, value in request.headers.items()}
        query = {name: value for name, value in request.query.items()}
        refusal = check(self._auth(), self._source, headers, query, body)
        if refusal is not None:
            self._metrics.webhook_auth_failures.labels(self._source).inc()
            log.warning("webhook refused", source=self._source, reason=refusal, remote=request.remote)
            raise _Rejection(401, "unauthorized", "unauthorized")
        payload = self._decode(body, content_type)
        try:
            events = self._parse(payload, Delivery(headers, query))
        except InvalidPayload as error:
            raise _Rejection(400, "invalid-payload", error.problem) from None
        try:
            taken = self._intake.take(events)
        except Refused as refused:
            raise _Rejection(
                503, refused.reason, refused.message, {"Retry-After": str(refused.retry_after)}
            ) from None
        if events:
            log.info(
                "webhook taken",
                source=self._source,
                events=[str(e) for e in events],
                workloads=taken.workloads,
            )
        return taken

    def _content_type(self, request: web.Request) -> str:
        if "Content-Type" not in request.headers:
            return "application/json"
        kind = request.content_type.lower()
        if kind in ("application/json", "text/json") or (
            kind.startswith("application/") and kind.endswith("+json")
        ):
            return "application/json"
        if kind == _FORM and self._source == "ghcr":
            return _FORM
        raise _Rejection(415, "content-type", f"unsupported content type {kind!r}; send application/json")

    async def _body(self, request: web.Request) -> bytes:
        """The whole body, however it arrives (segments, chunks), never more than the limit."""
        too_large = _Rejection(413, "too-large", f"the body is larger than {self._max_body} bytes")
        if request.content_length is not None and request.content_length > self._max_body:
            raise too_large
        parts: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                while chunk := await request.content.read(self._max_body + 1 - size):
                    parts.append(chunk)
                    size += len(chunk)
                    if size > self._max_body:
                        raise too_large
        except TimeoutError:
            raise _Rejection(408, "timeout", f"the body did not arrive within {BODY_TIMEOUT:g} s") from None
        except (web.RequestPayloadError, web.HTTPException, aiohttp.ClientError, ConnectionError) as error:
            # A body that cannot be read: a broken Content-Encoding, a connection lost midway.
            raise _Rejection(400, "unreadable", f"the body could not be read: {error}") from None
        return b"".join(parts)

    def _decode(self, body: bytes, content_type: str) -> Any:
        try:
            text = body.decode("utf-8")
            if content_type == _FORM:
                text = parse_qs(text).get("payload", [""])[0]
            return json.loads(text)
        except UnicodeDecodeError:
            raise _Rejection(400, "invalid-json", "the body is not UTF-8 text") from None
        except RecursionError:
            raise _Rejection(400, "invalid-json", "the body is nested too deeply") from None
        except ValueError as error:
            raise _Rejection(400, "invalid-json", f"the body is not JSON: {error}") from None

    def _answer(
        self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> web.Response:
        self._metrics.webhook_requests.labels(self._source, str(status)).inc()
        return web.json_response(body, status=status, headers=headers)
