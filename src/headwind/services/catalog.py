"""What the event sources have learned about repositories: the tags they hold and their digests.

Sources and the dispatcher meet here. The poller records each tag listing and the digests it
checked; webhooks record each push. The dispatcher, deciding about a workload, asks for the
candidates of each container's repository from the sources that workload heeds
(``headwind.sh/event-source``) and lets the policy choose. Keeping *knowledge* rather than a queue
of events makes deciding idempotent: a decision retried, coalesced with others or repeated after
a leader change reads the same facts, and nothing is lost when two events for one workload
arrive while it is being decided.

Two scopes, on purpose:

* Polled facts are kept per (repository, namespace). The poller lists a repository with the
  credentials of the workloads' namespace; what one namespace's credentials revealed is not
  offered to another namespace's workloads.
* Pushed facts (webhooks) are kept per repository: a registry announcing a push tells everyone.

Digests remember the first one seen for each tag (the *baseline*), which stands in for the digest a
workload runs when its image is not pinned: a tag re-pushed with new content differs from it.
The catalog is a cache in memory; a restart re-learns it from the next poll and push.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from headwind.model.annotations import EventSource
from headwind.model.selection import Candidate

MAX_PUSHED_TAGS = 1000
"""Pushed tags remembered per repository, newest kept: webhooks never list, so this bounds memory."""
MAX_PUSHED_REPOSITORIES = 10_000
"""Repositories whose pushes are remembered, the most recently pushed kept: a sender (or an
unauthenticated stranger) naming endless repositories cannot grow memory without bound."""


@dataclass
class _Seen:
    digest: str | None
    order: int
    """When it was recorded, in the catalog's own sequence: later facts win ties between sources."""
    pushed: int | None = None
    """When the tag was seen appearing (a push, or a listing after the first); None when it was
    already there at the first listing, so its push time is unknown. The ``force`` policy reads it."""


@dataclass
class _Polled:
    tags: dict[str, _Seen] = field(default_factory=dict)
    """The last listing (filtered by the policies): replaced whole by each listing."""
    digests: dict[str, _Seen] = field(default_factory=dict)
    """The digests checked for the ``digest`` policy, per tag: kept apart from the listing, which
    another policy's filter may leave the tag out of."""
    baselines: dict[str, str] = field(default_factory=dict)


class TagCatalog:
    """See the module docstring."""

    def __init__(self) -> None:
        self._polled: dict[tuple[str, str], _Polled] = {}
        self._pushed: dict[str, dict[str, _Seen]] = {}
        self._sequence = itertools.count()

    # -- polling ---------------------------------------------------------------------------------

    def record_listing(self, repository: str, namespace: str, tags: Iterable[str]) -> set[str]:
        """Replace the polled tag list; return the tags the previous listing did not have.

        The first listing of a repository returns every tag: to this process they are all news.
        """
        first = (repository, namespace) not in self._polled
        polled = self._polled.setdefault((repository, namespace), _Polled())
        listed = dict.fromkeys(tags)
        new = {tag for tag in listed if tag not in polled.tags}
        polled.tags = {
            tag: polled.tags[tag] if tag in polled.tags else self._seen(None, already_there=first)
            for tag in listed
        }
        return new

    def record_digest(self, repository: str, namespace: str, tag: str, digest: str) -> bool:
        """Note the digest a tag points at; return whether it differs from the one last seen."""
        polled = self._polled.setdefault((repository, namespace), _Polled())
        seen = polled.digests.get(tag)
        if seen is not None and seen.digest == digest:
            return False
        polled.digests[tag] = _Seen(digest, next(self._sequence))
        polled.baselines.setdefault(tag, digest)
        return seen is not None

    def baseline_digest(self, repository: str, namespace: str, tag: str) -> str | None:
        """The first digest polling saw for ``tag``: what an unpinned workload was taken to run."""
        polled = self._polled.get((repository, namespace))
        return polled.baselines.get(tag) if polled else None

    def retain(self, polled: Collection[tuple[str, str]]) -> None:
        """Forget polled facts about (repository, namespace) pairs no workload polls any more."""
        for stale in self._polled.keys() - set(polled):
            del self._polled[stale]

    # -- webhooks --------------------------------------------------------------------------------

    def record_push(self, repository: str, tag: str, digest: str | None) -> None:
        """Note that ``tag`` was pushed (pointing at ``digest`` when the source said)."""
        pushed = self._pushed.pop(repository, {})
        self._pushed[repository] = pushed  # the most recently pushed repository is kept longest
        while len(self._pushed) > MAX_PUSHED_REPOSITORIES:
            del self._pushed[next(iter(self._pushed))]
        pushed.pop(tag, None)
        pushed[tag] = self._seen(digest, already_there=False)
        while len(pushed) > MAX_PUSHED_TAGS:
            del pushed[next(iter(pushed))]

    # -- reading ---------------------------------------------------------------------------------

    def candidates(
        self, repository: str, namespace: str, sources: Collection[EventSource]
    ) -> list[tuple[Candidate, EventSource]]:
        """Every tag known from ``sources``, each with its latest digest and the source that told it."""
        found: dict[str, tuple[_Seen, EventSource]] = {}
        if EventSource.POLLING in sources and (polled := self._polled.get((repository, namespace))):
            found.update((tag, (seen, EventSource.POLLING)) for tag, seen in polled.tags.items())
            for tag, checked in polled.digests.items():
                listed = polled.tags.get(tag)
                pushed = listed.pushed if listed else None
                found[tag] = (_Seen(checked.digest, checked.order, pushed), EventSource.POLLING)
        if EventSource.WEBHOOK in sources:
            for tag, seen in self._pushed.get(repository, {}).items():
                known = found.get(tag)
                if known is None or seen.order > known[0].order:
                    # A push that did not say its digest does not hide the digest polling knows.
                    digest = seen.digest or (known[0].digest if known else None)
                    found[tag] = (_Seen(digest, seen.order, seen.pushed), EventSource.WEBHOOK)
        return [(Candidate(tag, seen.digest, seen.pushed), source) for tag, (seen, source) in found.items()]

    def _seen(self, digest: str | None, already_there: bool) -> _Seen:
        order = next(self._sequence)
        return _Seen(digest, order, None if already_there else order)
