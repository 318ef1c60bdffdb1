"""A keyed work queue with client-go's semantics, on asyncio.

Informer handlers, webhooks and the poller all say "look at this object again"; many say it at
once, and about the same objects. Queuing every such request would process one Deployment a
hundred times after a burst of watch events, and two workers could patch it concurrently. So,
like client-go's ``workqueue``, this queue holds *keys*, not events:

- **coalescing**: adding a key that is already waiting is a no-op -- the one pending run will
  read the latest state anyway;
- **one in flight per key**: a key added while a worker processes it is marked dirty and
  re-queued when that worker calls :meth:`WorkQueue.done`, never handed to a second worker;
- **bounded**: past ``maxsize`` pending keys :meth:`WorkQueue.add` refuses (returns False) so
  a flood of events turns into back-pressure (a webhook answers 503) instead of unbounded memory;
- **retry with backoff**: :meth:`WorkQueue.retry` re-adds a failed key after a per-key, capped,
  exponentially growing delay with full jitter (``uniform(0, min(cap, base * 2**attempts))``,
  so a crowd of failures spreads out); :meth:`WorkQueue.forget` resets it after a success.

A key added again after failing keeps the time of its first enqueue, so :meth:`WorkQueue.done`
reports the latency of a piece of work from the moment it was asked for until it was finished.
Waits are on asyncio events and timer handles only; nothing polls.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

_MAX_DOUBLINGS = 62  # 2**62 times any sane base is past any cap; keeps the float in range


class QueueShutDown(Exception):
    """Raised by :meth:`WorkQueue.get` once the queue is shut down and nothing is left to hand out."""


class WorkQueue(Generic[K]):
    """Keys waiting to be processed, at most one in flight each; see the module docstring.

    The life of a key: :meth:`add` (or :meth:`add_after`) → :meth:`get` hands it to one worker →
    the worker calls :meth:`retry` on failure or :meth:`forget` on success → always :meth:`done`.
    """

    def __init__(
        self,
        maxsize: int = 10_000,
        *,
        retry_base: float = 0.05,
        retry_cap: float = 60.0,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``jitter`` returns a float in [0, 1) that scales each backoff; ``clock`` is monotonic seconds."""
        if maxsize < 1:
            raise ValueError(f"a work queue holds at least one key, not {maxsize}")
        if retry_base <= 0 or retry_cap < retry_base:
            raise ValueError(f"retry backoff needs 0 < base <= cap, not base={retry_base} cap={retry_cap}")
        self.maxsize = maxsize
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self._jitter = jitter
        self._clock = clock
        self._queue: deque[K] = deque()  # dirty keys not in flight, in order
        self._dirty: set[K] = set()  # keys with work waiting (queued, or re-added while in flight)
        self._processing: dict[K, float] = {}  # in flight -> enqueue time of the work being done
        self._delayed: dict[K, tuple[float, asyncio.TimerHandle]] = {}  # later -> (loop deadline, timer)
        self._enqueued_at: dict[K, float] = {}  # dirty or delayed -> first enqueue of the pending work
        self._retrying: set[K] = set()  # in flight and scheduled for a retry by the current worker
        self._attempts: dict[K, int] = {}  # failures since the last forget()
        self._shutting_down = False
        self._ready = asyncio.Event()  # a get() would return or raise now
        self._idle = asyncio.Event()  # nothing waiting and nothing in flight
        self._idle.set()

    # -- adding ------------------------------------------------------------------------------------

    def add(self, key: K) -> bool:
        """Queue ``key`` now; False if the queue is full (or shut down) and ``key`` is not already pending."""
        if self._shutting_down:
            return False
        if key in self._dirty:
            return True
        if key in self._delayed:
            self._cancel_timer(key)  # due now instead of later; its place in the bound is kept
        elif self._pending() >= self.maxsize:
            return False
        self._enqueued_at.setdefault(key, self._clock())
        self._mark_dirty(key)
        return True

    def add_after(self, key: K, delay: float) -> bool:
        """Queue ``key`` after ``delay`` seconds (an earlier pending add wins); False if full or shut down."""
        if self._shutting_down:
            return False
        if delay <= 0:
            return self.add(key)
        if key in self._dirty:
            return True
        if key not in self._delayed and self._pending() >= self.maxsize:
            return False
        self._enqueued_at.setdefault(key, self._clock())
        self._schedule(key, delay)
        return True

    def retry(self, key: K) -> float:
        """Re-queue a failed ``key`` after its next backoff delay, which is returned.

        Call it from the worker holding ``key``, before :meth:`done`. The retried key keeps the
        enqueue time of the work that failed, and is never refused for lack of room (it was
        accepted once; the queue may exceed ``maxsize`` by the number of keys in flight).
        After shutdown the key is dropped: a restart re-reads the cluster anyway.
        """
        attempt = self._attempts.get(key, 0)
        self._attempts[key] = attempt + 1
        delay = self._jitter() * self.backoff(attempt)
        if key in self._processing:
            self._retrying.add(key)
        if self._shutting_down:
            return delay
        if key in self._processing:
            first = self._processing[key]
            self._enqueued_at[key] = min(first, self._enqueued_at.get(key, first))
        else:
            self._enqueued_at.setdefault(key, self._clock())
        if key in self._dirty:
            return delay  # already due again right after this run
        if delay <= 0:
            if key in self._delayed:
                self._cancel_timer(key)
            self._mark_dirty(key)
        else:
            self._schedule(key, delay)
        return delay

    def backoff(self, attempt: int) -> float:
        """The ceiling of the jittered delay after ``attempt`` earlier failures.

        ``min(cap, base * 2**attempt)``; the delay itself is drawn uniformly below it (full jitter).
        """
        doublings: int = 2 ** min(attempt, _MAX_DOUBLINGS)
        return min(self.retry_cap, self.retry_base * doublings)

    def forget(self, key: K) -> None:
        """Reset ``key``'s backoff: it succeeded."""
        self._attempts.pop(key, None)

    def attempts(self, key: K) -> int:
        """Failures of ``key`` since it last succeeded (was forgotten)."""
        return self._attempts.get(key, 0)

    # -- processing --------------------------------------------------------------------------------

    async def get(self) -> K:
        """The next key to process, now in flight until :meth:`done`; waits for one.

        Raises :class:`QueueShutDown` once the queue is shut down and drained.
        """
        while True:
            if self._queue:
                key = self._queue.popleft()
                self._dirty.discard(key)
                self._processing[key] = self._enqueued_at.pop(key, self._clock())
                self._signal()
                return key
            if self._shutting_down and not self._dirty:
                raise QueueShutDown("the work queue is shut down")
            await self._ready.wait()

    def done(self, key: K) -> float | None:
        """``key`` is no longer in flight; re-queue it if it was added meanwhile.

        Returns the seconds from the first enqueue of the work just finished until now, or None
        if that work is not finished (it was scheduled for a retry) or ``key`` was not in flight.
        """
        first = self._processing.pop(key, None)
        if first is None:
            return None
        retrying = key in self._retrying
        self._retrying.discard(key)
        if key in self._dirty:
            self._queue.append(key)
        self._signal()
        return None if retrying else self._clock() - first

    # -- stopping ----------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Accept no more keys; keys already waiting are still handed out, scheduled ones are dropped."""
        self._shutting_down = True
        for key in list(self._delayed):
            self._cancel_timer(key)
            self._enqueued_at.pop(key, None)
        self._signal()

    async def drain(self, timeout: float) -> bool:
        """Wait until no key is waiting or in flight (scheduled ones do not count); True if in time."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    # -- looking -----------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Keys waiting to be handed out (including keys re-added while in flight)."""
        return len(self._dirty)

    @property
    def in_flight(self) -> int:
        """Keys handed out and not yet done."""
        return len(self._processing)

    @property
    def scheduled(self) -> int:
        """Keys waiting for a delay (:meth:`add_after`, :meth:`retry`) before they are queued."""
        return len(self._delayed)

    # -- inside ------------------------------------------------------------------------------------

    def _pending(self) -> int:
        """Keys counted against ``maxsize``: waiting now or later (the two sets are disjoint)."""
        return len(self._dirty) + len(self._delayed)

    def _mark_dirty(self, key: K) -> None:
        self._dirty.add(key)
        if key not in self._processing:
            self._queue.append(key)
        self._signal()

    def _schedule(self, key: K, delay: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        if key in self._delayed:
            if self._delayed[key][0] <= deadline:
                return
            self._cancel_timer(key)
        self._delayed[key] = (deadline, loop.call_at(deadline, self._fire, key))

    def _fire(self, key: K) -> None:
        if self._delayed.pop(key, None) is not None:
            self._mark_dirty(key)

    def _cancel_timer(self, key: K) -> None:
        _, timer = self._delayed.pop(key)
        timer.cancel()

    def _signal(self) -> None:
        """Set the events from the state, so waiters wake exactly when they can proceed."""
        if self._queue or (self._shutting_down and not self._dirty):
            self._ready.set()
        else:
            self._ready.clear()
        if self._dirty or self._processing:
            self._idle.clear()
        else:
            self._idle.set()
