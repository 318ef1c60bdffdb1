"""The reconcile loop every simulated controller shares.

A controller names the store changes it cares about as keys (``wants``) and brings one key's
objects to the desired state (``reconcile``). Keys queue in insertion order without duplicates,
so a burst of writes to one Deployment coalesces into one reconcile that reads the latest state,
as client-go's work queues do. Reconciles are synchronous (the apiserver calls they make are), so
a controller never observes a half-applied change of its own.

``wait_idle`` lets tests wait for the cluster to settle instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence

from ..apiserver import ApiServer
from ..errors import ApiError
from ..storage import Change, Key

log = logging.getLogger(__name__)

RETRY_DELAY = 0.05


class Controller:
    """Subclasses define ``name``, ``wants`` and ``reconcile``."""

    name = "controller"

    def __init__(self, api: ApiServer) -> None:
        self.api = api
        self._pending: dict[Key, None] = {}
        self._wake = asyncio.Event()
        self._running = False
        self._task: asyncio.Task[None] | None = None

    def wants(self, change: Change) -> Iterable[Key]:
        """The keys a change makes worth reconciling."""
        return ()

    def reconcile(self, key: Key) -> None:
        raise NotImplementedError

    def enqueue(self, key: Key) -> None:
        self._pending[key] = None
        self._wake.set()

    def observe(self, change: Change) -> None:
        for key in self.wants(change):
            self.enqueue(key)

    @property
    def busy(self) -> bool:
        return self._running or bool(self._pending)

    def start(self) -> None:
        self.api.store.listen(self.observe)
        self._task = asyncio.create_task(self._run(), name=f"sandbox-controller:{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                key = next(iter(self._pending))
                del self._pending[key]
                self._running = True
                try:
                    self.reconcile(key)
                except ApiError as error:
                    log.debug("sandbox %s: %s/%s/%s: %s, retrying", self.name, *key, error.message)
                    # A retry is real time, not simulated: a manual clock must not strand it.
                    asyncio.get_running_loop().call_later(RETRY_DELAY, self.enqueue, key)
                except Exception:
                    log.exception("sandbox %s: reconcile of %s/%s/%s failed", self.name, *key)
                finally:
                    self._running = False
                await asyncio.sleep(0)


class ControllerManager:
    """Starts, stops and waits for a set of controllers."""

    def __init__(self, controllers: Sequence[Controller]) -> None:
        self.controllers = list(controllers)

    def start(self) -> None:
        for controller in self.controllers:
            controller.start()

    async def stop(self) -> None:
        for controller in self.controllers:
            await controller.stop()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Return once no controller has work, twice in a row (work begets work); raise on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet = 0
        while quiet < 2:
            await asyncio.sleep(0)
            if any(controller.busy for controller in self.controllers):
                quiet = 0
                if loop.time() > deadline:
                    busy = [c.name for c in self.controllers if c.busy]
                    raise TimeoutError(f"sandbox controllers still busy after {timeout}s: {busy}")
                await asyncio.sleep(0.001)
            else:
                quiet += 1
