"""Watch streams with the apiserver's semantics, independent of HTTP.

The three ways a watch starts decide whether an operator loses events, so they are exact:

- no ``resourceVersion`` (or ``0``): synthetic ADDED events for the current state, then changes;
- ``resourceVersion=N``: every retained change after N, then live changes; if changes after N
  are no longer retained, one ERROR event ``410 Expired`` and the stream ends (the client must
  re-list);
- ``sendInitialEvents=true``: the synthetic ADDED events, then a BOOKMARK annotated
  ``k8s.io/initial-events-end`` (the streaming-list protocol).

Event types are computed against the watcher's selectors, as the watch cache does: an object
modified into the selection arrives as ADDED, one modified out of it as DELETED (carrying its
previous state at the new resourceVersion), so a cache keyed by selector never holds strays.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Any

from .errors import expired
from .storage import ADDED, DELETED, MODIFIED, Change, Store, Subscription

Object = dict[str, Any]
Filter = Callable[[Object], bool]
Encoder = Callable[[Object], Object]

CLOSED = None


class Timeout:
    """Nothing arrived in time: the moment to send a bookmark."""


TIMEOUT = Timeout()


def event_line(event_type: str, obj_json: bytes) -> bytes:
    return b'{"type":"' + event_type.encode() + b'","object":' + obj_json + b"}\n"


class WatchStream:
    """One open watch: first the initial or replayed events, then live ones."""

    def __init__(
        self,
        store: Store,
        storage: str,
        codec_key: str,
        selects: Filter,
        encode: Encoder,
        *,
        resource_version: str | None,
        send_initial_events: bool = False,
    ) -> None:
        self._store = store
        self._codec_key = codec_key
        self._selects = selects
        self._encode = encode
        self._subscription: Subscription = store.subscribe(storage)
        self.last_rv = store.rv
        self.pending: deque[bytes] = deque()  # the initial burst may be thousands of lines
        self.initial_events_end = False
        try:
            self._start(storage, resource_version, send_initial_events)
        except BaseException:
            self._subscription.close()
            raise

    def _start(self, storage: str, resource_version: str | None, send_initial_events: bool) -> None:
        if not resource_version or resource_version == "0" or send_initial_events:
            for obj in self._store.items(storage):
                if self._selects(obj):
                    self.pending.append(self._line(ADDED, self._encode(obj)))
            self.initial_events_end = send_initial_events
            return
        try:
            since = int(resource_version)
        except ValueError as error:
            raise expired(f"too old resource version: {resource_version} ({self._store.floor})") from error
        replay = self._store.since(storage, since)
        if replay is None:
            raise expired(f"too old resource version: {since} ({self._store.floor})")
        for change in replay:
            if line := self.render(change):
                self.pending.append(line)

    def _line(self, event_type: str, view: Object) -> bytes:
        return event_line(event_type, json.dumps(view, separators=(",", ":")).encode())

    def render(self, change: Change) -> bytes | None:
        """The event line this watcher gets for a change, or None when it does not concern it."""
        self.last_rv = change.rv
        now_in = change.type != DELETED and self._selects(change.obj)
        was_in = change.prev is not None and self._selects(change.prev)
        if change.type == DELETED:
            return self._change_line(DELETED, change) if self._selects(change.obj) else None
        if now_in:
            return self._change_line(MODIFIED if was_in else ADDED, change)
        if was_in and change.prev is not None:
            departed = {
                **change.prev,
                "metadata": {**change.prev["metadata"], "resourceVersion": str(change.rv)},
            }
            return self._line(DELETED, self._encode(departed))
        return None

    def _change_line(self, event_type: str, change: Change) -> bytes:
        return event_line(event_type, change.encoded_object(self._codec_key, self._encode(change.obj)))

    async def next(self, timeout: float) -> bytes | Timeout | None:
        """The next event line; TIMEOUT when none came in time; None when the stream was closed."""
        if self.pending:
            return self.pending.popleft()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return TIMEOUT
            try:
                change = await asyncio.wait_for(self._subscription.queue.get(), remaining)
            except TimeoutError:
                return TIMEOUT
            if change is None:
                return CLOSED
            if line := self.render(change):
                return line

    @property
    def idle(self) -> bool:
        """True when nothing is queued: only then may a bookmark claim the store's version."""
        return not self.pending and self._subscription.queue.empty()

    def close(self) -> None:
        self._subscription.close()
