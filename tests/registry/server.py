"""Start and stop a real registry (CNCF distribution 2.8, Debian's ``docker-registry``) for one test.

The registry client and the poller are tested against the real thing, not a fake: media-type
negotiation through ``Accept``, ``404``/``400`` for manifests a client cannot accept, tag lists in no
particular order and ``401 insufficient_scope`` are behaviours a fake would only repeat our own
assumptions about.

Each registry gets its own working directory (config, storage, log, htpasswd, token certificate), so
tests never see each other's content. It listens on ``127.0.0.1:0``: the binary runs directly (not
through a shell, so the process we hold is the registry), its output goes to ``registry.log``, and
the port is read from its ``listening on 127.0.0.1:PORT`` line. Writing to a file rather than a pipe
means nothing has to drain the pipe for the process to keep running, and the log outlives the test for
a failure message. ``start_registry`` returns once ``GET /v2/`` answers (200, or 401 with auth).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from ..support import require_tool
from .pusher import Pusher
from .token_issuer import TokenIssuer

USERNAME = "ci"
PASSWORD = "ci-pass"
SERVICE = "test-registry"
AUTH_MODES = ("none", "basic", "token")
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
_LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class NotificationEndpoint:
    """One ``notifications.endpoints`` entry: where the registry POSTs its events."""

    name: str
    url: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    ignore_actions: tuple[str, ...] = ()
    ignore_mediatypes: tuple[str, ...] = ()


@dataclass
class RunningRegistry:
    """A registry process started by ``start_registry``; stop it with ``stop_registry``."""

    host: str
    url: str
    auth: str
    username: str | None
    password: str | None
    workdir: Path
    issuer: TokenIssuer | None
    log_path: Path
    process: asyncio.subprocess.Process = field(repr=False)

    def pusher(self) -> Pusher:
        """A pusher for this registry, logged in as ``username`` (anonymous without auth); close it."""
        return Pusher(self.url, username=self.username, password=self.password)


async def start_registry(
    workdir: Path, *, auth: str = "none", notifications: list[NotificationEndpoint] | None = None
) -> RunningRegistry:
    """Start a registry storing under ``workdir`` with ``auth`` "none", "basic" (htpasswd, user ``ci``)
    or "token" (a ``TokenIssuer`` it trusts); return when it answers. What a failed start began is stopped.
    """
    if auth not in AUTH_MODES:
        raise ValueError(f"auth must be one of {AUTH_MODES}, not {auth!r}")
    binary = require_tool("docker-registry", why="registry tests run a real CNCF distribution registry")
    workdir.mkdir(parents=True, exist_ok=True)
    async with contextlib.AsyncExitStack() as cleanup:
        issuer = None
        if auth == "token":
            issuer = TokenIssuer(workdir / "token-issuer")
            await issuer.start()
            cleanup.push_async_callback(issuer.stop)
        config_path = await _write_config(workdir, auth, issuer, notifications)
        log_path = workdir / "registry.log"
        process = await _spawn(binary, config_path, log_path)
        cleanup.push_async_callback(_terminate, process)
        port = await _wait_until_ready(process, log_path)
        cleanup.pop_all()
    host = f"127.0.0.1:{port}"
    return RunningRegistry(
        host=host,
        url=f"http://{host}",
        auth=auth,
        username=USERNAME if auth != "none" else None,
        password=PASSWORD if auth != "none" else None,
        workdir=workdir,
        issuer=issuer,
        log_path=log_path,
        process=process,
    )


async def stop_registry(registry: RunningRegistry) -> None:
    """Terminate the registry (kill it after 5 s) and stop its token issuer."""
    try:
        await _terminate(registry.process)
    finally:
        if registry.issuer is not None:
            await registry.issuer.stop()


async def _write_config(
    workdir: Path, auth: str, issuer: TokenIssuer | None, notifications: list[NotificationEndpoint] | None
) -> Path:
    config = _base_config(workdir)
    if auth == "basic":
        config["auth"] = await _htpasswd_auth(workdir)
    if issuer is not None:
        config["auth"] = _token_auth(issuer)
    if notifications:
        config["notifications"] = _notifications_config(notifications)
    path = workdir / "config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


async def _spawn(binary: str, config_path: Path, log_path: Path) -> asyncio.subprocess.Process:
    """Run the binary itself (no shell) with its output in ``log_path``.

    ``REGISTRY_*`` variables are dropped: distribution lets them override any config key, and one
    left in a developer's shell would silently change the test registry.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("REGISTRY_")}
    with log_path.open("wb") as log:
        return await asyncio.create_subprocess_exec(
            binary, "serve", str(config_path), stdout=log, stderr=asyncio.subprocess.STDOUT, env=env
        )


async def _terminate(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()


def _base_config(workdir: Path) -> dict[str, Any]:
    """Listen on a free loopback port, store under ``workdir/data``, allow deletes, log no access lines."""
    return {
        "version": 0.1,
        "log": {"level": "info", "formatter": "text", "accesslog": {"disabled": True}},
        "http": {
            "addr": "127.0.0.1:0",
            "secret": "not-a-secret-test-only",
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        "health": {"storagedriver": {"enabled": False}},
        "storage": {
            "filesystem": {"rootdirectory": str(workdir / "data")},
            "delete": {"enabled": True},
            "cache": {"blobdescriptor": "inmemory"},
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
    }


async def _htpasswd_auth(workdir: Path) -> dict[str, Any]:
    """Write ``workdir/htpasswd`` for ci:ci-pass (bcrypt: the registry accepts nothing else)."""
    htpasswd = require_tool("htpasswd", why="basic-auth registry tests write a bcrypt htpasswd file")
    process = await asyncio.create_subprocess_exec(
        htpasswd, "-Bbn", USERNAME, PASSWORD, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"htpasswd -Bbn failed ({process.returncode}): {err.decode(errors='replace')}")
    path = workdir / "htpasswd"
    path.write_bytes(out)
    return {"htpasswd": {"realm": SERVICE, "path": str(path)}}


def _token_auth(issuer: TokenIssuer) -> dict[str, Any]:
    return {
        "token": {
            "realm": issuer.url,
            "service": SERVICE,
            "issuer": "test-issuer",
            "rootcertbundle": str(issuer.cert_path),
        }
    }


def _notifications_config(endpoints: list[NotificationEndpoint]) -> dict[str, Any]:
    """Events with references (which tell a Helm chart from an image), retried every second."""
    return {
        "events": {"includereferences": True},
        "endpoints": [_endpoint_config(endpoint) for endpoint in endpoints],
    }


def _endpoint_config(endpoint: NotificationEndpoint) -> dict[str, Any]:
    config: dict[str, Any] = {
        "name": endpoint.name,
        "url": endpoint.url,
        "headers": {name: list(values) for name, values in endpoint.headers.items()},
        "timeout": "2s",
        "threshold": 3,
        "backoff": "1s",
    }
    ignore: dict[str, list[str]] = {}
    if endpoint.ignore_mediatypes:
        ignore["mediatypes"] = list(endpoint.ignore_mediatypes)
    if endpoint.ignore_actions:
        ignore["actions"] = list(endpoint.ignore_actions)
    if ignore:
        config["ignore"] = ignore
    return config


async def _wait_until_ready(process: asyncio.subprocess.Process, log_path: Path) -> int:
    """Read the port from the log, then wait for ``GET /v2/``; fail with the log if that takes 10 s."""
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
    port = await _wait_for_port(process, log_path, deadline)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1.0)) as session:
        while True:
            _fail_if_exited(process, log_path)
            try:
                async with session.get(f"http://127.0.0.1:{port}/v2/") as response:
                    if response.status in (200, 401):
                        return port
            except (aiohttp.ClientError, TimeoutError):
                pass
            _fail_if_late(log_path, deadline, "to answer GET /v2/")
            await asyncio.sleep(0.02)


async def _wait_for_port(process: asyncio.subprocess.Process, log_path: Path, deadline: float) -> int:
    while True:
        match = _LISTENING.search(log_path.read_text(errors="replace"))
        if match:
            return int(match.group(1))
        _fail_if_exited(process, log_path)
        _fail_if_late(log_path, deadline, "to log 'listening on'")
        await asyncio.sleep(0.01)


def _fail_if_exited(process: asyncio.subprocess.Process, log_path: Path) -> None:
    if process.returncode is not None:
        raise RuntimeError(
            f"docker-registry exited with status {process.returncode} while starting; "
            f"its log ({log_path}):\n{log_path.read_text(errors='replace')}"
        )


def _fail_if_late(log_path: Path, deadline: float, what: str) -> None:
    if asyncio.get_running_loop().time() > deadline:
        raise RuntimeError(
            f"docker-registry took more than {READY_TIMEOUT}s {what}; "
            f"its log ({log_path}):\n{log_path.read_text(errors='replace')}"
        )
