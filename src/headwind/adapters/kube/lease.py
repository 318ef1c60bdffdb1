"""The leader-election Lease: one coordination.k8s.io/v1 object read and written as a small value.

Leader election (``headwind.services.leadership``) needs three operations and must tell a lost race
from a failure: *get* the Lease (absent is an answer, not an error), *create* it (409: another replica
created it first) and *replace* it on the condition that nobody wrote it since we read it (the
``resourceVersion`` precondition; 409: somebody did). Losing a race is routine between replicas, so
:meth:`LeaseClient.create` and :meth:`LeaseClient.replace` answer it with ``None``; anything else that
goes wrong (an error status, a timeout, a broken connection) raises :class:`LeaseError`, which names
the Lease and the operation.

The Lease travels as raw JSON (``_preload_content=False``) and is projected into :class:`LeaseRecord`
here, so the rest of the operator never sees a ``V1Lease`` or a dict. ``acquireTime`` and
``renewTime`` are ``MicroTime`` values (RFC 3339 with microseconds); they are informative only: who
may take over an expired lease is decided by each replica's own monotonic clock, never by comparing
timestamps written by another machine. Every call is bounded by the client's ``timeout``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from kubernetes_asyncio import client

MICRO_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class LeaseRecord:
    """What a Lease says about leadership; ``holder`` is ``""`` when nobody holds it."""

    holder: str
    lease_duration_seconds: int
    acquire_time: datetime | None
    renew_time: datetime | None
    transitions: int
    resource_version: str = ""

    def same_term(self, other: LeaseRecord | None) -> bool:
        """Whether ``other`` records the same holder, durations, times and transitions.

        A change of ``resourceVersion`` alone (someone edited a label) is not a renewal.
        """
        return other is not None and _term(self) == _term(other)


class LeaseError(Exception):
    """A Lease request failed for a reason other than losing a race; ``status`` 0 if no answer came."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class LeaseClient:
    """Reads and writes one Lease, ``namespace/name``, each call bounded by ``timeout`` seconds."""

    def __init__(self, api: client.ApiClient, *, namespace: str, name: str, timeout: float = 5.0) -> None:
        self._api = client.CoordinationV1Api(api)
        self.namespace = namespace
        self.name = name
        self.timeout = timeout

    def __str__(self) -> str:
        return f"Lease {self.namespace}/{self.name}"

    async def get(self) -> LeaseRecord | None:
        """The Lease as it is now, or ``None`` if it does not exist."""
        status, body = await self._call(
            "get",
            lambda: self._api.read_namespaced_lease(self.name, self.namespace, **self._options()),
        )
        if status == 404:
            return None
        return self._record(status, body, "get")

    async def create(self, record: LeaseRecord) -> LeaseRecord | None:
        """Create the Lease as ``record`` says; ``None`` if it already exists (another replica won)."""
        status, body = await self._call(
            "create",
            lambda: self._api.create_namespaced_lease(
                self.namespace, self._manifest(record, resource_version=""), **self._options()
            ),
        )
        if status == 409:
            return None
        return self._record(status, body, "create")

    async def replace(self, record: LeaseRecord) -> LeaseRecord | None:
        """Write ``record`` if the Lease is still at ``record.resource_version``; ``None`` if it is not
        (someone wrote it since, or deleted it)."""
        if not record.resource_version:
            raise ValueError(f"replacing {self} needs the resourceVersion it was read at")
        status, body = await self._call(
            "replace",
            lambda: self._api.replace_namespaced_lease(
                self.name,
                self.namespace,
                self._manifest(record, resource_version=record.resource_version),
                **self._options(),
            ),
        )
        if status in (404, 409):
            return None
        return self._record(status, body, "replace")

    def _options(self) -> dict[str, Any]:
        return {"_preload_content": False, "_request_timeout": self.timeout}

    async def _call(self, verb: str, request: Callable[[], Awaitable[Any]]) -> tuple[int, dict[str, Any]]:
        """Send one request and read its whole answer within ``timeout``: (status, JSON body)."""
        try:
            async with asyncio.timeout(self.timeout):
                response = await request()
                try:
                    raw = await response.read()
                finally:
                    response.release()
        except TimeoutError as error:
            raise LeaseError(f"cannot {verb} {self}: no answer within {self.timeout}s") from error
        except aiohttp.ClientError as error:
            raise LeaseError(f"cannot {verb} {self}: {error}") from error
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        return int(response.status), body if isinstance(body, dict) else {}

    def _record(self, status: int, body: dict[str, Any], verb: str) -> LeaseRecord:
        if not 200 <= status <= 299:
            reason = body.get("reason") or "error"
            message = body.get("message") or "no message"
            raise LeaseError(f"cannot {verb} {self}: {status} {reason}: {message}", status=status)
        return parse_lease(body)

    def _manifest(self, record: LeaseRecord, *, resource_version: str) -> Any:
        """The Lease's JSON (typed ``Any``: the generated API is annotated to take a ``V1Lease``)."""
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if resource_version:
            metadata["resourceVersion"] = resource_version
        spec: dict[str, Any] = {
            "holderIdentity": record.holder,
            "leaseDurationSeconds": record.lease_duration_seconds,
            "leaseTransitions": record.transitions,
        }
        if record.acquire_time is not None:
            spec["acquireTime"] = format_micro_time(record.acquire_time)
        if record.renew_time is not None:
            spec["renewTime"] = format_micro_time(record.renew_time)
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec}


def parse_lease(lease: dict[str, Any]) -> LeaseRecord:
    """Project a Lease's JSON into a :class:`LeaseRecord`; missing fields read as empty."""
    spec = lease.get("spec") or {}
    metadata = lease.get("metadata") or {}
    return LeaseRecord(
        holder=str(spec.get("holderIdentity") or ""),
        lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
        acquire_time=parse_micro_time(spec.get("acquireTime")),
        renew_time=parse_micro_time(spec.get("renewTime")),
        transitions=int(spec.get("leaseTransitions") or 0),
        resource_version=str(metadata.get("resourceVersion") or ""),
    )


def format_micro_time(moment: datetime) -> str:
    """A ``MicroTime``: RFC 3339 in UTC with microseconds, as Kubernetes writes it."""
    return moment.astimezone(UTC).strftime(MICRO_TIME)


def parse_micro_time(value: object) -> datetime | None:
    """A ``MicroTime`` (or any RFC 3339 time) as an aware datetime; ``None`` if absent or malformed.

    Malformed times are tolerated because nothing decides on them (see the module docstring).
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _term(record: LeaseRecord) -> tuple[object, ...]:
    return (
        record.holder,
        record.lease_duration_seconds,
        record.acquire_time,
        record.renew_time,
        record.transitions,
    )
