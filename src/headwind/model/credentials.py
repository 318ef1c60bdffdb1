"""Registry credentials: a username and password for one registry, and where they came from.

A :class:`Credential` never shows its password: not in ``repr``, logs or metrics. What identifies
it in caches is :attr:`Credential.fingerprint`, a hash, so that two workloads using the same
secret share a token and a tag list, while a rotated secret (a new password) is a new credential
and never reuses what the old one was granted.

:func:`parse_docker_config` reads the credentials out of a Kubernetes pull secret the way the kubelet
does, with these choices:

* The format follows the data key, not the Secret's type: ``.dockerconfigjson`` holds
  ``{"auths": {server: entry}}``, the legacy ``.dockercfg`` holds ``{server: entry}``. A
  ``kubernetes.io/dockerconfigjson`` (``dockercfg``) Secret is read from its own key only; a Secret
  of any other type (``Opaque``...) from whichever of the two it carries, ``.dockerconfigjson``
  first. The kubelet ignores those other types; accepting them costs nothing and saves a user who
  created a pull secret with ``kubectl create secret generic`` a silent anonymous pull.
* An entry's ``auth`` (``base64("user:password")``), when it is not empty, wins over its
  ``username`` and ``password``: the kubelet's ``DockerConfigEntry`` and the docker CLI both decode
  ``auth`` over whatever the other two said. The password is everything after the first ``:``.
* An entry with no ``auth``, ``username`` or ``password`` is skipped, and so is one that carries
  only an ``identitytoken`` or ``registrytoken``: those are OAuth tokens for a registry's token
  server, which the kubelet ignores too (it reads only ``auth``, ``username`` and ``password``).
  With a username or password beside them, the tokens are ignored and the entry is used.
* Server keys are matched by host only: :func:`registry_key` strips the scheme and any path
  (``https://index.docker.io/v1/`` is Docker Hub, ``ghcr.io/team`` is all of ``ghcr.io``), so a
  path-scoped key applies to its whole registry; when two keys name the same registry, the first
  in the document wins. Wildcard keys (``*.example.com``, which the kubelet globs) match nothing.
* Errors (:class:`InvalidDockerConfig`) say which key or entry is wrong and how, but never quote a
  value: the decoded text, ``auth`` and ``password`` are all secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from headwind.model.image import normalized_registry

DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
DOCKER_CFG = "kubernetes.io/dockercfg"
_CONFIG_JSON_KEY = ".dockerconfigjson"
_CFG_KEY = ".dockercfg"
_KEYS_OF_TYPE = {DOCKER_CONFIG_JSON: (_CONFIG_JSON_KEY,), DOCKER_CFG: (_CFG_KEY,)}
_ANY_KEY = (_CONFIG_JSON_KEY, _CFG_KEY)
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True, slots=True)
class Credential:
    """Basic credentials for one registry, as a pull secret or the command line gave them."""

    username: str
    password: str = field(repr=False)
    source: str = field(default="", compare=False)
    """Where they came from, for logs: ``secret demo/regcred``, ``--pull-secret``."""

    @property
    def fingerprint(self) -> str:
        """A short stable hash of username and password: a cache key that reveals neither."""
        digest = hashlib.sha256(f"{self.username}\0{self.password}".encode()).hexdigest()
        return digest[:16]


class InvalidDockerConfig(ValueError):
    """A pull secret that holds no docker config, or a broken one; the message never quotes a value."""

    def __init__(self, problem: str, source: str = "") -> None:
        super().__init__(f"{source}: {problem}" if source else problem)
        self.problem = problem
        self.source = source

    def __reduce__(self) -> tuple[type[InvalidDockerConfig], tuple[str, str]]:
        return type(self), (self.problem, self.source)


def parse_docker_config(
    secret_type: str, data: Mapping[str, str], *, source: str = ""
) -> dict[str, Credential]:
    """The credentials in a Secret's ``data`` (base64 values, as the API returns them), by registry.

    Keys are normalized registry hosts (:func:`registry_key`); every credential carries ``source``
    (``secret demo/regcred``). Raises :class:`InvalidDockerConfig` when the data has no docker config
    key, or its value is not base64, not JSON, not shaped like a docker config, or holds an ``auth``
    that is not ``base64("user:password")``.
    """
    key = _config_key(secret_type, data, source)
    document = _decoded_json(data[key], key, source)
    entries = _entries(document, key, source)
    credentials: dict[str, Credential] = {}
    for server, entry in entries.items():
        registry, prefix = _server_key(server)
        credential = _entry_credential(server, entry, key, source)
        if registry and credential is not None:
            credentials.setdefault(f"{registry}/{prefix}" if prefix else registry, credential)
    return credentials


def registry_key(server: str) -> str:
    """The registry a docker config key names, as :attr:`~headwind.model.image.ImageRef.registry` does.

    Without scheme and path, lower-cased, the port kept, Docker Hub's aliases as ``docker.io``;
    ``""`` for a key with no host.

    >>> registry_key("https://index.docker.io/v1/")
    'docker.io'
    >>> registry_key("HTTP://Registry.Example.com:5000/team")
    'registry.example.com:5000'
    """
    text = server.strip()
    scheme = _URL_SCHEME.match(text)
    host = text[scheme.end() if scheme else 0 :].partition("/")[0]
    return normalized_registry(host) if host else ""


def credential_for(registry: str, config: Mapping[str, Credential], path: str = "") -> Credential | None:
    """The credential ``config`` holds for repository ``path`` on ``registry``, or ``None``.

    Hosts are normalized with :func:`registry_key` and must match exactly, port included. A key
    with a path (``ghcr.io/team-a``) serves only repositories under it, and the longest matching
    key wins, as the kubelet matches them: one secret can hold a credential per organisation of one
    registry. Of several equally long keys, the first wins. ``path`` is the repository path
    (``team-a/app``); without it only keys without a path match.
    """
    wanted = registry_key(registry)
    if not wanted:
        return None
    best: Credential | None = None
    best_length = -1
    for server, credential in config.items():
        host, prefix = _server_key(server)
        if host != wanted or (prefix and not (path == prefix or path.startswith(prefix + "/"))):
            continue
        if len(prefix) > best_length:
            best, best_length = credential, len(prefix)
    return best


def _server_key(server: str) -> tuple[str, str]:
    """A docker config key as (registry, repository prefix); an API path (``/v1/``) is no prefix."""
    text = server.strip()
    scheme = _URL_SCHEME.match(text)
    host, _, rest = text[scheme.end() if scheme else 0 :].partition("/")
    registry = normalized_registry(host) if host else ""
    prefix = rest.strip("/").lower()
    if prefix in ("v1", "v2"):  # an API version (https://index.docker.io/v1/), not a repository
        prefix = ""
    return registry, prefix


# --- reading a secret: each step raises InvalidDockerConfig naming what is wrong -----------------------


def _config_key(secret_type: str, data: Mapping[str, str], source: str) -> str:
    """The data key holding the docker config: the type's own key, or either for another type."""
    keys = _KEYS_OF_TYPE.get(secret_type, _ANY_KEY)
    for key in keys:
        if key in data:
            return key
    wanted = " or ".join(repr(key) for key in keys)
    raise InvalidDockerConfig(
        f"its data has no {wanted} key (type {secret_type or 'unset'}), so it holds no registry credentials",
        source,
    )


def _decoded_json(value: object, key: str, source: str) -> object:
    """A data value, base64-decoded and parsed as JSON."""
    # Every `from None` below keeps the decoded secret (a UnicodeDecodeError's .object, a
    # JSONDecodeError's .doc) out of the exception chain, where a traceback or an error tracker finds it.
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except (binascii.Error, ValueError):
        raw = None
    if raw is None:
        raise InvalidDockerConfig(f"the value of {key!r} is not base64", source)
    if not raw.strip():
        raise InvalidDockerConfig(f"the value of {key!r} is empty", source)
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidDockerConfig(f"the value of {key!r} is not UTF-8 text", source) from None
    except RecursionError:
        raise InvalidDockerConfig(f"the value of {key!r} is JSON nested too deeply to read", source) from None
    except json.JSONDecodeError as error:
        # msg, line and column only: the error's own text is safe, but its .doc is the secret.
        where = f"line {error.lineno} column {error.colno}"
        raise InvalidDockerConfig(
            f"the value of {key!r} is not JSON ({error.msg} at {where})", source
        ) from None


def _entries(document: object, key: str, source: str) -> Mapping[str, Any]:
    """Server → entry: the ``auths`` object of a ``.dockerconfigjson``, the whole of a ``.dockercfg``."""
    if not isinstance(document, dict):
        raise InvalidDockerConfig(f"the value of {key!r} is JSON but not an object", source)
    if key != _CONFIG_JSON_KEY:
        return document
    auths = document.get("auths")
    if not isinstance(auths, dict):
        problem = "has no 'auths' object" if auths is None else "has an 'auths' that is not an object"
        raise InvalidDockerConfig(
            f"the value of {key!r} {problem}; it should read "
            '{"auths": {"registry.example.com": {"auth": "..."}}}',
            source,
        )
    return auths


def _entry_credential(server: str, entry: object, key: str, source: str) -> Credential | None:
    """One entry's credential; ``None`` when it has neither ``auth`` nor a username or password."""
    where = f"the entry for {server!r} in {key!r}"
    if not isinstance(entry, dict):
        raise InvalidDockerConfig(f"{where} is not an object", source)
    auth, username, password = (
        _string_field(entry, name, where, source) for name in ("auth", "username", "password")
    )
    if auth:
        username, password = _decoded_auth(auth, where, source)
    elif not username and not password:
        return None
    return Credential(username=username, password=password, source=source)


def _string_field(entry: Mapping[str, Any], name: str, where: str, source: str) -> str:
    value = entry.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidDockerConfig(f"{where} has a {name!r} that is not a string", source)
    return value


def _decoded_auth(auth: str, where: str, source: str) -> tuple[str, str]:
    """``base64("user:password")`` → user and password (which may itself hold colons)."""
    try:
        text = base64.b64decode(auth.strip(), validate=True).decode()
    except (binascii.Error, ValueError):
        raise InvalidDockerConfig(f"{where} has an 'auth' that is not base64 of UTF-8 text", source) from None
    username, colon, password = text.partition(":")
    if not colon:
        raise InvalidDockerConfig(f"{where} has an 'auth' that is not base64(\"username:password\")", source)
    return username, password
