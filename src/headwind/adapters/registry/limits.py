"""How hard we may lean on one registry: our own budget, and what the registry tells us about its own.

Docker Hub counts requests per IP address, GHCR and Quay throttle bursts, and a self-hosted registry
may simply be small. Peers learned this the hard way (Flux and Keel retry a 429 at once; Argo CD's
limit is per process, not per registry), so every HTTP request to a registry -- retries included,
token-server requests excluded because they do not reach the registry -- passes
:meth:`RegistryLimits.slot`, which for that registry host

1. takes one of ``max_concurrency`` concurrency slots, held until the response is read;
2. waits out a pause, when the registry answered 429 (so one throttled request holds back every
   request to that registry instead of each of them collecting its own 429); and
3. takes a token from a :class:`TokenBucket`: at most ``burst + rate * t`` requests in any window of
   length ``t``.

The bucket *reserves*: a caller that finds it empty takes the token on credit and sleeps exactly as
long as the debt takes to repay, instead of sleeping and checking again. The budget holds either way,
but a reservation makes a fair first-come queue without a lock, and a test that injects a
non-sleeping ``sleep`` never spins. A cancelled waiter gives its token back.

The headers of the registry's own limits are read here too: ``Retry-After`` (seconds or an HTTP
date) and Docker Hub's ``RateLimit-Limit`` / ``RateLimit-Remaining`` (``100;w=21600``).
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """``burst`` tokens to start with, refilled at ``rate`` per second up to ``burst``; one per request."""

    def __init__(
        self, rate: float, burst: int, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"a token bucket needs rate > 0 and burst >= 1, not rate={rate} burst={burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()

    @property
    def tokens(self) -> float:
        """Tokens available now; negative while reserved tokens are still being repaid."""
        self._refill()
        return self._tokens

    async def acquire(self) -> None:
        """Take one token, waiting as long as the budget requires."""
        self._refill()
        self._tokens -= 1.0
        if self._tokens >= 0.0:
            return
        try:
            await self._sleep(-self._tokens / self.rate)
        except BaseException:
            self._tokens += 1.0  # cancelled before using it: the token goes back
            raise

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)


@dataclass(slots=True)
class _Registry:
    """The limits of one registry host."""

    concurrency: asyncio.Semaphore
    bucket: TokenBucket
    paused_until: float = 0.0


class RegistryLimits:
    """Per registry host: a concurrency cap, a request budget, and a pause after a 429."""

    def __init__(
        self,
        max_concurrency: int,
        rate: float,
        burst: int,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
        TokenBucket(rate, burst, clock, sleep)  # validates rate and burst now, not on first use
        self.max_concurrency = max_concurrency
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._registries: dict[str, _Registry] = {}

    @asynccontextmanager
    async def slot(self, registry: str) -> AsyncIterator[None]:
        """Hold one request's worth of ``registry``'s limits for the duration of the block."""
        limits = self._of(registry)
        async with limits.concurrency:
            await self._wait_out_pause(limits)
            await limits.bucket.acquire()
            yield

    def pause(self, registry: str, seconds: float) -> None:
        """Hold back every request to ``registry`` for ``seconds`` (a 429's Retry-After)."""
        limits = self._of(registry)
        limits.paused_until = max(limits.paused_until, self._clock() + max(0.0, seconds))

    def bucket(self, registry: str) -> TokenBucket:
        """The request budget of ``registry`` (for tests and diagnostics)."""
        return self._of(registry).bucket

    async def _wait_out_pause(self, limits: _Registry) -> None:
        # One sleep per pause: waking up, a later pause (another 429 meanwhile) means sleeping again;
        # the same pause, still "in the future" by an injected clock, does not.
        waited_for = 0.0
        while limits.paused_until > waited_for:
            waited_for = limits.paused_until
            remaining = waited_for - self._clock()
            if remaining <= 0:
                return
            await self._sleep(remaining)

    def _of(self, registry: str) -> _Registry:
        limits = self._registries.get(registry)
        if limits is None:
            limits = _Registry(
                asyncio.Semaphore(self.max_concurrency),
                TokenBucket(self.rate, self.burst, self._clock, self._sleep),
            )
            self._registries[registry] = limits
        return limits


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); ``None`` if absent.

    ``now`` is the wall-clock time an HTTP date is measured from (default: ``time.time()``). A date
    in the past, or a negative number, means "now": 0.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is garbage
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000" or no zone: HTTP dates are always GMT
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def rate_limit_value(value: str | None) -> int | None:
    """The number in a ``RateLimit-Limit`` / ``RateLimit-Remaining`` header (``76;w=21600`` -> 76)."""
    if not value:
        return None
    number = value.split(";", 1)[0].split(",", 1)[0].strip()
    return int(number) if number.isascii() and number.isdigit() else None
