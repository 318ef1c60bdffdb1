"""Sample workloads for ``headwind sandbox``: something to look at the moment it starts.

The ``demo`` namespace gets one workload of each kind Headwind manages, each annotated with a
different update policy, so a newcomer sees how annotations read and, once the operator runs in
the sandbox, what it does with each. Images are real public ones at versions with known newer
releases. One uses a tag the default health oracle treats as unhealthy, so a failing rollout (and,
with the operator, a rollback) can be watched without any setup.
"""

from __future__ import annotations

from typing import Any

DEMO_NAMESPACE = "demo"

Object = dict[str, Any]


def _template(app: str, image: str) -> Object:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {"containers": [{"name": app, "image": image, "ports": [{"containerPort": 8080}]}]},
    }


def _workload(kind: str, name: str, image: str, annotations: dict[str, str], **spec: Any) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": DEMO_NAMESPACE,
            "labels": {"app": name, "app.kubernetes.io/part-of": "headwind-demo"},
            "annotations": annotations,
        },
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": _template(name, image), **spec},
    }


def demo_objects() -> list[Object]:
    """The demo namespace and its workloads, in creation order."""
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": DEMO_NAMESPACE, "labels": {"app.kubernetes.io/part-of": "headwind-demo"}},
    }
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": "report",
            "namespace": DEMO_NAMESPACE,
            "annotations": {"headwind.sh/policy": "minor", "headwind.sh/event-source": "polling"},
        },
        "spec": {
            "schedule": "*/15 * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [{"name": "report", "image": "python:3.11.7-slim"}],
                        }
                    }
                }
            },
        },
    }
    return [
        namespace,
        _workload(
            "Deployment",
            "web",
            "nginx:1.25.3",
            {"headwind.sh/policy": "minor", "headwind.sh/require-approval": "false"},
            replicas=2,
        ),
        _workload(
            "Deployment",
            "api",
            "ghcr.io/headwind-sh/demo-api:2.3.1",
            {
                "headwind.sh/policy": "patch",
                "headwind.sh/require-approval": "true",
                "headwind.sh/auto-rollback": "true",
            },
            replicas=3,
        ),
        _workload(
            "Deployment",
            "canary",
            "nginx:1.26.0-bad",
            {"headwind.sh/policy": "none"},
        ),
        _workload(
            "StatefulSet",
            "cache",
            "redis:7.2.4",
            {"headwind.sh/policy": "minor", "headwind.sh/pattern": "7.*"},
            replicas=2,
            serviceName="cache",
        ),
        _workload(
            "DaemonSet",
            "agent",
            "fluent/fluent-bit:3.0.2",
            {"headwind.sh/policy": "patch", "headwind.sh/event-source": "both"},
        ),
        cronjob,
    ]
