"""What the dispatcher decided about one object, as a value.

The dispatcher's output vocabulary: every work item it finishes yields one :class:`Decision`,
kept in a bounded history that the UI, the API and tests read. A decision is a plain value
-- the object it concerns, an outcome, the reason in words a person can act on, and when it
was made -- so the code that decides stays pure: the time is passed in, never read here.

The outcomes grow with the features that produce them. Today: a workload has an update
available (with the :class:`ContainerChange` for each container that would move), is up to date,
is not tracked at all, carries annotations that cannot be used, or is gone; other kinds are seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from .workloads import ObjectKey

SEEN: Final = "seen"
"""The dispatcher observed the object and has nothing to decide about its kind (yet)."""
UPDATE_AVAILABLE: Final = "update-available"
"""At least one container's policy chose a new image; :attr:`Decision.changes` says which."""
UP_TO_DATE: Final = "up-to-date"
"""Tracked containers exist, and no candidate known for them is chosen by their policies."""
NOT_TRACKED: Final = "not-tracked"
"""No container has a policy other than ``none`` (or its event source is ``none``)."""
INVALID: Final = "invalid"
"""The annotations cannot be used; the reason names each key to fix."""
GONE: Final = "gone"
"""The object was deleted before it was decided about."""


@dataclass(frozen=True)
class ContainerChange:
    """One container moving from the image it runs to the one its policy chose."""

    container: str
    current: str
    target: str
    policy: str
    source: str
    """Where the chosen tag was learned: ``polling`` or ``webhook``."""

    def __str__(self) -> str:
        return f"{self.container}: {self.current} -> {self.target} ({self.policy}, from {self.source})"


@dataclass(frozen=True)
class Decision:
    """The outcome of deciding about ``key`` at ``decided_at`` (timezone-aware), and why."""

    key: ObjectKey
    outcome: str
    reason: str
    decided_at: datetime
    changes: tuple[ContainerChange, ...] = ()

    def __post_init__(self) -> None:
        if not self.outcome:
            raise ValueError(f"a decision about {self.key} needs an outcome")
        if self.decided_at.tzinfo is None or self.decided_at.utcoffset() is None:
            raise ValueError(f"the time of a decision about {self.key} must be timezone-aware")

    def __str__(self) -> str:
        return f"{self.key}: {self.outcome} ({self.reason})"
