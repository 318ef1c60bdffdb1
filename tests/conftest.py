"""Fixtures shared by the whole suite: the sandbox emulator and real clients for it.

Every test that touches Kubernetes runs against an in-process emulator on 127.0.0.1 port 0,
reached through kubernetes-asyncio with a kubeconfig the emulator writes, exactly as the operator
reaches a cluster. Simulated time is a manual clock, so deadlines pass when a test says so.

Tests that need an external program (kubectl, later a registry, helm, chromium) ask for it with
``require_tool``: on a developer machine without it they skip with the reason printed; under
``CI=true`` a missing tool fails the test, because CI must never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client, config

from headwind.sandbox.clock import ManualClock
from headwind.sandbox.emulator import Emulator, EmulatorConfig

EmulatorFactory = Callable[..., Awaitable[Emulator]]


def require_tool(name: str, *, why: str) -> str:
    """The path of an external program, or skip (developer machine) / fail (CI) with a reason."""
    path = shutil.which(name)
    if path:
        return path
    reason = f"{name} is not installed: {why} (scripts/test installs it)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


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


async def client_for(emulator: Emulator, directory: Path, **kubeconfig: Any) -> client.ApiClient:
    path = emulator.write_kubeconfig(directory / "kubeconfig", **kubeconfig)
    return await config.new_client_from_config(config_file=str(path))


@pytest.fixture
async def kube(emulator: Emulator, tmp_path: Path) -> AsyncIterator[client.ApiClient]:
    """A kubernetes-asyncio client for the emulator, authenticated as the sandbox admin."""
    api_client = await client_for(emulator, tmp_path)
    yield api_client
    await api_client.close()
