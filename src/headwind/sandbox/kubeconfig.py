"""Kubeconfig files and TLS for the emulator, so real clients connect without special cases.

kubectl never sends a bearer token over plain http, so anything that tests authentication with
kubectl needs HTTPS: :class:`SandboxTls` makes a throwaway certificate authority (``trustme``) and
a server certificate for 127.0.0.1 and localhost, and the kubeconfig carries the CA so clients
verify the server as they would a cluster's.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
from pathlib import Path
from typing import Any

import trustme


class SandboxTls:
    """A throwaway CA and a server certificate for loopback addresses."""

    def __init__(self) -> None:
        self._ca = trustme.CA(organization_name="Headwind sandbox")
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost", "::1")

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        return context

    @property
    def ca_pem(self) -> bytes:
        return self._ca.cert_pem.bytes()


def kubeconfig(
    server: str, *, token: str | None = None, ca_pem: bytes | None = None, namespace: str = "default"
) -> dict[str, Any]:
    """A kubeconfig with one cluster, one user and one context, all named ``headwind-sandbox``."""
    cluster: dict[str, Any] = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    user: dict[str, Any] = {"token": token} if token else {}
    name = "headwind-sandbox"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}],
        "current-context": name,
        "preferences": {},
    }


def write_kubeconfig(path: Path, config: dict[str, Any]) -> Path:
    """Write a kubeconfig readable only by its owner (it may hold a token); JSON is valid YAML."""
    path = path.absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(config, handle, indent=2)
    return path
