"""Registry authentication: reading challenges, and the tokens they lead to.

A registry says how it wants to be authenticated in a ``401`` with ``WWW-Authenticate``:

* ``Basic realm="..."``: send the credential with every request;
* ``Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"``:
  ask the token server at ``realm`` for a token (``GET realm?service=...&scope=...``, with the
  credential as basic auth if there is one, anonymously otherwise), then send the token. A token
  whose scope is too small gets another ``401`` with ``error="insufficient_scope"`` and the scope it
  needs (distribution answers 401, not 403, and oras-py failed exactly there).

:func:`parse_challenge` reads the header the way RFC 7235 writes it -- quoted strings with commas
and escaped quotes inside, parameter names and schemes in any case, several challenges in one
header -- and answers ``None`` for anything it cannot read instead of raising: the header comes
from a server we do not control.

:class:`TokenCache` keeps tokens per (registry, scope, credential) until shortly before they
expire (``issued_at + expires_in``; ``expires_in`` defaults to 60 s, as the token spec says), so
that one client serving a thousand images asks the token server once per repository and minute,
not once per request. The key holds the credential's fingerprint, never the password: a rotated
secret is a new key and never reuses what the old one was granted. Concurrent requests that need
the same token wait for one fetch (:meth:`TokenCache.lock`) instead of each asking for it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from headwind.model.credentials import Credential

ANONYMOUS = "anonymous"
DEFAULT_EXPIRES_IN = 60.0  # the token spec's default when a token response has no expires_in

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_SPACE = re.compile(r"[ \t]*")


@dataclass(frozen=True, slots=True)
class Challenge:
    """One ``WWW-Authenticate`` challenge: a lower-cased scheme and its parameters (names lower-cased)."""

    scheme: str
    params: dict[str, str]

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def service(self) -> str:
        return self.params.get("service", "")

    @property
    def scope(self) -> str:
        """The scope(s) the registry asks for, space-separated as in the header; ``""`` if none."""
        return self.params.get("scope", "")

    @property
    def error(self) -> str:
        return self.params.get("error", "")

    @property
    def insufficient_scope(self) -> bool:
        return self.error == "insufficient_scope"


def parse_challenge(header: str) -> Challenge | None:
    """The first challenge of a ``WWW-Authenticate`` value, or ``None`` if it cannot be read."""
    challenges = parse_challenges(header)
    return challenges[0] if challenges else None


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge of a ``WWW-Authenticate`` value, in order; ``[]`` if it cannot be read at all.

    >>> parse_challenges('Basic realm="x", Bearer realm="https://a/t",scope="repository:b:pull,push"')[1].scope
    'repository:b:pull,push'
    """
    try:
        return _Reader(header).challenges()
    except _Unreadable:
        return []


def select_challenge(headers: list[str]) -> Challenge | None:
    """The challenge to answer among all ``WWW-Authenticate`` headers: Bearer, else Basic, else ``None``."""
    found = [challenge for header in headers for challenge in parse_challenges(header)]
    for scheme in ("bearer", "basic"):
        for challenge in found:
            if challenge.scheme == scheme:
                return challenge
    return None


class _Unreadable(Exception):
    pass


class _Reader:
    """A cursor over one header value; the grammar is RFC 7235 §2.1, read leniently."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def challenges(self) -> list[Challenge]:
        found: list[Challenge] = []
        self._skip_commas()
        while self.at < len(self.text):
            scheme = self._token()
            if scheme is None:
                raise _Unreadable
            params: dict[str, str] = {}
            self._space()
            self._params_of(params)
            found.append(Challenge(scheme.lower(), params))
            self._skip_commas()
        return found

    def _params_of(self, params: dict[str, str]) -> None:
        """``name=value`` pairs separated by commas, until the text ends or a new challenge begins."""
        start = self.at
        token68 = _TOKEN68.match(self.text, self.at)
        if token68 and not self._looks_like_param(self.at):
            # ``Negotiate abc==``: a token68 credential, not parameters; kept under its own name.
            params["token68"] = token68.group()
            self.at = token68.end()
            return
        self.at = start
        while self.at < len(self.text):
            if not self._looks_like_param(self.at):
                return  # the next challenge's scheme (or the end)
            name = self._token()
            assert name is not None  # _looks_like_param saw a token
            self._space()
            self._expect("=")
            self._space()
            params.setdefault(name.lower(), self._value())
            self._space()
            if self.at < len(self.text) and self.text[self.at] != "," and not self._looks_like_param(self.at):
                raise _Unreadable  # neither a comma nor a (leniently) space-separated next parameter
            self._skip_commas()

    def _looks_like_param(self, at: int) -> bool:
        token = _TOKEN.match(self.text, at)
        if token is None:
            return False
        at = self._after_space(token.end())
        if not self.text.startswith("=", at):
            return False
        at = self._after_space(at + 1)
        # ``abc==`` is a token68 ending in padding, and ``name=`` with nothing after it is no parameter.
        return at < len(self.text) and self.text[at] not in "=,"

    def _after_space(self, at: int) -> int:
        match = _SPACE.match(self.text, at)
        return match.end() if match else at

    def _value(self) -> str:
        if self.text.startswith('"', self.at):
            return self._quoted()
        token = self._token()
        if token is None:
            raise _Unreadable
        return token

    def _quoted(self) -> str:
        self.at += 1  # the opening quote
        out: list[str] = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and self.at + 1 < len(self.text):
                out.append(self.text[self.at + 1])
                self.at += 2
            elif char == '"':
                self.at += 1
                return "".join(out)
            else:
                out.append(char)
                self.at += 1
        raise _Unreadable  # unterminated

    def _token(self) -> str | None:
        match = _TOKEN.match(self.text, self.at)
        if match is None:
            return None
        self.at = match.end()
        return match.group()

    def _expect(self, char: str) -> None:
        if not self.text.startswith(char, self.at):
            raise _Unreadable
        self.at += 1

    def _space(self) -> None:
        match = _SPACE.match(self.text, self.at)
        if match:
            self.at = match.end()

    def _skip_commas(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in ", \t":
            self.at += 1


def basic_authorization(credential: Credential) -> str:
    """The ``Authorization`` value for basic auth with ``credential``."""
    raw = f"{credential.username}:{credential.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def default_scope(path: str) -> str:
    """The scope a pull of ``path`` needs, when no challenge named one."""
    return f"repository:{path}:pull"


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token from a token server, and how many seconds it lives from when it was issued."""

    value: str
    expires_in: float
    issued_at: float | None  # wall-clock seconds since the epoch, when the server said


class TokenResponseError(ValueError):
    """A token server answered 200 with something that is not a token response."""


def parse_token_response(body: bytes) -> Token:
    """A token response body: ``token`` or ``access_token``, optional ``expires_in`` and ``issued_at``."""
    try:
        document: Any = json.loads(body)
    except ValueError as error:
        raise TokenResponseError(f"the token response is not JSON ({error})") from None
    if not isinstance(document, dict):
        raise TokenResponseError("the token response is not a JSON object")
    value = document.get("token") or document.get("access_token")
    if not isinstance(value, str) or not value:
        raise TokenResponseError("the token response has neither 'token' nor 'access_token'")
    expires_in = document.get("expires_in")
    lifetime = (
        float(expires_in)
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0
        else DEFAULT_EXPIRES_IN
    )
    return Token(value, lifetime, _rfc3339(document.get("issued_at")))


def _rfc3339(value: object) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


CacheKey = tuple[str, str, str]


def cache_key(registry: str, scope: str, credential: Credential | None) -> CacheKey:
    """(registry, scope, credential fingerprint or ``"anonymous"``): never the password itself."""
    return (registry, scope, credential.fingerprint if credential is not None else ANONYMOUS)


class TokenCache:
    """Bearer tokens by (registry, scope, credential), each dropped ``margin`` seconds before it expires.

    Lifetimes are measured on ``clock`` (monotonic); ``issued_at`` from the server is read against
    ``wall_clock`` once, when the token is stored, and never lets a token live longer than its
    ``expires_in`` (a token server whose clock runs ahead must not make us hold tokens too long).
    """

    def __init__(
        self,
        *,
        margin: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.margin = margin
        self._clock = clock
        self._wall_clock = wall_clock
        self._tokens: dict[CacheKey, tuple[str, float]] = {}
        self._locks: dict[CacheKey, asyncio.Lock] = {}

    def get(self, key: CacheKey) -> str | None:
        """The token for ``key`` if there is one that has not (nearly) expired."""
        held = self._tokens.get(key)
        if held is None:
            return None
        value, expires_at = held
        if self._clock() >= expires_at:
            del self._tokens[key]
            return None
        return value

    def put(self, key: CacheKey, token: Token) -> None:
        """Keep ``token`` for as long as it is valid, less the margin (never beyond half its life)."""
        lifetime = token.expires_in
        if token.issued_at is not None:
            lifetime = min(lifetime, token.issued_at + token.expires_in - self._wall_clock())
        keep_for = lifetime - min(self.margin, token.expires_in / 2)
        self._prune()
        if keep_for > 0:
            self._tokens[key] = (token.value, self._clock() + keep_for)
        else:
            self._tokens.pop(key, None)

    def discard(self, key: CacheKey, value: str | None = None) -> None:
        """Forget the token for ``key`` (only if it is still ``value``, when given): it was refused."""
        held = self._tokens.get(key)
        if held is not None and (value is None or held[0] == value):
            del self._tokens[key]

    def lock(self, key: CacheKey) -> asyncio.Lock:
        """The lock to hold while fetching the token for ``key``, so that it is fetched once."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def __len__(self) -> int:
        return len(self._tokens)

    def _prune(self) -> None:
        now = self._clock()
        for key in [key for key, (_, expires_at) in self._tokens.items() if now >= expires_at]:
            del self._tokens[key]
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                del self._locks[key]
