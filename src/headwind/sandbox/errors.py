"""API errors as the apiserver reports them: a ``Status`` object with a code and a reason.

Clients branch on ``reason`` and ``code`` (kubernetes-asyncio raises ``ApiException(status=code)``,
kubectl prints ``message``), so every failure the emulator produces goes through :class:`ApiError`
and leaves as one single-line JSON ``Status``. Single-line matters: inside a watch stream the client
reads one event per line, and an error body spread over lines would be "Malformed JSON".
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A failed API call, carrying exactly what the apiserver would answer."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        """The ``metav1.Status`` body for this error."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def _details(resource: str, group: str, name: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"kind": resource}
    if group:
        details["group"] = group
    if name:
        details["name"] = name
    return details


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def _about_object(code: int, reason: str, resource: str, group: str, name: str, what: str) -> ApiError:
    return ApiError(
        code,
        reason,
        f'{_qualified(resource, group)} "{name}" {what}',
        details=_details(resource, group, name),
    )


def not_found(resource: str, group: str, name: str) -> ApiError:
    return _about_object(404, "NotFound", resource, group, name, "not found")


def already_exists(resource: str, group: str, name: str) -> ApiError:
    return _about_object(409, "AlreadyExists", resource, group, name, "already exists")


def conflict(resource: str, group: str, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}',
        details=_details(resource, group, name),
    )


STALE_OBJECT = "the object has been modified; please apply your changes to the latest version and try again"


def invalid(kind: str, group: str, name: str, field: str, why: str) -> ApiError:
    qualified = f"{kind}.{group}" if group else kind
    return ApiError(
        422,
        "Invalid",
        f'{qualified} "{name}" is invalid: {field}: {why}',
        details={**_details(kind, group, name), "causes": [{"field": field, "message": why}]},
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "Forbidden", message)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def method_not_allowed(verb: str) -> ApiError:
    return ApiError(
        405, "MethodNotAllowed", f"the server does not allow this method on the requested resource ({verb})"
    )


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format ({content_type}) - "
        f"accepted media types include: {', '.join(accepted)}",
    )


def success(resource: str, group: str, name: str, uid: str) -> dict[str, Any]:
    """The ``Status`` a DELETE answers when the object is gone at once."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {**_details(resource, group, name), "uid": uid},
    }
