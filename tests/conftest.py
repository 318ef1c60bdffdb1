"""Fixtures shared by the whole suite: the sandbox emulator and real clients for it.

Every test that touches Kubernetes runs against an in-process emulator on 127.0.0.1 port 0,
reached through kubernetes-asyncio with a kubeconfig the emulator writes, exactly as the operator
reaches a cluster. Simulated time is a manual clock, so deadlines pass when a test says so.

Tests that need an external program (kubectl, later a registry, helm, chromium) ask for it with
``tests.support.require_tool``: on a developer machine without it they skip with the reason printed; under
``CI=true`` a missing tool fails the test, because CI must never pass by skipping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client

from headwind.sandbox.clock import ManualClock
from headwind.sandbox.emulator import Emulator, EmulatorConfig

from .registry.fixtures import (  # noqa: F401 -- registers the registry fixtures for every test
    basic_registry,
    faulty_proxy,
    pusher,
    registry,
    registry_factory,
    token_registry,
)
from .support import client_session

EmulatorFactory = Callable[..., Awaitable[Emulator]]


@pytest.fixture
async def make_emulator() -> AsyncIterator[EmulatorFactory]:
    """Start emulators with custom settings; all are stopped after the test."""
    started: list[Emulator] = []

    async def start(**overrides: Any) -> Emulator:
        settings: dict[str, Any] = {"clock": ManualClock(), "watch_timeout": 30.0, "bookmark_interval": 0.2}
        settings.update(overrides)
        emulator = Emulator(EmulatorConfig(**settings))
        await emulator.start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        await emulator.stop()


@pytest.fixture
async def emulator(make_emulator: EmulatorFactory) -> Emulator:
    """An emulator with a manual clock and the simulated controllers running."""
    return await make_emulator()


@pytest.fixture
async def kube(emulator: Emulator, tmp_path: Path) -> AsyncIterator[client.ApiClient]:
    """A kubernetes-asyncio client for the emulator, authenticated as the sandbox admin."""
    async with client_session(emulator, tmp_path) as api_client:
        yield api_client
