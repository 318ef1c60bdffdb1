"""The ``headwind.sh/*`` annotations: their keys, and the update policy they give each container.

Keys and values are Headwind's, so a workload annotated for Headwind behaves the same here, minus
its defects. A workload-wide key applies to every container; the same key with a container's name as
suffix (``headwind.sh/policy.sidecar``, ``headwind.sh/pattern.sidecar``) overrides it for that
container, option by option. ``headwind.sh/images`` keeps Headwind's meaning: the names of the
containers to track (not image names), empty or absent for all of them; a container with its own
``headwind.sh/policy.<name>`` is tracked whether listed or not, since that annotation says so.

Kubernetes limits an annotation key's name part to 63 characters, so ``policy.<name>`` fits only
container names up to 56 characters (``semver-range.<name>``: 50).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from headwind.model.config import parse_positive_seconds
from headwind.model.policy import FIELDS, InvalidPolicy, Policy, build_policy

PREFIX = "headwind.sh/"

POLICY = PREFIX + "policy"
"""The policy key; each option in :data:`~headwind.model.policy.FIELDS` is ``PREFIX + name``."""
IMAGES = PREFIX + "images"
"""Comma-separated container names to track; empty or absent: all containers."""
EVENT_SOURCE = PREFIX + "event-source"
POLLING_INTERVAL = PREFIX + "polling-interval"
MIN_UPDATE_INTERVAL = PREFIX + "min-update-interval"
LAST_UPDATE = PREFIX + "last-update"


def tracks(annotations: Mapping[str, str], container: str) -> bool:
    """Whether the workload's annotations ask for ``container`` to be kept up to date at all."""
    listed = [name.strip() for name in annotations.get(IMAGES, "").split(",") if name.strip()]
    return not listed or container in listed or f"{POLICY}.{container}" in annotations


def container_policy(annotations: Mapping[str, str], container: str) -> Policy | None:
    """The policy for one container, or None when ``headwind.sh/images`` leaves it untracked.

    Raises :class:`~headwind.model.policy.InvalidPolicy` whose problems name the exact keys to fix.
    """
    if not tracks(annotations, container):
        return None
    keys = {name: _key_for(annotations, name, container) for name in FIELDS}
    values = {name: annotations[key] for name, key in keys.items() if key in annotations}
    return build_policy(values, label=keys.__getitem__)


def _key_for(annotations: Mapping[str, str], name: str, container: str) -> str:
    """The key that sets option ``name`` for ``container``: its own if present, else the workload's."""
    own = f"{PREFIX}{name}.{container}"
    return own if own in annotations else PREFIX + name


class EventSource(Enum):
    """Where news of an image can come from; ``headwind.sh/event-source`` picks which are heeded."""

    WEBHOOK = "webhook"
    POLLING = "polling"


_EVENT_SOURCES = {
    "webhook": frozenset({EventSource.WEBHOOK}),
    "polling": frozenset({EventSource.POLLING}),
    "both": frozenset({EventSource.WEBHOOK, EventSource.POLLING}),
    "none": frozenset(),
}


def event_sources(annotations: Mapping[str, str]) -> frozenset[EventSource]:
    """The sources a workload heeds: ``webhook`` (the default), ``polling``, ``both`` or ``none``.

    Headwind parsed this annotation only in its poller, so ``polling`` and ``none`` workloads still
    reacted to webhooks; here every source asks this one function.
    """
    text = annotations.get(EVENT_SOURCE, "").strip().lower() or "webhook"
    try:
        return _EVENT_SOURCES[text]
    except KeyError:
        raise InvalidPolicy(
            [f"{EVENT_SOURCE}: unknown event source {text!r}; use one of webhook, polling, both, none"]
        ) from None


def polling_interval(annotations: Mapping[str, str]) -> float | None:
    """The workload's own polling interval in seconds, or None to use the global one."""
    text = annotations.get(POLLING_INTERVAL, "").strip()
    if not text:
        return None
    try:
        return parse_positive_seconds(text)
    except ValueError as error:
        raise InvalidPolicy([f"{POLLING_INTERVAL}: {text!r} {error}"]) from None
