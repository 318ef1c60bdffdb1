"""Who is calling, and may they: bearer tokens, a permission table, TokenReview and SubjectAccessReview.

The operator authenticates its own API and UI users by asking the apiserver (TokenReview) and
checks what they may do (SubjectAccessReview); it also needs to fail well when its own service
account lacks a permission (403). So the emulator authenticates every request against a token
table, answers 401 for an unknown token, authorizes against an optional permission table (403
otherwise, with the apiserver's wording), and answers both reviews from the same tables, so a
test can grant, deny and observe all of it.

Anonymous requests are allowed only when configured (the default on plain http, because kubectl
never sends credentials over http).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import errors

MASTERS = "system:masters"
ANONYMOUS = "system:anonymous"


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ("system:authenticated",)
    uid: str = ""

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"username": self.name, "groups": list(self.groups)}
        if self.uid:
            info["uid"] = self.uid
        return info


ANONYMOUS_USER = User(ANONYMOUS, ("system:unauthenticated",))


@dataclass(frozen=True)
class Permission:
    """A rule like an RBAC PolicyRule, granted to a user or group; ``*`` matches anything."""

    verbs: tuple[str, ...] = ("*",)
    groups: tuple[str, ...] = ("*",)
    resources: tuple[str, ...] = ("*",)
    namespaces: tuple[str, ...] = ("*",)

    def allows(self, verb: str, group: str, resource: str, namespace: str) -> bool:
        return (
            _any(self.verbs, verb)
            and _any(self.groups, group)
            and _any(self.resources, resource)
            and (not namespace or _any(self.namespaces, namespace))
        )


def _any(patterns: Iterable[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


@dataclass(frozen=True)
class Attributes:
    """What a request wants to do, in SubjectAccessReview terms."""

    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""

    @property
    def resource_path(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


@dataclass
class Access:
    """The token table and, when set, the permission table (None = every authenticated user may do all)."""

    tokens: dict[str, User] = field(default_factory=dict)
    allow_anonymous: bool = True
    permissions: dict[str, list[Permission]] | None = None

    def authenticate(self, authorization: str | None) -> User:
        if authorization and authorization.lower().startswith("bearer "):
            user = self.tokens.get(authorization[7:].strip())
            if user is None:
                raise errors.unauthorized()
            return user
        if authorization or not self.allow_anonymous:
            raise errors.unauthorized()
        return ANONYMOUS_USER

    def allowed(self, user: User, attributes: Attributes) -> bool:
        if self.permissions is None or MASTERS in user.groups:
            return True
        subjects = (user.name, *user.groups)
        return any(
            permission.allows(
                attributes.verb, attributes.group, attributes.resource_path, attributes.namespace
            )
            for subject in subjects
            for permission in self.permissions.get(subject, ())
        )

    def authorize(self, user: User, attributes: Attributes) -> None:
        if self.allowed(user, attributes):
            return
        scope = (
            f' in the namespace "{attributes.namespace}"' if attributes.namespace else " at the cluster scope"
        )
        group = f'API group "{attributes.group}"'
        named = f' "{attributes.name}"' if attributes.name else ""
        raise errors.forbidden(
            f'{attributes.resource}{named} is forbidden: User "{user.name}" cannot {attributes.verb} '
            f'resource "{attributes.resource_path}" in {group}{scope}'
        )

    def grant(self, subject: str, *permissions: Permission) -> None:
        """Add permissions (turning the permission table on if it was off)."""
        if self.permissions is None:
            self.permissions = {}
        self.permissions.setdefault(subject, []).extend(permissions)

    # -- reviews -----------------------------------------------------------------------------

    def token_review(self, body: Mapping[str, Any]) -> dict[str, Any]:
        token = (body.get("spec") or {}).get("token", "")
        user = self.tokens.get(token) if token else None
        status: dict[str, Any] = {"authenticated": user is not None}
        if user is not None:
            status["user"] = user.info()
        else:
            status["error"] = "invalid bearer token"
        return _review("authentication.k8s.io/v1", "TokenReview", body, status)

    def subject_access_review(self, body: Mapping[str, Any], caller: User | None = None) -> dict[str, Any]:
        """A SubjectAccessReview, or a SelfSubjectAccessReview when ``caller`` is given."""
        spec = body.get("spec") or {}
        if caller is not None:
            user = caller
            kind = "SelfSubjectAccessReview"
        else:
            user = User(spec.get("user", ""), tuple(spec.get("groups") or ()), spec.get("uid", ""))
            kind = "SubjectAccessReview"
        attrs = spec.get("resourceAttributes") or {}
        attributes = Attributes(
            verb=attrs.get("verb", ""),
            group=attrs.get("group", ""),
            resource=attrs.get("resource", ""),
            subresource=attrs.get("subresource", ""),
            namespace=attrs.get("namespace", ""),
            name=attrs.get("name", ""),
        )
        allowed = self.allowed(user, attributes)
        # Like RBAC: a reason for what is allowed, none for a denial (kubectl prints a plain "no").
        status: dict[str, Any] = {"allowed": allowed}
        if allowed:
            status["reason"] = "granted by the sandbox permission table"
        return _review("authorization.k8s.io/v1", kind, body, status)


def _review(api_version: str, kind: str, body: Mapping[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": dict(body.get("metadata") or {}),
        "spec": dict(body.get("spec") or {}),
        "status": status,
    }
