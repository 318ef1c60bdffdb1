"""Helpers shared by tests: clients for an emulator, and external tools that CI must have."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client, config, watch
from kubernetes_asyncio.client.exceptions import ApiException

from headwind.sandbox.emulator import Emulator

from .sandbox.manifests import widget, widget_crd


def require_tool(name: str, *, why: str) -> str:
    """The path of an external program, or skip (developer machine) / fail (CI) with a reason."""
    path = shutil.which(name)
    if path:
        return path
    reason = f"{name} is not installed: {why} (scripts/test installs it)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


@asynccontextmanager
async def client_session(
    emulator: Emulator, directory: Path, **kubeconfig: Any
) -> AsyncIterator[client.ApiClient]:
    """A kubernetes-asyncio client for ``emulator`` through a kubeconfig written in ``directory``.

    ``kubeconfig`` goes to ``Emulator.write_kubeconfig`` (``token=None`` for an anonymous client);
    the client is closed when the block ends, however it ends.
    """
    path = emulator.write_kubeconfig(directory / "kubeconfig", **kubeconfig)
    api_client = await config.new_client_from_config(config_file=str(path))
    try:
        yield api_client
    finally:
        await api_client.close()


def status_message(error: ApiException) -> str:
    """The ``message`` of the Status body an API error carried."""
    message = json.loads(error.body or "{}").get("message")
    assert isinstance(message, str)
    return message


async def with_widget(
    kube: client.ApiClient, *, versions: tuple[str, ...] = ("v1",)
) -> client.CustomObjectsApi:
    """Serve the Widget CRD (``widget_crd``), create Widget ``w`` of size 1 in ``default`` through its first
    version, and return the client's custom objects API."""
    await client.ApiextensionsV1Api(kube).create_custom_resource_definition(widget_crd(versions=versions))
    custom = client.CustomObjectsApi(kube)
    await custom.create_namespaced_custom_object(
        "example.com", versions[0], "default", "widgets", widget("w", version=versions[0])
    )
    return custom


def default_configmap_events(
    w: watch.Watch, core: client.CoreV1Api, *, after: Any = None, **query: Any
) -> AsyncIterator[dict[str, Any]]:
    """The events of a watch on the ConfigMaps in ``default``, which the server ends after 5 seconds.

    ``after``: an object or list whose resourceVersion the watch starts from; ``query``: further list
    options (``label_selector=...``, ``allow_watch_bookmarks=True``).
    """
    if after is not None:
        query["resource_version"] = after.metadata.resource_version
    events: AsyncIterator[dict[str, Any]] = w.stream(
        core.list_namespaced_config_map, "default", timeout_seconds=5, **query
    )
    return events


def free_ports(count: int) -> list[int]:
    """Ports free right now on 127.0.0.1, for processes whose listeners cannot take port 0."""
    import socket

    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def operator_port_env(host: str = "127.0.0.1") -> dict[str, str]:
    """HEADWIND_* variables that put an operator's four listeners on free loopback ports."""
    names = ("HEADWIND_WEBHOOK_PORT", "HEADWIND_API_PORT", "HEADWIND_UI_PORT", "HEADWIND_METRICS_PORT")
    ports = free_ports(len(names))
    return {
        "HEADWIND_BIND_ADDRESS": host,
        **{name: str(port) for name, port in zip(names, ports, strict=True)},
    }


def headwind_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The ``headwind`` command as a process (``env`` replaces the environment when given)."""
    return subprocess.run(
        [sys.executable, "-m", "headwind", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
