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


@dataclass
class _Seen:
    digest: str | None
    order: int
    """When it was recorded, in the catalog's own sequence: later facts win ties between sources."""


@dataclass
class _Polled:
    tags: dict[str, _Seen] = field(default_factory=dict)
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
        polled = self._polled.setdefault((repository, namespace), _Polled())
        listed = dict.fromkeys(tags)
        new = {tag for tag in listed if tag not in polled.tags}
        polled.tags = {
            tag: polled.tags[tag] if tag in polled.tags else _Seen(None, next(self._sequence))
            for tag in listed
        }
        return new

    def record_digest(self, repository: str, namespace: str, tag: str, digest: str) -> bool:
        """Note the digest a tag points at; return whether it differs from the one last seen."""
        polled = self._polled.setdefault((repository, namespace), _Polled())
        seen = polled.tags.get(tag)
        changed = seen is not None and seen.digest is not None and seen.digest != digest
        if seen is None or seen.digest != digest:
            polled.tags[tag] = _Seen(digest, next(self._sequence))
        polled.baselines.setdefault(tag, digest)
        return changed

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
        pushed = self._pushed.setdefault(repository, {})
        pushed.pop(tag, None)
        pushed[tag] = _Seen(digest, next(self._sequence))
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
        if EventSource.WEBHOOK in sources:
            for tag, seen in self._pushed.get(repository, {}).items():
                known = found.get(tag)
                if known is None or seen.order > known[0].order:
                    found[tag] = (seen, EventSource.WEBHOOK)
        return [(Candidate(tag, seen.digest), source) for tag, (seen, source) in found.items()]
