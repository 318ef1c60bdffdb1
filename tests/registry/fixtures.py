"""Registry fixtures for the whole suite (imported by ``tests/conftest.py``).

They live here rather than in ``tests/registry/conftest.py`` because pytest only honours
``pytest_plugins`` in the root conftest, and tests of the registry client and the poller in other
directories need them too. Every fixture is function-scoped: a registry starts in about 0.1 s, and
a fresh one per test means no test sees another's tags. Each one stores under the test's
``tmp_path`` and is stopped at teardown, whatever the test did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

import pytest

from .proxy import FaultyProxy
from .pusher import Pusher
from .server import NotificationEndpoint, RunningRegistry, start_registry, stop_registry


class RegistryFactory(Protocol):
    """``await registry_factory(auth="basic", notifications=[...])`` starts one more registry."""

    async def __call__(
        self, auth: str = "none", notifications: list[NotificationEndpoint] | None = None
    ) -> RunningRegistry: ...


@pytest.fixture
async def registry_factory(tmp_path: Path) -> AsyncIterator[RegistryFactory]:
    """Start registries with any auth and notifications; all are stopped after the test."""
    started: list[RunningRegistry] = []

    async def start(
        auth: str = "none", notifications: list[NotificationEndpoint] | None = None
    ) -> RunningRegistry:
        workdir = tmp_path / f"registry-{len(started) + 1}-{auth}"
        registry = await start_registry(workdir, auth=auth, notifications=notifications)
        started.append(registry)
        return registry

    try:
        yield start
    finally:
        for registry in reversed(started):
            await stop_registry(registry)


@pytest.fixture
async def registry(registry_factory: RegistryFactory) -> RunningRegistry:
    """A registry without auth."""
    return await registry_factory()


@pytest.fixture
async def basic_registry(registry_factory: RegistryFactory) -> RunningRegistry:
    """A registry with htpasswd auth: user ``ci``, password ``ci-pass``."""
    return await registry_factory(auth="basic")


@pytest.fixture
async def token_registry(registry_factory: RegistryFactory) -> RunningRegistry:
    """A registry with token auth through its ``issuer`` (user ``ci``, password ``ci-pass``)."""
    return await registry_factory(auth="token")


@pytest.fixture
async def faulty_proxy(registry: RunningRegistry) -> AsyncIterator[FaultyProxy]:
    """A started ``FaultyProxy`` in front of ``registry``."""
    proxy = FaultyProxy(registry.url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


@pytest.fixture
async def pusher(registry: RunningRegistry) -> AsyncIterator[Pusher]:
    """A pusher for ``registry``."""
    async with registry.pusher() as pusher:
        yield pusher
