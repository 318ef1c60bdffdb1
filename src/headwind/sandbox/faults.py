"""Fault injection and the request log: how tests provoke and observe the unhappy paths.

An operator's robustness is its behaviour under a flaky apiserver: 500s, 429 with Retry-After,
503s, conflicts, slow answers, watches cut. Tests script those here instead of hoping for them:
``faults.fail_next("GET", r"/apis/apps/v1/deployments", 429, times=3, retry_after=1)``. Every
request is also logged (method, path, query, status, user) so a test can assert on what the
operator actually sent, e.g. that it never listed the cluster per event.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """Answer the next ``times`` requests matching method and path with ``status``."""

    method: str
    path: re.Pattern[str]
    status: int
    times: int
    retry_after: float | None = None
    message: str = ""

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and self.path.search(path) is not None

    def body(self) -> dict[str, Any]:
        reasons = {
            409: "Conflict",
            429: "TooManyRequests",
            500: "InternalError",
            503: "ServiceUnavailable",
            504: "Timeout",
            403: "Forbidden",
            404: "NotFound",
            410: "Expired",
        }
        details: dict[str, Any] = {}
        if self.retry_after is not None:
            details["retryAfterSeconds"] = int(self.retry_after)
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message or f"injected fault: {self.status}",
            "reason": reasons.get(self.status, "InternalError"),
            "code": self.status,
        }
        if details:
            body["details"] = details
        return body

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(max(1, round(self.retry_after)))}


@dataclass
class LoggedRequest:
    """One request as the emulator saw it; ``status`` is 0 while it is still being answered."""

    method: str
    path: str
    query: dict[str, str]
    content_type: str
    status: int
    user: str

    @property
    def watch(self) -> bool:
        return self.query.get("watch", "").lower() not in ("", "false", "0")


@dataclass
class Faults:
    """Scripted failures, added latency and the request log."""

    latency: float = 0.0
    log_limit: int = 100_000
    _faults: list[Fault] = field(default_factory=list)
    requests: deque[LoggedRequest] = field(default_factory=deque)

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        times: int = 1,
        *,
        retry_after: float | None = None,
        message: str = "",
    ) -> Fault:
        """Fail the next ``times`` requests whose method matches (``*`` = any) and path matches the regex."""
        fault = Fault(method.upper(), re.compile(path), status, times, retry_after, message)
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault this request triggers, if any, consuming one of its times."""
        for fault in self._faults:
            if fault.times > 0 and fault.matches(method, path):
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()
        self.latency = 0.0

    @property
    def pending(self) -> int:
        return sum(fault.times for fault in self._faults)

    def record(self, request: LoggedRequest) -> None:
        self.requests.append(request)
        while len(self.requests) > self.log_limit:
            self.requests.popleft()

    def matching(self, method: str = "*", path: str = "") -> list[LoggedRequest]:
        """Logged requests by method (``*`` = any) and path regex."""
        pattern = re.compile(path)
        return [r for r in self.requests if method in ("*", r.method) and pattern.search(r.path)]
