"""The operator in this test's event loop, against the sandbox emulator, with fast timings."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from kubernetes_asyncio import client, config

from headwind.adapters.kube.informer import InformerSettings
from headwind.app.runtime import Operator
from headwind.model.config import Settings, load_settings
from headwind.sandbox.emulator import Emulator

FAST_INFORMERS = InformerSettings(recheck_interval=0.2, backoff_base=0.01, backoff_cap=0.1)
StartOperator = Callable[..., Awaitable[Operator]]


def fast_settings(**overrides: object) -> Settings:
    base = load_settings(
        {
            "HEADWIND_BIND_ADDRESS": "127.0.0.1",
            "HEADWIND_LEASE_DURATION": "1",
            "HEADWIND_LEASE_RENEW_DEADLINE": "0.6",
            "HEADWIND_LEASE_RETRY_PERIOD": "0.1",
            "HEADWIND_SHUTDOWN_GRACE": "2",
        }
    )
    ports = {"webhook_port": 0, "api_port": 0, "ui_port": 0, "metrics_port": 0}
    return dataclasses.replace(base, **{**ports, **overrides})  # type: ignore[arg-type]


@pytest.fixture
async def start_operator(emulator: Emulator, tmp_path: Path) -> AsyncIterator[StartOperator]:
    """Operators in this test's event loop, each with its own client; all shut down afterwards."""
    running: list[tuple[Operator, client.ApiClient]] = []

    async def start(**overrides: object) -> Operator:
        kubeconfig = emulator.write_kubeconfig(tmp_path / f"op{len(running)}.kubeconfig")
        api = await config.new_client_from_config(config_file=str(kubeconfig))
        operator = Operator(
            fast_settings(**{"identity": f"replica-{len(running)}", **overrides}),
            api,
            informer_settings=FAST_INFORMERS,
        )
        running.append((operator, api))
        await operator.start()
        return operator

    yield start
    for operator, api in running:
        await operator.shutdown()
        await api.close()
