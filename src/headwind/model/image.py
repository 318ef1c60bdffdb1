"""Image references as a pod spec holds them: parsed, normalized, and rewritten in their own spelling.

A container's ``image`` may say ``nginx``, ``library/nginx``, ``docker.io/library/nginx:1.25``,
``index.docker.io/team/app:1``, ``localhost:5000/app``, ``[::1]:5000/app:1`` or
``app:1.2@sha256:…``. :func:`parse_image` reads every form with the grammar of
distribution/reference (what the kubelet and Docker use), and :class:`ImageRef` keeps two views:

* the *normalized* one (``registry``/``path``: ``docker.io``/``library/nginx``), so that a
  webhook for ``docker.io/library/nginx`` finds the pod that says ``nginx``; and
* the *spelling as written* (``spelled_registry``/``spelled_path``), so that an update changes
  only the tag. Headwind (Rust) rewrote ``docker.io/library/nginx:1.25`` to ``nginx:1.26``: the
  same image, but a diff against Git on every update for GitOps users, and a pod spec nobody
  wrote. :meth:`ImageRef.with_tag` keeps the registry and path exactly as they were.

Choices worth knowing:

* A tag and a digest are separate fields. ``app@sha256:…`` has a digest and no tag (Headwind read
  the hex after the colon as a tag). Rewriting to a new tag drops the old digest, which pinned the
  old tag's content; :meth:`ImageRef.with_digest` pins the same tag to new content.
* The first path component is a registry only if it has a ``.`` or ``:``, is ``localhost``, or
  has an upper-case letter (distribution's ``splitDockerDomain``: namespaces must be lower-case,
  so ``MyOrg/app`` names a registry host ``MyOrg``). Registry hosts compare lower-cased, so that
  one is ``myorg/app`` -- whose canonical spelling would read back as Docker Hub's ``myorg/app``;
  a single-label registry without a port only ever reaches us spelled in capitals.
* The four Docker Hub host names are one registry, ``docker.io``, and an official image's path is
  ``library/<name>`` there (and only there).
* The 255-character limit applies to the normalized name (``docker.io/library/…``), so that the
  canonical form of every valid reference is itself valid.
* Known digest algorithms have a fixed length of lower-case hex (``sha256`` 64, ``sha384`` 96,
  ``sha512`` 128, as go-digest registers them); any other algorithm needs at least 32 hex digits.

:func:`repository_of` is the lenient sibling of :func:`parse_image`: the informers index every
container by it, whatever its pod spec holds, and every event source normalizes with it, so that
matching an event to workloads is one dictionary lookup. It splits and normalizes with the parser's
own helpers, so for a valid reference it equals :attr:`ImageRef.repository` by construction; for
an invalid one it still answers (a key no valid event will ever match) instead of raising.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOCKER_HUB = "docker.io"
_DOCKER_HUB_ALIASES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)
_OFFICIAL_NAMESPACE = "library/"
_LATEST = "latest"
_NAME_MAX = 255
_TAG_MAX = 128
_MIN_HEX_DIGITS = 32
_HEX_DIGITS_OF = {"sha256": 64, "sha384": 96, "sha512": 128}

# Explicit ASCII classes throughout: Python's \w and \d match Unicode letters and digits, Go's do not.
_DNS_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DNS_HOST = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_IPV6_HOST = re.compile(r"\[[A-Fa-f0-9:]+\]")
_PORT = re.compile(r":[0-9]+")
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG_CHARACTERS = re.compile(r"[A-Za-z0-9_.-]+")
_DIGEST_ALGORITHM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_LOWER_HEX = re.compile(r"[0-9a-f]+")
_IMAGE_ID = re.compile(r"[0-9a-f]{64}")
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class InvalidReference(ValueError):
    """A text that is not an image reference, and the one thing wrong with it."""

    def __init__(self, reference: str, problem: str) -> None:
        super().__init__(f"invalid image reference {reference!r}: {problem}")
        self.reference = reference
        self.problem = problem

    def __reduce__(self) -> tuple[type[InvalidReference], tuple[str, str]]:
        return type(self), (self.reference, self.problem)


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One parsed image reference: normalized for matching, spelled as written for rewriting."""

    registry: str
    path: str
    tag: str | None
    digest: str | None
    spelled_registry: str
    spelled_path: str

    @property
    def repository(self) -> str:
        """``registry/path``, the key events and informers match on (``docker.io/library/nginx``)."""
        return f"{self.registry}/{self.path}"

    @property
    def effective_tag(self) -> str:
        """The tag the runtime pulls: the tag, ``latest`` if nothing is given, ``""`` if only a digest is.

        A digest-only reference runs that exact content and follows no tag; answering ``latest``
        would have Headwind compare against a tag the pod never asked for.
        """
        return self.tag or ("" if self.digest else _LATEST)

    @property
    def is_docker_hub(self) -> bool:
        return self.registry == _DOCKER_HUB

    @property
    def pinned(self) -> bool:
        """Whether a digest fixes the content, whatever the tag now points at."""
        return self.digest is not None

    def with_tag(self, tag: str, digest: str | None = None) -> str:
        """This repository, spelled as written, at ``tag`` (pinned to ``digest`` if given).

        The old digest is dropped: it pinned the old tag's content.
        """
        return _checked_reference(self._spelled_name(), tag, digest)

    def with_digest(self, digest: str) -> str:
        """This repository and tag, spelled as written, pinned to ``digest``."""
        return _checked_reference(self._spelled_name(), self.tag, digest)

    def __str__(self) -> str:
        return _compose(self._spelled_name(), self.tag, self.digest)

    def _spelled_name(self) -> str:
        return f"{self.spelled_registry}/{self.spelled_path}" if self.spelled_registry else self.spelled_path


def parse_image(text: str) -> ImageRef:
    """Parse an image reference; surrounding whitespace is ignored.

    Raises :class:`InvalidReference` (naming ``text`` as given) and nothing else, for any string.

    >>> parse_image("nginx").repository
    'docker.io/library/nginx'
    >>> parse_image("docker.io/library/nginx:1.25").with_tag("1.26")
    'docker.io/library/nginx:1.26'
    """
    reference = text.strip()
    rest, at, digest = reference.partition("@")
    name, tag = _split_tag(rest)
    domain, path = _split_domain(name)
    registry = _normalized_registry(domain)
    canonical_path = _canonical_path(registry, path)
    problem = (
        _shape_problem(reference, name, tag, at)
        or (_domain_problem(domain) if domain else None)
        or _path_problem(path)
        or (_tag_problem(tag) if tag is not None else None)
        or (_digest_problem(digest) if at else None)
        or _length_problem(f"{registry}/{canonical_path}")
    )
    if problem:
        raise InvalidReference(text, problem)
    return ImageRef(
        registry=registry,
        path=canonical_path,
        tag=tag,
        digest=digest if at else None,
        spelled_registry=domain,
        spelled_path=path,
    )


def is_valid_tag(text: str) -> bool:
    """Whether ``text`` is a tag: ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``."""
    return _tag_problem(text) is None


def is_valid_digest(text: str) -> bool:
    """Whether ``text`` is a digest: ``algorithm:hex``, with the algorithm's length of hex."""
    return _digest_problem(text) is None


def repository_of(reference: str) -> str:
    """``registry/path`` of an image reference, without tag or digest; never raises.

    >>> repository_of("nginx:1.25")
    'docker.io/library/nginx'
    >>> repository_of("localhost:5000/app@sha256:abc")
    'localhost:5000/app'
    """
    name, _tag = _split_tag(reference.strip().partition("@")[0])
    domain, path = _split_domain(name)
    registry = _normalized_registry(domain)
    return f"{registry}/{_canonical_path(registry, path.lower())}"


def repository_key(registry: str, path: str) -> str:
    """The normalized ``registry/path`` of a repository named in parts, as a webhook names it.

    Equal to :func:`repository_of` of the joined reference whenever the registry is spelled as a
    host; unlike joining, a host without a dot or port (``nexus``) still counts as the host.
    """
    normalized = _normalized_registry(registry)
    return f"{normalized}/{_canonical_path(normalized, path.strip('/').lower())}"


def normalized_registry(domain: str) -> str:
    """The registry a host as written means: ``Index.Docker.IO`` → ``docker.io``, ``GHCR.io`` → ``ghcr.io``.

    Lower-cased, the port kept, Docker Hub's aliases (and no host at all) as ``docker.io``: what
    :attr:`ImageRef.registry` holds, for code that matches registry hosts from elsewhere (the
    keys of a pull secret) against image references.
    """
    return _normalized_registry(domain)


# --- splitting (shared by parse_image and repository_of, which must agree) ------------------------


def _split_tag(name_and_tag: str) -> tuple[str, str | None]:
    """``name[:tag]`` → name and tag; the tag's ``:`` is the first one after the last ``/``."""
    colon = name_and_tag.find(":", name_and_tag.rfind("/") + 1)
    if colon < 0:
        return name_and_tag, None
    return name_and_tag[:colon], name_and_tag[colon + 1 :]


def _split_domain(name: str) -> tuple[str, str]:
    """``[domain/]path`` → domain as written (``""`` when none) and path, by docker's rule."""
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first.lower() != first):
        return first, rest
    return "", name


def _normalized_registry(domain: str) -> str:
    """The registry a domain as written means: lower-cased, Docker Hub's aliases as ``docker.io``."""
    registry = domain.lower()
    return _DOCKER_HUB if not registry or registry in _DOCKER_HUB_ALIASES else registry


def _canonical_path(registry: str, path: str) -> str:
    """The path as the registry knows it: an official Docker Hub image lives under ``library/``."""
    if registry == _DOCKER_HUB and "/" not in path:
        return _OFFICIAL_NAMESPACE + path
    return path


# --- checking: each returns the problem in one sentence, or None -----------------------------------


def _shape_problem(reference: str, name: str, tag: str | None, at: str) -> str | None:
    if not reference:
        return "it is empty"
    scheme = _URL_SCHEME.match(reference)
    if scheme:
        return f"it starts with a URL scheme ({scheme.group()!r}); name the registry host without one"
    if _IMAGE_ID.fullmatch(reference):
        return "it is a 64-hex-digit image ID, not a repository name"
    if not name:
        separator = ":" if tag is not None else at
        return f"nothing comes before the {separator!r}; a reference starts with a repository name"
    return None


def _domain_problem(domain: str) -> str | None:
    if domain.startswith("["):
        close = domain.find("]")
        host, port = (domain, "") if close < 0 else (domain[: close + 1], domain[close + 1 :])
        if not _IPV6_HOST.fullmatch(host):
            return f"registry host {host!r} is not an IPv6 address (hex digits and ':') in brackets"
    else:
        colon = domain.find(":")
        host, port = (domain, "") if colon < 0 else (domain[:colon], domain[colon:])
        if not host:
            return f"registry {domain!r} has no host before its port"
        if not _DNS_HOST.fullmatch(host):
            return f"registry host {host!r} is not a DNS name or IPv4 address (letters, digits, '-' and '.')"
    if port and not _PORT.fullmatch(port):
        if not port.startswith(":"):
            return f"registry {domain!r} has {port!r} after its host, where only ':' and a port may follow"
        if port == ":":
            return f"registry {domain!r} has an empty port after ':'"
        return f"registry port {port[1:]!r} in {domain!r} is not a number"
    return None


def _path_problem(path: str) -> str | None:
    if not path:
        return "the repository path after the registry is empty"
    for component in path.split("/"):
        if not component:
            return f"the repository path {path!r} has an empty component (a leading, trailing or doubled '/')"
        if _PATH_COMPONENT.fullmatch(component):
            continue
        if _PATH_COMPONENT.fullmatch(component.lower()):
            return f"repository name {path!r} must be lowercase"
        return (
            f"path component {component!r} is not lowercase letters and digits joined by '.', '_', '__' "
            "or dashes, starting and ending with a letter or digit"
        )
    return None


def _tag_problem(tag: str) -> str | None:
    if not tag:
        return "the tag after ':' is empty"
    if not _TAG_CHARACTERS.fullmatch(tag):
        return f"tag {tag!r} has characters other than letters, digits, '_', '.' and '-'"
    if tag[0] in ".-":
        return f"tag {tag!r} starts with {tag[0]!r}; a tag starts with a letter, digit or '_'"
    if len(tag) > _TAG_MAX:
        return f"the tag is {len(tag)} characters long; at most {_TAG_MAX} are allowed"
    return None


def _digest_problem(digest: str) -> str | None:
    if not digest:
        return "the digest after '@' is empty"
    algorithm, colon, encoded = digest.partition(":")
    if not colon:
        return f"digest {digest!r} is not algorithm:hex, as in 'sha256:' and 64 hex digits"
    if not _DIGEST_ALGORITHM.fullmatch(algorithm):
        return f"digest algorithm {algorithm!r} is not letters and digits joined by '+', '.', '-' or '_'"
    expected = _HEX_DIGITS_OF.get(algorithm)
    if expected is not None:
        if len(encoded) != expected or not _LOWER_HEX.fullmatch(encoded):
            return f"digest {digest!r} is not '{algorithm}:' and exactly {expected} lowercase hex digits"
    elif len(encoded) < _MIN_HEX_DIGITS or not _HEX.fullmatch(encoded):
        return f"digest {digest!r} is not '{algorithm}:' and at least {_MIN_HEX_DIGITS} hex digits"
    return None


def _length_problem(repository: str) -> str | None:
    if len(repository) > _NAME_MAX:
        return (
            f"the repository name is {len(repository)} characters long as {repository[:40]!r}…; "
            f"at most {_NAME_MAX} are allowed"
        )
    return None


# --- composing ---------------------------------------------------------------------------------------


def _compose(name: str, tag: str | None, digest: str | None) -> str:
    return name + (f":{tag}" if tag is not None else "") + (f"@{digest}" if digest is not None else "")


def _checked_reference(name: str, tag: str | None, digest: str | None) -> str:
    reference = _compose(name, tag, digest)
    problem = (_tag_problem(tag) if tag is not None else None) or (
        _digest_problem(digest) if digest is not None else None
    )
    if problem:
        raise InvalidReference(reference, problem)
    return reference
