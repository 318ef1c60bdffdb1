"""How deciding scales: policy selection over large tag lists, and the poller's planning of 10,000 workloads.

Two costs grow with a cluster and a registry. A push of a repository with thousands of tags makes
the dispatcher run :func:`~headwind.model.selection.select` once per container running it; and the
poller plans every round from every cached workload. Measured here, in process (no I/O involved):

* ``select_cold_ms`` / ``select_warm_ms``: one selection over ``--tags`` tags, first with an empty
  version cache, then as every further workload of that repository sees it;
* ``plan_first_ms`` / ``plan_steady_ms``: planning ``--workloads`` workloads the first time, and a
  round later when one workload changed (the rest reused).

Prints one line per measurement; ``--json`` writes them to a file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from headwind.model.policy import build_policy
from headwind.model.selection import select
from headwind.model.versions import parse_version
from headwind.model.workloads import DEPLOYMENT, Workload, project
from headwind.services.subscriptions import Planner


def _tags(count: int) -> list[str]:
    tags = [f"{major}.{minor}.{patch}" for major in range(10) for minor in range(100) for patch in range(100)]
    variants = [f"{tag}-alpine" for tag in tags]
    return [*(tags + variants)[:count], "latest", "main", "stable"]


def _workload(index: int, repositories: int) -> Workload:
    annotations = {"headwind.sh/policy": "minor", "headwind.sh/event-source": "polling"}
    image = f"registry.example.com/team/app{index % repositories}:1.{index % 30}.0"
    obj = {
        "metadata": {"name": f"app-{index:05d}", "namespace": "default", "annotations": annotations},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
    }
    return project(DEPLOYMENT, obj)


def _milliseconds(action: Callable[[], object], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run(tags: int, workloads: int, repositories: int, rounds: int) -> dict[str, float]:
    candidates, policy = _tags(tags), build_policy({"policy": "minor"})
    results: dict[str, float] = {}

    def cold() -> object:
        parse_version.cache_clear()
        return select(policy, "1.5.3", candidates)

    results["select_cold_ms"] = _milliseconds(cold, rounds)
    results["select_warm_ms"] = _milliseconds(lambda: select(policy, "1.5.3", candidates), rounds)

    cached = [_workload(index, repositories) for index in range(workloads)]
    results["plan_first_ms"] = _milliseconds(lambda: Planner(300.0).plan(cached), rounds)
    planner = Planner(300.0)
    planner.plan(cached)

    def one_changed() -> object:
        cached[0] = dataclasses.replace(cached[0], resource_version=str(time.perf_counter()))
        return planner.plan(cached)

    results["plan_steady_ms"] = _milliseconds(one_changed, rounds)
    results["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=10_000)
    parser.add_argument("--workloads", type=int, default=10_000)
    parser.add_argument("--repositories", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    results = run(args.tags, args.workloads, args.repositories, args.rounds)
    for name, value in results.items():
        print(f"decisions.{name}: {value:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
