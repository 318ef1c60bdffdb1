"""List pagination (``limit`` and ``continue``) with consistent snapshots, as etcd gives them.

A real apiserver serves every page of a paginated list at the resourceVersion of the first page, so
a client that pages through 10,000 objects while they change sees one consistent list. The
emulator keeps the first page's full result as a snapshot and hands out opaque tokens into it.
Snapshots are few and short-lived (as etcd compaction makes continue tokens expire): a token whose
snapshot is gone, or older than the store's history floor, gets ``410 Expired`` with the
apiserver's message, which is the case clients must handle by starting the list again.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request, expired

EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token results "
    "in an inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list."
)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    rv: int
    continue_token: str
    remaining: int | None


class Pager:
    """Snapshots of paginated lists, addressed by continue tokens."""

    def __init__(self, capacity: int = 64) -> None:
        self._snapshots: OrderedDict[int, tuple[int, list[dict[str, Any]]]] = OrderedDict()
        self._ids = itertools.count(1)
        self._capacity = capacity

    def first(self, items: list[dict[str, Any]], rv: int, limit: int | None) -> Page:
        if not limit or limit >= len(items):
            return Page(items, rv, "", None)
        snapshot = next(self._ids)
        self._snapshots[snapshot] = (rv, items)
        while len(self._snapshots) > self._capacity:
            self._snapshots.popitem(last=False)
        return self._page(snapshot, rv, items, 0, limit)

    def next(self, token: str, limit: int | None, floor: int) -> Page:
        snapshot, offset = _decode(token)
        found = self._snapshots.get(snapshot)
        if found is None or found[0] < floor:
            self._snapshots.pop(snapshot, None)
            raise expired(EXPIRED_MESSAGE)
        rv, items = found
        return self._page(snapshot, rv, items, offset, limit or len(items))

    def _page(self, snapshot: int, rv: int, items: list[dict[str, Any]], offset: int, limit: int) -> Page:
        end = offset + limit
        if end >= len(items):
            self._snapshots.pop(snapshot, None)
            return Page(items[offset:], rv, "", None)
        return Page(items[offset:end], rv, _encode(snapshot, rv, end), len(items) - end)


def _encode(snapshot: int, rv: int, offset: int) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "snapshot": snapshot, "offset": offset})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(token: str) -> tuple[int, int]:
    try:
        fields = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(fields["snapshot"]), int(fields["offset"])
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise _invalid_token() from error


def _invalid_token() -> ApiError:
    return bad_request(
        "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
    )
