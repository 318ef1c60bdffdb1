"""Connecting to the API server, and raw JSON requests whose failures say what went wrong.

Two non-obvious choices:

- :func:`connect` always builds a client with a ``Configuration`` of its own
  (``config.new_client_from_config`` or an explicitly filled in-cluster configuration), never
  ``config.load_kube_config``, which silently replaces the library's *global* default: two clients
  in one process (tests, or a future multi-cluster mode) must not leak into each other.
- Requests here bypass the generated API classes and their models: ``call_api`` with
  ``_preload_content=False`` hands back the aiohttp response itself, so a LIST of 5,000 Deployments
  is parsed once as JSON (not into 5,000 model objects the informer would throw away) and a watch
  is read line by line with our own handling of 410 and bookmarks. The price is that HTTP errors
  are no longer raised for us, so :class:`ApiError` is built here from the status, the ``Status``
  body and ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.config.config_exception import ConfigException

# What a flaky network looks like to aiohttp: refused or reset connections, truncated bodies,
# timeouts (client-side timeouts are asyncio.TimeoutError, which is also the builtin TimeoutError).
NETWORK_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, asyncio.TimeoutError, OSError)

DEFAULT_KUBECONFIG = Path("~/.kube/config")


class KubeConnectError(Exception):
    """No usable connection settings; the message says what was tried and why it failed."""


class ApiError(Exception):
    """A request the API server answered with an error status (or an unparseable body)."""

    def __init__(self, status: int, reason: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {reason}: {message}" if reason else f"{status}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after

    @classmethod
    def from_status(cls, status: int, body: Any, retry_after: float | None = None) -> ApiError:
        """From a ``Status`` object (an error response body, or a watch ERROR event's object)."""
        details = body.get("details") if isinstance(body, Mapping) else None
        if retry_after is None and isinstance(details, Mapping):
            seconds = details.get("retryAfterSeconds")
            if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0:
                retry_after = float(seconds)
        if not isinstance(body, Mapping):
            return cls(status, "", "no Status in the response", retry_after)
        return cls(status, str(body.get("reason") or ""), str(body.get("message") or ""), retry_after)

    @classmethod
    def from_response(cls, status: int, headers: Mapping[str, str], raw: bytes) -> ApiError:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = {"message": raw[:200].decode("utf-8", "replace")}
        return cls.from_status(status, body, retry_after_of(headers.get("Retry-After")))


def retry_after_of(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


async def connect(
    kubeconfig: Path | None = None,
    context: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> ApiClient:
    """A client for the cluster this process should manage.

    In-cluster (the pod's service account) when no kubeconfig or context is asked for, ``KUBECONFIG``
    is unset and ``KUBERNETES_SERVICE_HOST`` is set, as in a pod; otherwise the kubeconfig: the
    given path, else ``KUBECONFIG`` (read now, not when the library was imported; it may list
    several files separated by ``:``), else ``~/.kube/config``. The caller closes the client.
    """
    env = os.environ if environ is None else environ
    asked_for_kubeconfig = kubeconfig is not None or context is not None or bool(env.get("KUBECONFIG"))
    if not asked_for_kubeconfig and env.get("KUBERNETES_SERVICE_HOST"):
        return _in_cluster(env)
    files, where = _kubeconfig_files(kubeconfig, context, env)
    try:
        return await config.new_client_from_config(
            config_file=os.pathsep.join(files), context=context, persist_config=False
        )
    except (ConfigException, OSError, ValueError, KeyError, TypeError) as error:
        raise KubeConnectError(f"cannot load {where}: {error}") from error


def _kubeconfig_files(
    kubeconfig: Path | None, context: str | None, env: Mapping[str, str]
) -> tuple[list[str], str]:
    """The kubeconfig files to merge, and how to name them in an error; raises if none exists."""
    if kubeconfig is None and not env.get("KUBECONFIG"):
        default = DEFAULT_KUBECONFIG.expanduser()
        if not default.exists():
            raise KubeConnectError(
                "no Kubernetes connection settings: not in a cluster (KUBERNETES_SERVICE_HOST is not set), "
                f"KUBECONFIG is not set, and {default} does not exist; pass --kubeconfig or set KUBECONFIG"
            )
    source = str(kubeconfig) if kubeconfig is not None else env.get("KUBECONFIG") or str(DEFAULT_KUBECONFIG)
    files = [Path(part).expanduser() for part in source.split(os.pathsep) if part]
    where = f"kubeconfig {source}" + (f" (context {context!r})" if context else "")
    if not any(path.exists() for path in files):
        raise KubeConnectError(f"cannot load {where}: no such file")
    return [str(path) for path in files], where


def _in_cluster(env: Mapping[str, str]) -> ApiClient:
    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration, environ=env)  # type: ignore[no-untyped-call]
    except (ConfigException, OSError) as error:
        raise KubeConnectError(
            "cannot use the in-cluster service account (KUBERNETES_SERVICE_HOST is set, KUBECONFIG is not): "
            f"{error}"
        ) from error
    return ApiClient(configuration=configuration)


async def _get(
    api: ApiClient, path: str, query: Mapping[str, str] | None, timeout: aiohttp.ClientTimeout
) -> aiohttp.ClientResponse:
    response: aiohttp.ClientResponse = await api.call_api(
        path,
        "GET",
        query_params=list((query or {}).items()),
        header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"],
        response_types_map={},
        _preload_content=False,
        _request_timeout=timeout,
    )
    return response


async def get_json(
    api: ApiClient, path: str, query: Mapping[str, str] | None = None, *, timeout: float = 60.0
) -> dict[str, Any]:
    """GET ``path`` as a JSON object; :class:`ApiError` for an error status or a body that is not one."""
    response = await _get(api, path, query, aiohttp.ClientTimeout(total=timeout))
    async with response:
        raw = await response.read()
        if response.status != 200:
            raise ApiError.from_response(response.status, response.headers, raw)
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise ApiError(response.status, "InvalidResponse", f"GET {path}: not JSON: {error}") from error
    if not isinstance(body, dict):
        raise ApiError(response.status, "InvalidResponse", f"GET {path}: not a JSON object")
    return body


async def merge_patch(api: ApiClient, path: str, body: Mapping[str, Any], *, timeout: float = 10.0) -> None:
    """PATCH ``path`` with a JSON merge patch; :class:`ApiError` for an error status."""
    response: aiohttp.ClientResponse = await api.call_api(
        path,
        "PATCH",
        header_params={"Accept": "application/json", "Content-Type": "application/merge-patch+json"},
        body=dict(body),
        auth_settings=["BearerToken"],
        response_types_map={},
        _preload_content=False,
        _request_timeout=aiohttp.ClientTimeout(total=timeout),
    )
    async with response:
        raw = await response.read()
        if response.status != 200:
            raise ApiError.from_response(response.status, response.headers, raw)


@asynccontextmanager
async def open_stream(
    api: ApiClient, path: str, query: Mapping[str, str], *, timeout: aiohttp.ClientTimeout
) -> AsyncIterator[aiohttp.ClientResponse]:
    """A streaming GET (a watch), closed when the block ends; :class:`ApiError` if it fails to start."""
    response = await _get(api, path, query, timeout)
    try:
        if response.status != 200:
            raise ApiError.from_response(response.status, response.headers, await response.read())
        yield response
    finally:
        response.close()


async def iter_lines(content: aiohttp.StreamReader, chunk_size: int = 1024 * 1024) -> AsyncIterator[bytes]:
    """The non-empty lines of a stream, however long.

    ``StreamReader.readline`` fails on lines longer than the read buffer, and one watch event is one
    line holding a whole object (up to etcd's 1.5 MiB, more once JSON-escaped), so lines are cut
    out of chunks here, as kopf does.
    """
    buffer = b""
    async for chunk in content.iter_chunked(chunk_size):
        buffer += chunk
        start = 0
        end = buffer.find(b"\n", start)
        while end >= 0:
            if end > start:
                yield buffer[start:end]
            start = end + 1
            end = buffer.find(b"\n", start)
        if start:
            buffer = buffer[start:]
    if buffer.strip():
        yield buffer
