"""Is a webhook delivery authentic? Shared tokens and body signatures, compared in constant time.

Registries prove themselves in different ways, and many can do only one:

* a **token** the sender repeats: ``Authorization: Bearer <token>`` (Harbor's "auth header",
  ACR's and EventBridge's custom headers can carry it), ``Authorization: <token>``,
  ``X-Headwind-Token``, GitLab's ``X-Gitlab-Token``, JFrog's ``X-JFrog-Event-Auth``, or the
  ``token`` query parameter for senders that only let you set a URL (Quay, Docker Hub, Pub/Sub);
* a **signature** of the exact body with a shared secret: GitHub's ``X-Hub-Signature-256:
  sha256=<hex>`` (HMAC-SHA256), the generic ``X-Signature``/``X-Headwind-Signature: sha256=<hex>``
  (Flux's generic-hmac convention), Nexus's ``X-Nexus-Webhook-Signature: <hex>`` (HMAC-SHA1), and
  JFrog's ``X-JFrog-Event-Auth`` when payload signing is on (HMAC-SHA256 hex).

A delivery is authentic when any configured credential of its source checks out. Every comparison
uses :func:`hmac.compare_digest`, so timing reveals nothing about how much of a guess was right.
The reason for a refusal is for the log only; the sender gets a bare 401.

Headwind's "HMAC" was ``SHA256(secret || body)``, which no documented verifier computes; this is
real HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

_TOKEN_HEADERS = ("x-headwind-token", "x-gitlab-token", "x-jfrog-event-auth")
_SHA256_HEADERS = ("x-hub-signature-256", "x-signature", "x-headwind-signature")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a source may prove itself with; either may be unset."""

    token: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return bool(self.token or self.secret)


@dataclass(frozen=True, slots=True)
class WebhookAuth:
    """Credentials per webhook source, falling back to the shared ones, and whether auth is required."""

    shared: Credentials = Credentials()
    per_source: Mapping[str, Credentials] = field(default_factory=dict)
    required: bool = False

    def credentials_for(self, source: str) -> Credentials:
        own = self.per_source.get(source, Credentials())
        return Credentials(own.token or self.shared.token, own.secret or self.shared.secret)

    @property
    def configured(self) -> bool:
        return bool(self.shared) or any(self.per_source.values())


def check(
    auth: WebhookAuth, source: str, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
) -> str | None:
    """None when the delivery may be taken; else why not, for the log (never for the sender)."""
    credentials = auth.credentials_for(source)
    if not credentials:
        return (
            "webhook authentication is required, but no token or secret is configured"
            if auth.required
            else None
        )
    if credentials.token and _token_matches(credentials.token, headers, query):
        return None
    if credentials.secret and _signature_matches(credentials.secret, headers, body):
        return None
    presented = _presented(headers, query)
    if not presented:
        return "no token or signature was presented"
    return f"the presented {' and '.join(presented)} did not match"


def sign(secret: str, body: bytes) -> str:
    """The ``sha256=<hex>`` signature a sender computes (for tests and for our own clients)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _raw(text: str) -> bytes:
    """``text`` as the bytes it came from: aiohttp decodes header bytes that are not UTF-8 as
    surrogate escapes, which plain ``encode()`` refuses (a 500, before authentication)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _token_matches(token: str, headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
    expected = _raw(token)
    offered = [headers.get(name) for name in _TOKEN_HEADERS]
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, rest = authorization.partition(" ")
        offered += [authorization, rest] if scheme.lower() in ("bearer", "token") else [authorization]
    offered.append(query.get("token"))
    # Compare against every place, always: how many were tried must not depend on which matched.
    results = [hmac.compare_digest(_raw(value), expected) for value in offered if value is not None]
    return any(results)


def _signature_matches(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    key = _raw(secret)
    sha256 = hmac.new(key, body, hashlib.sha256).hexdigest()
    sha1 = hmac.new(key, body, hashlib.sha1).hexdigest()
    offered: list[tuple[str, str]] = [
        (value.strip().removeprefix("sha256=").lower(), sha256)
        for name in _SHA256_HEADERS
        if (value := headers.get(name)) is not None
    ]
    if (nexus := headers.get("x-nexus-webhook-signature")) is not None:
        offered.append((nexus.strip().lower(), sha1))
    if (jfrog := headers.get("x-jfrog-event-auth")) is not None:
        offered.append((jfrog.strip().lower(), sha256))
    results = [hmac.compare_digest(_raw(given), wanted.encode()) for given, wanted in offered]
    return any(results)


def _presented(headers: Mapping[str, str], query: Mapping[str, str]) -> list[str]:
    kinds = []
    if "authorization" in headers or any(name in headers for name in _TOKEN_HEADERS) or "token" in query:
        kinds.append("token")
    if any(name in headers for name in (*_SHA256_HEADERS, "x-nexus-webhook-signature")):
        kinds.append("signature")
    return kinds
