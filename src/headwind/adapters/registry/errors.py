"""The one error a registry operation raises, whatever went wrong underneath.

Callers (the poller, the CLI) must be able to tell "this repository does not exist" from "the
registry is down" from "we are being throttled" without knowing aiohttp, so every failure -- an
HTTP status, a timeout, a refused connection, a body that is not what the distribution spec says
-- becomes a :class:`RegistryError` that names the registry, the repository and the operation,
and carries a one-word ``reason`` that is also the label of ``headwind_registry_errors_total``.
Cancellation is never turned into one: it propagates as itself.
"""

from __future__ import annotations

from typing import Literal

Operation = Literal["tags", "manifest", "token"]
Reason = Literal[
    "unauthorized",  # 401 after the auth flow, or a registry that wants credentials we do not have
    "denied",  # 403
    "not-found",  # 404: no such repository, tag or manifest
    "throttled",  # 429 beyond our retries, or a Retry-After longer than we are willing to wait
    "server-error",  # 5xx beyond our retries
    "timeout",  # no complete answer within the request timeout, beyond our retries
    "connection",  # refused, reset, DNS, TLS, beyond our retries
    "protocol",  # an answer the distribution spec does not allow (bad JSON, bad Link, other 4xx)
]


class RegistryError(Exception):
    """A registry operation that failed after its retries; ``str()`` says what, where and why."""

    def __init__(
        self,
        registry: str,
        repository: str,
        operation: Operation,
        reason: Reason,
        message: str,
        status: int | None = None,
    ) -> None:
        super().__init__(registry, repository, operation, reason, message, status)
        self.registry = registry
        self.repository = repository
        self.operation: Operation = operation
        self.reason: Reason = reason
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return f"{self.operation} {self.registry}/{self.repository}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"RegistryError({self.registry!r}, {self.repository!r}, {self.operation!r}, "
            f"{self.reason!r}, {self.message!r}, status={self.status!r})"
        )
