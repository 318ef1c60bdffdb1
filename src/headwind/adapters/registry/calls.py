"""One operation on one repository: the context every request, log line and error of it carries.

A registry operation (list the tags, resolve a manifest) is several HTTP requests -- pages, a
``HEAD`` then a ``GET``, a token fetch, retries -- spread over :mod:`.transport`,
:mod:`.authenticator` and :mod:`.responses`. Each of them must name the same registry, repository
and operation in its metrics and in the :class:`~.errors.RegistryError` it may raise, and must
describe whose access was refused without ever showing a secret. :class:`Call` is that context,
passed down instead of four loose arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from headwind.model.credentials import Credential

from .errors import Operation, Reason, RegistryError


@dataclass(frozen=True, slots=True)
class Call:
    """One operation on one repository: what metrics, logs and errors name."""

    registry: str
    path: str
    operation: Operation
    credential: Credential | None

    def error(self, reason: Reason, message: str, status: int | None = None) -> RegistryError:
        return RegistryError(self.registry, self.path, self.operation, reason, message, status)

    def as_token_call(self) -> Call:
        return Call(self.registry, self.path, "token", self.credential)

    @property
    def who(self) -> str:
        """Whose access this is, for messages: the credential's source, never its secret."""
        if self.credential is None:
            return "anonymous access"
        return f"the credential from {self.credential.source}" if self.credential.source else "the credential"
