"""The registry host of a push: what the payload implies, or what the webhook URL's ``?registry=`` says.

A :class:`~headwind.model.pushes.PushEvent` must name its registry host, or it matches no
workload outside Docker Hub -- Headwind's generic format dropped the host, and so never matched a
private registry. Formats disagree on where the host is: Docker Hub implies ``docker.io``, CNCF
distribution has ``request.host``, Harbor spells it in ``resource_url``, Nexus sends none. And
what a payload implies can be wrong: a registry behind a proxy or a pull-through mirror knows
itself by an internal name, not the one pod specs say. So every source ends with one call,
:func:`registry_override`: the ``registry`` query parameter of the webhook URL, when given,
replaces the implied host, and a delivery with neither is refused with the fix in the message.

Hosts come back as image references spell them: lower-cased, the port kept as written (a
``:443`` is kept too: ``registry.example.com:443/app`` and ``registry.example.com/app`` are two
spellings a pod spec may use, and we do not guess which), Docker Hub's aliases as ``docker.io``.
"""

from __future__ import annotations

import re

from headwind.model.image import normalized_registry
from headwind.model.webhooks.fields import Delivery, InvalidPayload

_DNS_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(rf"(?:{_DNS_LABEL}(?:\.{_DNS_LABEL})*|\[[A-Fa-f0-9:]+\])(?::[0-9]+)?")
_HTTP_URL = re.compile(r"https?://([^/?#]*)", re.IGNORECASE)
_HOST_MAX = 255
_NO_HOST = "no registry host: add ?registry=<host> to the webhook URL"


def is_host(text: str) -> bool:
    """Whether ``text`` is a registry host as image references spell it: ``host[:port]``."""
    return len(text) <= _HOST_MAX and _HOST.fullmatch(text) is not None


def is_overridden(delivery: Delivery) -> bool:
    """Whether the webhook URL names the registry (``?registry=``), so the payload's host is not needed."""
    return "registry" in delivery.query


def registry_override(delivery: Delivery, implied: str | None) -> str:
    """The registry host of a delivery's pushes: ``?registry=`` if given, else ``implied``.

    Raises :class:`InvalidPayload` when the override is not a ``host[:port]`` (a URL, a path), and
    when there is no host at all or the implied one is not a host, saying how to add one. Parsers
    check the payload's host themselves where they can name its field.
    """
    override = delivery.query.get("registry")
    if override is not None:
        if not isinstance(override, str) or not is_host(override):
            raise InvalidPayload(
                f"query parameter registry: expected a registry host[:port] such as "
                f"registry.example.com:5000, got {str(override)[:80]!r}"
            )
        return normalized_registry(override)
    if not implied:
        raise InvalidPayload(_NO_HOST)
    if not is_host(implied):
        raise InvalidPayload(
            f"the registry host the payload names, {implied[:80]!r}, is not a host[:port]; "
            "add ?registry=<host> to the webhook URL"
        )
    return normalized_registry(implied)


def host_of_url(url: str) -> str | None:
    """The ``host[:port]`` of an ``http(s)`` URL, lower-cased; None for anything else.

    User information (``user:password@``) is dropped; a URL whose authority is not a valid host
    (empty, spaces, a malformed port) has none.
    """
    match = _HTTP_URL.match(url)
    if match is None:
        return None
    authority = match.group(1).rpartition("@")[2]
    return authority.lower() if is_host(authority) else None


def host_of_reference(reference: str) -> str | None:
    """The host of a reference that always starts with one, lower-cased: ``quay.io/team/app`` → ``quay.io``.

    For formats that spell the registry in front of the path (Quay's ``docker_url``, Harbor's
    ``resource_url``, GHCR's ``package_url``), so the first component is the host even without a
    dot (``localhost``, ``harbor``), unlike in a pod spec. None when there is no ``/`` or the first
    component is not a ``host[:port]``.
    """
    host, slash, _path = reference.partition("/")
    return host.lower() if slash and is_host(host) else None
