"""Time for the simulated controllers, controllable so that no test waits for a real deadline.

A Deployment whose image never becomes ready reports ``ProgressDeadlineExceeded`` after
``progressDeadlineSeconds`` (600 by default). Operators react to exactly that signal, so tests must
reach it, and they must not sleep ten minutes to do so. Controllers therefore never call
``asyncio.sleep`` for simulated durations: they ask the clock to call them back.

- :class:`ScaledClock` runs callbacks after ``delay * scale`` real seconds (``headwind sandbox
  --time-scale 0.01`` turns 600 s into 6 s); timestamps stay wall-clock so kubectl's AGE reads true.
- :class:`ManualClock` runs callbacks only when a test calls :meth:`ManualClock.advance`, and its
  ``now()`` moves by exactly the advanced amount: deterministic and instant.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer: ...


def timestamp(moment: datetime) -> str:
    """RFC 3339 with a ``Z``, second precision, as Kubernetes writes metadata timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ScaledClock:
    """Wall-clock timestamps; simulated durations shortened by ``scale``."""

    def __init__(self, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError(f"time scale must be positive, got {scale}")
        self.scale = scale

    def now(self) -> datetime:
        return datetime.now(UTC)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_later(max(delay, 0.0) * self.scale, callback)


class _ManualTimer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC).replace(microsecond=0)
        self._timers: list[tuple[datetime, int, _ManualTimer, Callable[[], None]]] = []
        self._sequence = itertools.count()

    def now(self) -> datetime:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = _ManualTimer()
        due = self._now + timedelta(seconds=max(delay, 0.0))
        heapq.heappush(self._timers, (due, next(self._sequence), timer, callback))
        return timer

    def advance(self, seconds: float) -> int:
        """Move time forward and run every callback that falls due, in order; returns how many ran."""
        target = self._now + timedelta(seconds=seconds)
        ran = 0
        while self._timers and self._timers[0][0] <= target:
            due, _, timer, callback = heapq.heappop(self._timers)
            self._now = max(self._now, due)
            if not timer.cancelled:
                callback()
                ran += 1
        self._now = target
        return ran

    @property
    def pending(self) -> int:
        return sum(1 for _, _, timer, _ in self._timers if not timer.cancelled)
