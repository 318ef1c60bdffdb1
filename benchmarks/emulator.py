"""How the sandbox emulator scales: list 10,000 Deployments, fan one change out to 20 watches.

Later benchmarks of the operator (informers over thousands of workloads) run on this emulator,
so its own costs must stay small next to what they measure. Everything goes through real HTTP
and the real client, as the operator's traffic does: a LIST of every Deployment (decoded as raw
JSON, as the operator's hot paths will), and the time from one PATCH until all 20 open watches
have received the event. Prints one line per measurement; ``--json`` writes them to a file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import aiohttp
from kubernetes_asyncio import client, config

from headwind.sandbox.emulator import Emulator, EmulatorConfig


def _deployment(index: int) -> dict[str, Any]:
    name = f"app-{index:05d}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": name},
            "annotations": {"headwind.sh/policy": "minor"},
        },
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": f"registry.example.com/team/app{index % 50}:1.2.3"}
                    ]
                },
            },
        },
    }


async def _list_all(api: client.AppsV1Api) -> int:
    # With _preload_content=False the client returns the raw aiohttp response, not its model.
    raw = cast(aiohttp.ClientResponse, await api.list_deployment_for_all_namespaces(_preload_content=False))
    return len(json.loads(await raw.read())["items"])


async def _watch_until(
    api_client: client.ApiClient, rv: str, ready: asyncio.Event, started: list[int], name: str, watchers: int
) -> float:
    """Open a watch, report it open, and return the moment the event about ``name`` arrives."""
    apps = client.AppsV1Api(api_client)
    raw = cast(
        aiohttp.ClientResponse,
        await apps.list_namespaced_deployment(
            "default", watch=True, resource_version=rv, _preload_content=False
        ),
    )
    started.append(1)
    if len(started) == watchers:
        ready.set()
    while True:
        line = await raw.content.readline()
        if name.encode() in line:
            raw.close()
            return time.perf_counter()


async def run(count: int, watchers: int, rounds: int) -> dict[str, float]:
    results: dict[str, float] = {}
    async with Emulator(EmulatorConfig(controllers=False)) as emulator:
        rtype = emulator.kinds.find("apps", "v1", "deployments")
        assert rtype is not None
        began = time.perf_counter()
        for index in range(count):
            emulator.api.create(rtype, "default", _deployment(index))
        results["create_per_object_ms"] = (time.perf_counter() - began) / count * 1000
        with tempfile.TemporaryDirectory() as directory:
            path = emulator.write_kubeconfig(Path(directory) / "kubeconfig")
            api_client = await config.new_client_from_config(config_file=str(path))
            try:
                apps = client.AppsV1Api(api_client)
                timings = []
                for _ in range(rounds):
                    began = time.perf_counter()
                    assert await _list_all(apps) == count
                    timings.append(time.perf_counter() - began)
                results[f"list_{count}_median_ms"] = statistics.median(timings) * 1000
                latencies = []
                for round_index in range(rounds):
                    rv = str(emulator.store.rv)
                    ready = asyncio.Event()
                    started: list[int] = []
                    target = f"app-{round_index:05d}"
                    tasks = [
                        asyncio.create_task(_watch_until(api_client, rv, ready, started, target, watchers))
                        for _ in range(watchers)
                    ]
                    # Headers arrive only after the server has subscribed, so every watch is live now.
                    await asyncio.wait_for(ready.wait(), 30)
                    began = time.perf_counter()
                    await apps.patch_namespaced_deployment(
                        target, "default", {"metadata": {"labels": {"round": str(round_index)}}}
                    )
                    arrivals = await asyncio.gather(*tasks)
                    latencies.append(max(arrivals) - began)
                results[f"fanout_{watchers}_watchers_median_ms"] = statistics.median(latencies) * 1000
            finally:
                await api_client.close()
        results["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--watchers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    results = asyncio.run(run(args.objects, args.watchers, args.rounds))
    for name, value in results.items():
        print(f"emulator.{name}: {value:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
