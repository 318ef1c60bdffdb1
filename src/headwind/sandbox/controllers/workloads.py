"""The simulated workload controllers, as one list for the emulator to start.

Kept apart from the controllers themselves so that the emulator needs one import and one call, and
so that adding a workload kind is one line here. They share one health oracle: the test that marks
an image unhealthy affects Deployments, StatefulSets and DaemonSets alike.
"""

from __future__ import annotations

from ..apiserver import ApiServer
from .base import Controller
from .daemonset import DaemonSetController
from .deployment import DeploymentController
from .health import HealthOracle
from .replicaset import ReplicaSetController
from .statefulset import StatefulSetController


def workload_controllers(api: ApiServer, health: HealthOracle) -> list[Controller]:
    """Deployment, ReplicaSet, StatefulSet and DaemonSet controllers writing through ``api``."""
    return [
        DeploymentController(api),
        ReplicaSetController(api, health),
        StatefulSetController(api, health),
        DaemonSetController(api, health),
    ]
