"""What a kubelet would report for a Pod, given what the health oracle says of its images.

There are no kubelets in the sandbox: whoever creates a Pod writes its status right away, through
the status subresource, as a kubelet would after pulling and starting the containers. The shape
follows a real kubelet's (docker runtime) closely because operators read it to explain a bad rollout:
``containerStatuses[].state.waiting.reason``, ``restartCount``, ``lastState.terminated`` and the
``Ready`` condition. Three outcomes are simulated:

- healthy: phase ``Running``, every condition ``True``, containers running with an ``imageID``;
- image pull failures (``ImagePullBackOff``, ``ErrImagePull``, other waiting reasons): ``Pending``;
- ``CrashLoopBackOff``: ``Running`` but not ready, one restart, last state terminated with exit code 1.

A Pod with no node is reported unschedulable, as the scheduler would.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

from .health import CRASH_LOOP_BACK_OFF, IMAGE_PULL_BACK_OFF, HealthOracle

Object = dict[str, Any]
Verdicts = tuple[tuple[str, str, str | None], ...]


def image_id(image: str) -> str:
    """``docker-pullable://<repo>@sha256:<hex>``: the image's own digest, or one derived from its name."""
    name, _, digest = image.partition("@")
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    repo = name[:colon] if colon > last_slash else name
    if not digest:
        digest = "sha256:" + hashlib.sha256(image.encode()).hexdigest()
    return f"docker-pullable://{repo}@{digest}"


def _container_id(pod: Object, container: str) -> str:
    uid = pod["metadata"].get("uid", "")
    return "docker://" + hashlib.sha256(f"{uid}/{container}".encode()).hexdigest()


def _waiting_message(reason: str, image: str, pod: Object, container: str) -> str:
    metadata = pod["metadata"]
    if reason == IMAGE_PULL_BACK_OFF:
        return f'Back-off pulling image "{image}"'
    if reason == CRASH_LOOP_BACK_OFF:
        return (
            f"back-off 10s restarting failed container={container} "
            f"pod={metadata['name']}_{metadata.get('namespace', '')}({metadata.get('uid', '')})"
        )
    return f'{reason}: image "{image}" (simulated by the sandbox health oracle)'


def _container_status(pod: Object, container: Object, reason: str | None, now: str) -> Object:
    name, image = container["name"], container.get("image", "")
    status: Object = {"name": name, "image": image, "imageID": "", "ready": reason is None, "restartCount": 0}
    status["started"] = reason is None
    status["lastState"] = {}
    if reason is None:
        status.update(imageID=image_id(image), containerID=_container_id(pod, name))
        status["state"] = {"running": {"startedAt": now}}
        return status
    status["state"] = {"waiting": {"reason": reason, "message": _waiting_message(reason, image, pod, name)}}
    if reason == CRASH_LOOP_BACK_OFF:
        container_id = _container_id(pod, name)
        status.update(imageID=image_id(image), containerID=container_id, restartCount=1)
        status["lastState"] = {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": now,
                "finishedAt": now,
                "containerID": container_id,
            }
        }
    return status


def _condition(kind: str, ok: bool, now: str, reason: str = "", message: str = "") -> Object:
    condition: Object = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None}
    condition["lastTransitionTime"] = now
    if not ok:
        condition.update(reason=reason, message=message)
    return condition


def verdicts(pod: Object, health: HealthOracle) -> Verdicts:
    """Per container (by name): its image and what the oracle says of it now."""
    containers = (pod.get("spec") or {}).get("containers") or []
    found = ((c["name"], c.get("image", "")) for c in containers)
    return tuple((name, image, health.verdict(image)) for name, image in sorted(found))


def reported(pod: Object) -> Verdicts:
    """Per container (by name): the image and waiting reason its current status reports."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return tuple(
        (s["name"], s.get("image", ""), (s.get("state", {}).get("waiting") or {}).get("reason"))
        for s in sorted(statuses, key=lambda s: str(s.get("name")))
    )


def _pod_ip(pod: Object) -> str:
    metadata = pod["metadata"]
    h = zlib.crc32(f"{metadata.get('namespace')}/{metadata['name']}".encode())
    return f"10.244.{(h >> 8) % 256}.{h % 253 + 2}"


def unschedulable_status(pod: Object, node_count: int, now: str) -> Object:
    message = (
        f"0/{node_count} nodes are available: {node_count} node(s) were not ready or unschedulable."
        if node_count
        else "no nodes available to schedule pods"
    )
    status: Object = {"phase": "Pending", "qosClass": (pod.get("status") or {}).get("qosClass", "BestEffort")}
    status["conditions"] = [_condition("PodScheduled", False, now, "Unschedulable", message)]
    return status


def running_status(pod: Object, health: HealthOracle, host_ip: str | None, now: str) -> Object:
    """The status of a Pod bound to a node, as the node's kubelet would report it."""
    containers = {c["name"]: c for c in (pod.get("spec") or {}).get("containers") or []}
    statuses = [
        _container_status(pod, containers[name], reason, now) for name, _, reason in verdicts(pod, health)
    ]
    unready = [s["name"] for s in statuses if not s["ready"]]
    pulling = any(
        s["state"].get("waiting", {}).get("reason") != CRASH_LOOP_BACK_OFF for s in statuses if not s["ready"]
    )
    why = f"containers with unready status: [{' '.join(unready)}]"
    status: Object = {"phase": "Pending" if pulling else "Running"}
    status["conditions"] = [
        _condition("Initialized", True, now),
        _condition("Ready", not unready, now, "ContainersNotReady", why),
        _condition("ContainersReady", not unready, now, "ContainersNotReady", why),
        _condition("PodScheduled", True, now),
    ]
    if host_ip:
        status["hostIP"] = host_ip
    pod_ip = _pod_ip(pod)
    status.update(podIP=pod_ip, podIPs=[{"ip": pod_ip}], startTime=now, containerStatuses=statuses)
    status["qosClass"] = (pod.get("status") or {}).get("qosClass", "BestEffort")
    return status
