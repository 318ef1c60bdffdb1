"""Every listener answers the health endpoints; the metrics listener also serves /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest

from headwind.adapters.metrics import Metrics
from headwind.servers.listeners import API, METRICS, UI, WEBHOOKS, HttpServers, Listener


@dataclass
class FakeProbes:
    alive: list[str] = field(default_factory=list)
    ready: list[str] = field(default_factory=list)

    def liveness_problems(self) -> list[str]:
        return self.alive

    def readiness_problems(self) -> list[str]:
        return self.ready


@pytest.fixture
async def servers() -> AsyncIterator[tuple[HttpServers, FakeProbes, Metrics]]:
    probes, metrics = FakeProbes(), Metrics()
    listeners = [Listener(name, "127.0.0.1", 0) for name in (WEBHOOKS, API, UI, METRICS)]
    http = HttpServers(listeners, probes, metrics)
    await http.start()
    yield http, probes, metrics
    await http.stop()


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


@pytest.mark.parametrize("name", [WEBHOOKS, API, UI, METRICS])
async def test_every_port_answers_headwinds_health_check_with_ok(servers, name: str) -> None:
    http, _, _ = servers
    assert await get(http.ports[name], "/health") == (200, "OK")


async def test_readiness_fails_with_the_reasons_until_ready(servers) -> None:
    http, probes, _ = servers
    probes.ready = ["informer Deployment has not synced"]
    status, body = await get(http.ports[API], "/readyz")
    assert status == 503 and "informer Deployment has not synced" in body
    probes.ready = []
    assert (await get(http.ports[API], "/readyz"))[0] == 200


async def test_liveness_fails_when_a_task_keeps_crashing(servers) -> None:
    http, probes, _ = servers
    probes.alive = ["task informer:Deployment keeps crashing"]
    status, body = await get(http.ports[UI], "/healthz")
    assert status == 503 and "keeps crashing" in body
    assert (await get(http.ports[UI], "/health"))[0] == 503


async def test_the_metrics_port_serves_prometheus_text_with_process_metrics(servers) -> None:
    http, _, metrics = servers
    metrics.items_processed.inc()
    status, body = await get(http.ports[METRICS], "/metrics")
    assert status == 200
    assert "headwind_dispatcher_items_processed_total 1.0" in body
    assert "process_resident_memory_bytes" in body
    assert (await get(http.ports[API], "/metrics"))[0] == 404


async def test_a_port_in_use_fails_the_start_and_closes_the_others() -> None:
    probes, metrics = FakeProbes(), Metrics()
    first = HttpServers([Listener(API, "127.0.0.1", 0)], probes, metrics)
    await first.start()
    taken = first.ports[API]
    second = HttpServers([Listener(UI, "127.0.0.1", 0), Listener(API, "127.0.0.1", taken)], probes, metrics)
    try:
        with pytest.raises(OSError):
            await second.start()
        assert second._runners == []
    finally:
        await first.stop()
