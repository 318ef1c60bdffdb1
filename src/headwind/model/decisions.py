"""What the dispatcher decided about one object, as a value.

The dispatcher's output vocabulary: every work item it finishes yields one :class:`Decision`,
kept in a bounded history that the UI, the API and tests read. A decision is a plain value
-- the object it concerns, an outcome, the reason in words a person can act on, and when it
was made -- so the code that decides stays pure: the time is passed in, never read here.

The outcomes grow with the features that produce them (an update planned, an approval requested,
skipped with a reason); for now the dispatcher only records that it has seen an object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from .workloads import ObjectKey

SEEN: Final = "seen"
"""The placeholder outcome: the dispatcher observed the object and has nothing more to decide yet."""


@dataclass(frozen=True)
class Decision:
    """The outcome of deciding about ``key`` at ``decided_at`` (timezone-aware), and why."""

    key: ObjectKey
    outcome: str
    reason: str
    decided_at: datetime

    def __post_init__(self) -> None:
        if not self.outcome:
            raise ValueError(f"a decision about {self.key} needs an outcome")
        if self.decided_at.tzinfo is None or self.decided_at.utcoffset() is None:
            raise ValueError(f"the time of a decision about {self.key} must be timezone-aware")

    def __str__(self) -> str:
        return f"{self.key}: {self.outcome} ({self.reason})"
