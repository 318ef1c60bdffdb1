"""The authentication flow of registry requests: what to send, and what to do after a ``401``.

:mod:`.auth` reads challenges and token responses and caches tokens; this module decides, per
request, which ``Authorization`` to send and how to answer a ``401``. :class:`Authenticator`
remembers, per registry, how it last asked to authenticate, and per repository the token scope
that worked, so that after the first challenge every request goes out with its token (or basic
credential) up front instead of paying a ``401`` round trip each time.

A ``401`` is answered at most twice per request (:data:`AUTH_ROUNDS`): the first challenge, then
either ``error="insufficient_scope"`` (retried once, with the scope the registry names) or a
cached token the registry no longer takes (fetched afresh, once). A freshly fetched token that is
refused, Basic credentials that are refused, or a registry that wants credentials we do not have
end in one ``unauthorized`` error that says whose access was refused -- never the secret.

Token-server requests go through the same :class:`~.transport.Transport` (timed, counted and
retried) but not the registry's request budget; a credential is never sent to a plain-HTTP token
server unless the registry itself is spoken to over plain HTTP or the token server is loopback.
"""

from __future__ import annotations

from dataclasses import dataclass

from yarl import URL

from .auth import (
    Challenge,
    Token,
    TokenCache,
    TokenResponseError,
    basic_authorization,
    cache_key,
    default_scope,
    parse_token_response,
    select_challenge,
)
from .calls import Call
from .errors import Reason
from .hosts import is_loopback, speaks_plain_http
from .limits import Clock
from .responses import Response
from .transport import Transient, Transport

AUTH_ROUNDS = 2  # 401s answered per request: the first challenge, then insufficient_scope or a stale token


@dataclass(frozen=True, slots=True)
class Auth:
    """The ``Authorization`` a request sends, and where it came from (so a refusal can be undone)."""

    header: str | None = None
    token: str | None = None  # set for a bearer token
    scope: str | None = None
    fresh: bool = False  # fetched for this request (not from the cache)
    rounds: int = 0  # 401s answered so far
    scope_retried: bool = False  # the one retry after insufficient_scope is used


class Authenticator:
    """How each registry wants to be authenticated, and the tokens that satisfy it."""

    def __init__(self, transport: Transport, *, plain_http: frozenset[str], clock: Clock) -> None:
        self._transport = transport
        self._plain_http = plain_http
        self._tokens = TokenCache(clock=clock)
        self._challenges: dict[str, Challenge] = {}  # registry host -> how it last asked to authenticate
        self._scopes: dict[tuple[str, str], str] = {}  # (registry, path) -> the token scope that worked

    async def up_front(self, call: Call) -> Auth:
        """What to send before any 401, from how the registry challenged last time."""
        challenge = self._challenges.get(call.registry)
        if challenge is None:
            return Auth()
        if challenge.scheme == "basic":
            if call.credential is None:
                return Auth()
            return Auth(basic_authorization(call.credential))
        scope = self._scopes.get((call.registry, call.path), default_scope(call.path))
        token, fresh = await self._token(call, challenge, scope)
        return Auth(f"Bearer {token}", token, scope, fresh)

    async def answer(self, call: Call, response: Response, sent: Auth) -> Auth:
        """What to send after a 401, or the ``unauthorized`` error when nothing more can help."""
        challenge = select_challenge(response.headers.getall("WWW-Authenticate", []))
        if challenge is None:
            raise call.error(
                "unauthorized",
                "401 Unauthorized without a Basic or Bearer challenge this client can answer",
                401,
            )
        self._challenges[call.registry] = challenge
        if sent.token is not None and sent.scope is not None:
            self._tokens.discard(cache_key(call.registry, sent.scope, call.credential), sent.token)
        if sent.rounds >= AUTH_ROUNDS:
            message = (
                self._refusal(call, challenge)
                if sent.token is not None
                else f"401 Unauthorized: the registry refused {call.who}"
            )
            raise call.error("unauthorized", message, 401)
        if challenge.scheme == "basic":
            if call.credential is None:
                raise call.error(
                    "unauthorized",
                    "401 Unauthorized: the registry wants credentials (Basic) and none were given; "
                    "add a pull secret for it",
                    401,
                )
            if sent.header is not None and sent.token is None:
                raise call.error(
                    "unauthorized", f"401 Unauthorized: the registry refused {call.who} (Basic)", 401
                )
            return Auth(basic_authorization(call.credential), rounds=sent.rounds + 1)
        scope_retried = sent.scope_retried
        if sent.token is not None:
            if challenge.insufficient_scope and not sent.scope_retried:
                scope_retried = True
            elif sent.fresh or challenge.insufficient_scope:
                raise call.error("unauthorized", self._refusal(call, challenge), 401)
            # else: a cached token the registry no longer takes: fetch a fresh one, once
        scope = challenge.scope or default_scope(call.path)
        token, fresh = await self._token(call, challenge, scope)
        return Auth(f"Bearer {token}", token, scope, fresh, sent.rounds + 1, scope_retried)

    def accepted(self, call: Call, auth: Auth) -> None:
        """The registry answered a request sent with ``auth``: remember the scope that worked."""
        if auth.scope is not None:
            self._scopes[(call.registry, call.path)] = auth.scope

    @staticmethod
    def _refusal(call: Call, challenge: Challenge) -> str:
        scope = f" for {challenge.scope}" if challenge.scope else ""
        if challenge.insufficient_scope:
            return (
                f"401 Unauthorized: the token server granted {call.who} less than the registry "
                f"requires{scope} (insufficient_scope); the repository may be private or not exist"
            )
        return f"401 Unauthorized: the registry refused the token granted to {call.who}{scope}"

    async def _token(self, call: Call, challenge: Challenge, scope: str) -> tuple[str, bool]:
        """A bearer token for ``scope``: cached, or from the token server (once for concurrent askers)."""
        key = cache_key(call.registry, scope, call.credential)
        cached = self._tokens.get(key)
        if cached is not None:
            return cached, False
        async with self._tokens.lock(key):
            cached = self._tokens.get(key)
            if cached is not None:
                return cached, False
            token = await self._fetch_token(call.as_token_call(), challenge, scope)
            self._tokens.put(key, token)
            return token.value, True

    async def _fetch_token(self, call: Call, challenge: Challenge, scope: str) -> Token:
        """``GET realm?service=...&scope=...``, the credential (if any) as basic auth; retried."""
        realm = self._realm_url(call, challenge)
        query = [("service", challenge.service)] if challenge.service else []
        query += [("scope", one) for one in scope.split()]
        url = realm.extend_query(query)
        headers = {"Authorization": basic_authorization(call.credential)} if call.credential else {}
        attempt = 0
        while True:
            try:
                response = await self._transport.exchange(call, "GET", url, headers, limited=False)
            except Transient as failure:
                attempt = await self._transport.back_off(call, attempt, failure.reason, failure.message)
                continue
            if response.status == 429 or response.status >= 500:
                reason: Reason = "throttled" if response.status == 429 else "server-error"
                message = f"the token server at {realm} answered {response.status}"
                attempt = await self._transport.back_off(call, attempt, reason, message, response.status)
                continue
            if response.status in (401, 403):
                raise call.error(
                    "unauthorized" if response.status == 401 else "denied",
                    f"the token server at {realm} refused {call.who} ({response.status}) for {scope}",
                    response.status,
                )
            if response.status != 200:
                raise call.error(
                    "protocol", f"the token server at {realm} answered {response.status}", response.status
                )
            try:
                return parse_token_response(response.body)
            except TokenResponseError as error:
                raise call.error("protocol", f"{error} (from {realm})", 200) from None

    def _realm_url(self, call: Call, challenge: Challenge) -> URL:
        realm = URL(challenge.realm) if challenge.realm else None
        if realm is None or realm.scheme not in ("http", "https") or not realm.host:
            raise call.error(
                "protocol", f"the Bearer challenge has no usable realm ({challenge.realm!r})", 401
            )
        registry_plain = speaks_plain_http(call.registry, self._plain_http)
        if (
            call.credential is not None
            and realm.scheme == "http"
            and not registry_plain
            and not is_loopback(realm.host)
        ):
            raise call.error(
                "unauthorized",
                f"refusing to send {call.who} over plain HTTP to the token server {realm}",
                401,
            )
        return realm
