"""A Deployment's status and its two conditions, by the real controller's rules.

Operators and kubectl judge a rollout only through this status, so its details matter:

- the counters are sums over the ReplicaSets' own status (``updatedReplicas`` is the new
  ReplicaSet's ``replicas``), and zero counters are omitted, as Go's ``omitempty`` omits them;
- ``Available`` is True while at least ``replicas - maxUnavailable`` Pods are available;
- ``Progressing`` says where the rollout is: ``NewReplicaSetCreated``/``FoundNewReplicaSet`` when it
  starts, ``ReplicaSetUpdated`` each time a counter moves forward (which also refreshes
  ``lastUpdateTime``), ``NewReplicaSetAvailable`` when complete, and ``False``/
  ``ProgressDeadlineExceeded`` once ``lastUpdateTime + progressDeadlineSeconds`` passes without
  progress. That last one is the signal for an automatic rollback. Two deliberate differences: the
  deadline is inclusive (the real controller waits until strictly after it), so a test that advances
  a manual clock by exactly ``progressDeadlineSeconds`` sees it; and it has passed once the clock's
  timer for it fired, even if the clock's ``now()`` disagrees (a scaled clock fires early but keeps
  wall-clock time; see ``OwnerController.has_passed``).
- a condition replaced with a different status or reason moves to the end of the list and keeps its
  ``lastTransitionTime`` only if its status is unchanged (``SetDeploymentCondition``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta

from .ownership import Object, omit_zero
from .pods import parse_timestamp
from .rolling import fenceposts, spec_replicas, status_count

PROGRESSING, AVAILABLE = "Progressing", "Available"
NEW_RS_AVAILABLE, TIMED_OUT = "NewReplicaSetAvailable", "ProgressDeadlineExceeded"
PAUSED, RESUMED = "DeploymentPaused", "DeploymentResumed"
NO_DEADLINE = 2**31 - 1


def get_condition(status: Object, kind: str) -> Object | None:
    for condition in status.get("conditions") or ():
        if condition.get("type") == kind:
            found: Object = condition
            return found
    return None


def condition(kind: str, state: str, reason: str, message: str, now: str) -> Object:
    return {
        "type": kind,
        "status": state,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def set_condition(status: Object, new: Object) -> None:
    """``SetDeploymentCondition``: replace the condition of its type unless status and reason match."""
    current = get_condition(status, new["type"])
    if current is not None and current["status"] == new["status"] and current.get("reason") == new["reason"]:
        return
    if current is not None and current["status"] == new["status"]:
        new["lastTransitionTime"] = current["lastTransitionTime"]
    others = [c for c in status.get("conditions") or () if c.get("type") != new["type"]]
    status["conditions"] = [*others, new]


def remove_condition(status: Object, kind: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or () if c.get("type") != kind]


def progress_deadline(deploy: Object) -> int | None:
    seconds = deploy["spec"].get("progressDeadlineSeconds", 600)
    return None if seconds is None or seconds == NO_DEADLINE else int(seconds)


def calculate(
    deploy: Object, working: Object, sets: list[Object], new_set: Object | None, now: str
) -> Object:
    """``calculateStatus``: counters from the ReplicaSets, conditions carried over, ``Available`` set."""
    available = sum(status_count(rs, "availableReplicas") for rs in sets)
    status: Object = {
        "observedGeneration": deploy["metadata"].get("generation", 0),
        "replicas": sum(status_count(rs, "replicas") for rs in sets),
        "updatedReplicas": status_count(new_set, "replicas") if new_set else 0,
        "readyReplicas": sum(status_count(rs, "readyReplicas") for rs in sets),
        "availableReplicas": available,
        "unavailableReplicas": max(sum(spec_replicas(rs) for rs in sets) - available, 0),
        "conditions": copy.deepcopy(working.get("conditions") or []),
        "collisionCount": working.get("collisionCount"),
    }
    if available >= spec_replicas(deploy) - fenceposts(deploy)[1]:
        message = "Deployment has minimum availability."
        set_condition(status, condition(AVAILABLE, "True", "MinimumReplicasAvailable", message, now))
    else:
        message = "Deployment does not have minimum availability."
        set_condition(status, condition(AVAILABLE, "False", "MinimumReplicasUnavailable", message, now))
    return omit_zero(status)


def is_complete(deploy: Object, status: Object) -> bool:
    """``DeploymentComplete``: every replica updated and available, and the spec observed."""
    replicas = spec_replicas(deploy)
    return (
        status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
        and status.get("availableReplicas", 0) == replicas
        and int(status.get("observedGeneration", 0)) >= int(deploy["metadata"].get("generation", 0))
    )


def _has_progressed(before: Object, after: Object) -> bool:
    """``DeploymentProgressing``: some counter moved forward since the last status."""

    def old_pods(status: Object) -> int:
        return int(status.get("replicas", 0)) - int(status.get("updatedReplicas", 0))

    return (
        after.get("updatedReplicas", 0) > before.get("updatedReplicas", 0)
        or old_pods(after) < old_pods(before)
        or after.get("readyReplicas", 0) > before.get("readyReplicas", 0)
        or after.get("availableReplicas", 0) > before.get("availableReplicas", 0)
    )


def deadline_of(deploy: Object, status: Object) -> datetime | None:
    """When the rollout times out if nothing moves: None when complete, timed out or unbounded."""
    seconds = progress_deadline(deploy)
    progressing = get_condition(status, PROGRESSING)
    if seconds is None or progressing is None or progressing.get("reason") in (NEW_RS_AVAILABLE, TIMED_OUT):
        return None
    return parse_timestamp(progressing["lastUpdateTime"]) + timedelta(seconds=seconds)


def _timed_out(deploy: Object, status: Object, passed: Callable[[datetime], bool]) -> bool:
    """``DeploymentTimedOut``: already reported, or the deadline passed since the last progress."""
    if (get_condition(status, PROGRESSING) or {}).get("reason") == TIMED_OUT:
        return True
    due = deadline_of(deploy, status)
    return due is not None and passed(due)


def with_progress(
    deploy: Object,
    working: Object,
    status: Object,
    new_set: Object | None,
    stamp: str,
    passed: Callable[[datetime], bool],
) -> Object:
    """``syncRolloutStatus``: the ``Progressing`` condition for a status computed by :func:`calculate`."""
    if progress_deadline(deploy) is None:
        remove_condition(status, PROGRESSING)
        return status
    current = get_condition(working, PROGRESSING) or {}
    if current.get("reason") == NEW_RS_AVAILABLE and status.get("replicas", 0) == status.get(
        "updatedReplicas", 0
    ):
        return status
    name = deploy["metadata"]["name"]
    subject = f'ReplicaSet "{new_set["metadata"]["name"]}"' if new_set else f'Deployment "{name}"'
    if is_complete(deploy, status):
        message = f"{subject} has successfully progressed."
        set_condition(status, condition(PROGRESSING, "True", NEW_RS_AVAILABLE, message, stamp))
    elif _has_progressed(working, status):
        moved = condition(PROGRESSING, "True", "ReplicaSetUpdated", f"{subject} is progressing.", stamp)
        if current.get("status") == "True":
            moved["lastTransitionTime"] = current["lastTransitionTime"]
        remove_condition(status, PROGRESSING)
        set_condition(status, moved)
    elif _timed_out(deploy, status, passed):
        message = f"{subject} has timed out progressing."
        set_condition(status, condition(PROGRESSING, "False", TIMED_OUT, message, stamp))
    return status
