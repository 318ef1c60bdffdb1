"""Versioned object storage with a retained change history: the emulator's etcd.

Every write gets the next value of one global, increasing integer ``resourceVersion``, as etcd's
revision gives a real apiserver. Each change is also appended to a bounded history so that a watch
can resume from any version still retained and a client that asks for an older one gets
``410 Expired`` (then it must re-list: that is the path operators most often get wrong, so the
emulator makes it reachable on purpose with :meth:`Store.compact`).

Stored objects are never mutated after they are committed. Reads hand out the stored dicts
themselves, which keeps listing 10,000 Deployments cheap; whoever wants to change one copies it
first and commits the copy. Watchers subscribe per storage and receive :class:`Change` values on a
bounded queue: a watcher that falls too far behind is closed, as the apiserver closes slow watches,
and reconnects from its last version like any client must.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"

Object = dict[str, Any]
Key = tuple[str, str, str]  # storage, namespace, name


@dataclass(slots=True)
class Change:
    """One committed write, as watchers see it."""

    rv: int
    type: str
    storage: str
    namespace: str
    name: str
    obj: Object
    prev: Object | None
    _encoded: dict[str, bytes] = field(default_factory=dict, repr=False)

    def encoded_object(self, codec: str, obj: Object) -> bytes:
        """The object's JSON for one codec, encoded once however many watchers want it."""
        cached = self._encoded.get(codec)
        if cached is None:
            cached = self._encoded[codec] = json.dumps(obj, separators=(",", ":")).encode()
        return cached


class Subscription:
    """A watcher's queue of changes for one storage; ``None`` on the queue means closed."""

    def __init__(self, store: Store, storage: str, maxsize: int) -> None:
        self._store = store
        self.storage = storage
        self.queue: asyncio.Queue[Change | None] = asyncio.Queue(maxsize)
        self.closed = False

    def offer(self, change: Change) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self.close()

    def close(self) -> None:
        """End the subscription; the reader sees ``None`` after what is already queued."""
        if self.closed:
            return
        self.closed = True
        self._store._unsubscribe(self)
        while True:
            try:
                self.queue.put_nowait(None)
                return
            except asyncio.QueueFull:
                self.queue.get_nowait()


def _metadata(obj: Object) -> dict[str, Any]:
    metadata: dict[str, Any] = obj.get("metadata") or {}
    return metadata


class Store:
    """Objects by storage, namespace and name, with history and watch fan-out."""

    def __init__(self, history_limit: int = 50_000, watch_queue_size: int = 10_000) -> None:
        self._rv = 0
        self._floor = 0
        self._objects: dict[str, dict[str, dict[str, Object]]] = {}
        self._history: deque[Change] = deque()
        self._history_limit = history_limit
        self._watch_queue_size = watch_queue_size
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._listeners: list[Callable[[Change], None]] = []
        self._by_uid: dict[str, Key] = {}
        self._dependents: dict[str, set[Key]] = {}

    @property
    def rv(self) -> int:
        """The latest committed resourceVersion."""
        return self._rv

    @property
    def floor(self) -> int:
        """Changes after this version are all retained; a watch from an older one gets 410."""
        return self._floor

    def get(self, storage: str, namespace: str, name: str) -> Object | None:
        return self._objects.get(storage, {}).get(namespace, {}).get(name)

    def items(self, storage: str, namespace: str | None = None) -> list[Object]:
        """Objects sorted by namespace and name, as the apiserver lists them."""
        by_namespace = self._objects.get(storage, {})
        spaces = [namespace] if namespace is not None else sorted(by_namespace)
        return [
            objects[name]
            for space in spaces
            if (objects := by_namespace.get(space))
            for name in sorted(objects)
        ]

    def count(self, storage: str) -> int:
        return sum(len(objects) for objects in self._objects.get(storage, {}).values())

    def namespaced_keys(self, namespace: str) -> Iterator[Key]:
        """Every object in one namespace, across storages (for namespace deletion)."""
        for storage, by_namespace in self._objects.items():
            for name in list(by_namespace.get(namespace, {})):
                yield storage, namespace, name

    def find_uid(self, uid: str) -> Key | None:
        return self._by_uid.get(uid)

    def dependents(self, uid: str) -> list[Key]:
        """Objects whose ownerReferences name this uid."""
        return sorted(self._dependents.get(uid, ()))

    def commit(self, storage: str, obj: Object, change_type: str, prev: Object | None) -> Change:
        """Stamp the next resourceVersion on a new object state, store it and tell the watchers.

        ``obj`` becomes the stored object (it must be a fresh dict the caller no longer changes).
        For DELETED it is the object's final state and leaves the store.
        """
        self._rv += 1
        metadata = obj.setdefault("metadata", {})
        metadata["resourceVersion"] = str(self._rv)
        namespace = metadata.get("namespace", "")
        name = metadata["name"]
        key = (storage, namespace, name)
        if prev is not None:
            self._unindex(key, prev)
        by_namespace = self._objects.setdefault(storage, {})
        if change_type == DELETED:
            objects = by_namespace.get(namespace, {})
            objects.pop(name, None)
            if not objects:
                by_namespace.pop(namespace, None)
        else:
            by_namespace.setdefault(namespace, {})[name] = obj
            self._index(key, obj)
        change = Change(self._rv, change_type, storage, namespace, name, obj, prev)
        self._remember(change)
        for subscription in list(self._subscriptions.get(storage, ())):
            subscription.offer(change)
        for listener in self._listeners:
            listener(change)
        return change

    def listen(self, listener: Callable[[Change], None]) -> None:
        """Call ``listener`` synchronously with every change: how the simulated controllers learn of
        work. Unlike a subscription it cannot fall behind or be dropped, because it is the
        apiserver's own machinery, not a client over the network."""
        self._listeners.append(listener)

    def _index(self, key: Key, obj: Object) -> None:
        metadata = _metadata(obj)
        if uid := metadata.get("uid"):
            self._by_uid[uid] = key
        for ref in metadata.get("ownerReferences") or ():
            if owner := ref.get("uid"):
                self._dependents.setdefault(owner, set()).add(key)

    def _unindex(self, key: Key, obj: Object) -> None:
        metadata = _metadata(obj)
        if (uid := metadata.get("uid")) and self._by_uid.get(uid) == key:
            del self._by_uid[uid]
        for ref in metadata.get("ownerReferences") or ():
            dependents = self._dependents.get(ref.get("uid", ""))
            if dependents is not None:
                dependents.discard(key)
                if not dependents:
                    del self._dependents[ref["uid"]]

    def _remember(self, change: Change) -> None:
        self._history.append(change)
        while len(self._history) > self._history_limit:
            self._floor = self._history.popleft().rv

    def since(self, storage: str, rv: int) -> list[Change] | None:
        """Retained changes of one storage after ``rv``; None when some of them are gone."""
        if rv < self._floor:
            return None
        return [change for change in self._history if change.rv > rv and change.storage == storage]

    def subscribe(self, storage: str) -> Subscription:
        """A new watcher of one storage (a client's watch request)."""
        subscription = Subscription(self, storage, self._watch_queue_size)
        self._subscriptions.setdefault(storage, set()).add(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.get(subscription.storage, set()).discard(subscription)

    def watcher_count(self, storage: str | None = None) -> int:
        if storage is not None:
            return len(self._subscriptions.get(storage, ()))
        return sum(len(subs) for subs in self._subscriptions.values())

    def drop_watches(self, storages: set[str] | None = None) -> int:
        """Close open subscriptions (all, or of some storages); returns how many were closed."""
        closed = 0
        for storage, subscriptions in list(self._subscriptions.items()):
            if storages is not None and storage not in storages:
                continue
            for subscription in list(subscriptions):
                subscription.close()
                closed += 1
        return closed

    def compact(self) -> None:
        """Forget all history up to now, so every resume from an older version gets 410."""
        self._history.clear()
        self._floor = self._rv
