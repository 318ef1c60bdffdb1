"""Where a registry's API is, and whether it is spoken to over plain HTTP.

An image reference names a registry host, not a URL. Two cases need care: ``docker.io`` serves the
website, and its API lives at ``registry-1.docker.io``; and a registry on this machine
(``localhost:5000``, ``127.0.0.1``, ``[::1]:5000`` -- a kind or test registry) speaks plain HTTP,
as does any host listed in ``plain_http``. Everything else is HTTPS. The same rule decides whether
a credential may travel to a plain-HTTP token server (:mod:`.authenticator`), so it lives here
once.
"""

from __future__ import annotations

import ipaddress

from yarl import URL

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"  # docker.io itself serves the website, not the API


def base_url(registry: str, plain_http: frozenset[str]) -> URL:
    """Where ``registry``'s API is: HTTPS unless loopback or ``plain_http``; Docker Hub at its API."""
    host = DOCKER_HUB_API if registry == DOCKER_HUB else registry
    scheme = "http" if speaks_plain_http(registry, plain_http) else "https"
    return URL(f"{scheme}://{host}")


def speaks_plain_http(registry: str, plain_http: frozenset[str]) -> bool:
    """Whether ``registry`` is spoken to over plain HTTP: listed in ``plain_http``, or loopback."""
    return registry in plain_http or is_loopback(registry)


def is_loopback(host: str) -> bool:
    """Whether a registry host (``localhost:5000``, ``127.0.0.1``, ``[::1]:5000``) is this machine."""
    name = host
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name[1:]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
