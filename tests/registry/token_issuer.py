"""A small token server for registries with ``auth: token`` (the Docker Bearer flow).

A registry configured for token auth answers anonymous requests with ``401`` and a challenge
``Bearer realm=<this server>,service=...,scope=repository:<name>:pull``; the client fetches a JWT
here (basic auth, ``?service=...&scope=...``) and retries with it. The registry checks the token's
RS256 signature against the certificate in its ``rootcertbundle``, the issuer, the audience and the
``access`` claim, and answers a token that grants too little with ``401 insufficient_scope``.

Why our own instead of a library: a test must be able to make the server stingy on purpose
(``max_grant``: only some actions; ``narrow_next``: the next N tokens grant nothing) and to count
what clients asked for (``requests``), so client retries on ``insufficient_scope`` are proven against
a real registry. The JWT is built by hand (header.claims.signature, base64url, RSA PKCS#1 v1.5
SHA-256), which is all RS256 is, so no pyjwt. Key generation runs in an executor: RSA 2048 takes
tens of milliseconds, which the loop should not spend.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

ISSUER = "test-issuer"
DEFAULT_USERS = {"ci": "ci-pass"}


@dataclass(frozen=True)
class TokenRequest:
    """One request for a token, as the issuer saw it (``at`` is ``time.monotonic()``)."""

    account: str | None
    service: str
    scopes: tuple[str, ...]
    at: float


@dataclass(frozen=True)
class _Credentials:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


class TokenIssuer:
    """A Bearer token server on ``127.0.0.1`` port 0; ``url`` and ``cert_path`` are set by ``start``."""

    def __init__(self, workdir: Path, *, users: dict[str, str] | None = None, expires_in: int = 300) -> None:
        self.workdir = workdir
        self.users: dict[str, str] = dict(DEFAULT_USERS if users is None else users)
        self.expires_in = expires_in
        self.max_grant: set[str] | None = None
        self.narrow_next = 0
        self.requests: list[TokenRequest] = []
        self.url = ""
        self.cert_path = workdir / "token-issuer.crt"
        self._credentials: _Credentials | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Generate the key and certificate, write the certificate, and start serving ``/token``."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        self._credentials = await loop.run_in_executor(None, _generate_credentials)
        self.cert_path.write_bytes(self._credentials.cert.public_bytes(serialization.Encoding.PEM))
        app = web.Application()
        app.router.add_get("/token", self._handle_get)
        app.router.add_post("/token", self._handle_post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/token"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle_get(self, request: web.Request) -> web.Response:
        """The Docker token flow: basic auth (optional), ``service`` and repeated ``scope`` parameters."""
        scopes = _split_scopes(request.query.getall("scope", []))
        login = _basic_login(request.headers.get("Authorization", ""))
        return self._answer(login, request.query.get("service", ""), scopes)

    async def _handle_post(self, request: web.Request) -> web.Response:
        """The OAuth2 form variant (``grant_type=password``), which some clients prefer."""
        form = await request.post()
        scopes = _split_scopes([str(value) for value in form.getall("scope", [])])
        username, password = form.get("username"), form.get("password")
        login = (str(username), str(password)) if username is not None else None
        return self._answer(login, str(form.get("service", "")), scopes)

    def _answer(self, login: tuple[str, str] | None, service: str, scopes: tuple[str, ...]) -> web.Response:
        account = login[0] if login else None
        self.requests.append(TokenRequest(account, service, scopes, time.monotonic()))
        if login is not None and self.users.get(login[0]) != login[1]:
            return web.json_response({"details": "incorrect username or password"}, status=401)
        access = self._grant(account, scopes)
        now = int(time.time())
        token = self._sign(
            {
                "iss": ISSUER,
                "sub": account or "",
                "aud": service,
                "exp": now + self.expires_in,
                "nbf": now - 10,
                "iat": now,
                "jti": secrets.token_hex(16),
                "access": access,
            }
        )
        issued_at = datetime.datetime.fromtimestamp(now, datetime.UTC).isoformat().replace("+00:00", "Z")
        body = {"token": token, "access_token": token, "expires_in": self.expires_in, "issued_at": issued_at}
        return web.json_response(body)

    def _grant(self, account: str | None, scopes: tuple[str, ...]) -> list[dict[str, Any]]:
        """The ``access`` claim: nothing for anonymous users or a narrowed response, else what was asked
        (cut down to ``max_grant`` when set)."""
        if self.narrow_next > 0:
            self.narrow_next -= 1
            return []
        if account is None:
            return []
        access = []
        for scope in scopes:
            kind, name, actions = _parse_scope(scope)
            allowed = [a for a in actions if self.max_grant is None or a in self.max_grant]
            access.append({"type": kind, "name": name, "actions": allowed})
        return access

    def _sign(self, claims: dict[str, Any]) -> str:
        assert self._credentials is not None, "TokenIssuer.start() was not awaited"
        cert_der = self._credentials.cert.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(cert_der).decode()]}
        signing_input = f"{_b64url_json(header)}.{_b64url_json(claims)}".encode()
        signature = self._credentials.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode()}.{_b64url(signature)}"


def _generate_credentials() -> _Credentials:
    """An RSA 2048 key and a self-signed certificate for it (CN test-token-issuer, valid 2 days)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-token-issuer")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return _Credentials(key, cert)


def _split_scopes(values: list[str]) -> tuple[str, ...]:
    """Scopes from repeated parameters, each of which may hold several separated by spaces."""
    return tuple(scope for value in values for scope in value.split())


def _parse_scope(scope: str) -> tuple[str, str, list[str]]:
    """``repository:team/app:pull,push`` -> ("repository", "team/app", ["pull", "push"])."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    return kind, name, [action for action in actions.split(",") if action]


def _basic_login(authorization: str) -> tuple[str, str] | None:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return username, password


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())
