"""Which candidate tag a policy chooses, and why every other candidate was not chosen.

:func:`select` is deterministic: it depends on the set of candidates, not their order (a registry's
tag list order is arbitrary; Headwind's polling took the *last* acceptable tag in that order, so
``all`` and ``glob`` could downgrade or pick ``latest``). Each candidate is judged alone, against the
current tag only, giving either a rejection reason or a rank; the greatest rank wins, and ties fall
to the tag spelled like the current one (``v1.2.4`` after ``v1.2.3``), then to the tag text.

The rules every version policy shares, in the order their reasons are reported:

* ``headwind.sh/ignore-tags`` globs are never chosen;
* a tag that is not a version (``latest``, ``main``, ``sha-1a2b3c``) is not ordered by version;
* a candidate must follow the current tag's convention (:attr:`~headwind.model.versions.Version.family`:
  prefix, variant and precision), so ``1.25.3-alpine`` stays Alpine and ``1.25`` keeps floating;
* a pre-release is chosen only when ``prerelease`` is set or the current tag is a pre-release of the
  same core (``1.3.0-rc.1`` may move to ``1.3.0-rc.2`` and to ``1.3.0``, not to ``1.4.0-beta``);
* nothing but ``force`` ever chooses a version below the current one.

Every verdict's reason is a phrase a user reads in ``headwind policy test`` and in logs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatchcase

from headwind.model.policy import PATTERN_TIMEOUT, VERSION_BUCKETS, Order, Policy, PolicyKind, search_tag
from headwind.model.versions import Bump, Version, parse_version, why_not_a_version


@dataclass(frozen=True, slots=True)
class Candidate:
    """A tag a registry holds, with the digest it points at when known."""

    tag: str
    digest: str | None = None
    pushed: int | None = field(default=None, compare=False)
    """When the tag was seen pushed, in the catalog's sequence (higher is later); None if unknown.

    Only ``force`` reads it: "the tag just pushed" is the one it takes, even below the current tag.
    """


@dataclass(frozen=True, slots=True)
class Verdict:
    tag: str
    chosen: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Selection:
    target: Candidate | None
    """The candidate to move to, or None to stay."""
    verdicts: tuple[Verdict, ...]
    """One per distinct candidate tag, in the order the tags were first given."""


@dataclass(frozen=True, slots=True)
class _Current:
    tag: str | None
    digest: str | None
    version: Version | None


Rank = tuple[object, ...]
Judgement = str | Rank
"""A rejection reason, or the rank of an acceptable candidate."""


def select(
    policy: Policy,
    current_tag: str | None,
    candidates: Iterable[Candidate | str],
    *,
    current_digest: str | None = None,
) -> Selection:
    """Judge ``candidates`` against the running ``current_tag`` (None when pinned by digest only).

    ``current_digest`` is the digest the workload runs, when known (from its ``@sha256:`` pin or
    its pods' status); only the ``digest`` policy uses it.
    """
    unique = _unique(candidates)
    current = _Current(current_tag, current_digest, parse_version(current_tag) if current_tag else None)
    judge = _JUDGES[policy.kind]
    judged = {tag: _judge(policy, current, candidate, judge) for tag, candidate in unique.items()}
    ranked = {tag: judgement for tag, judgement in judged.items() if isinstance(judgement, tuple)}
    if not ranked:
        return Selection(None, tuple(Verdict(tag, False, str(judged[tag])) for tag in unique))
    winner = max(ranked, key=lambda tag: (ranked[tag], _spelled_like(tag, current_tag), tag))
    settled = policy.kind is PolicyKind.FORCE and winner == current_tag
    verdicts = []
    for tag, judgement in judged.items():
        if tag == winner:
            reason = _SETTLED if settled else _chosen_reason(policy, current, unique[tag])
            verdicts.append(Verdict(tag, not settled, reason))
        elif isinstance(judgement, tuple):
            verdicts.append(Verdict(tag, False, f"acceptable, but {winner} ranks higher"))
        else:
            verdicts.append(Verdict(tag, False, judgement))
    return Selection(None if settled else unique[winner], tuple(verdicts))


def could_choose(policy: Policy, current_tag: str | None) -> Callable[[str], bool]:
    """A cheap test that is False only for tags :func:`select` would certainly refuse.

    The poller applies it to every page of a tag list, so a repository with 50,000 tags costs
    memory for the few a policy could pick: ignored tags, non-matching patterns, non-versions under
    version policies and other tags under ``digest`` are dropped as they arrive.
    """
    ignored = policy.ignore_tags
    kind = policy.kind

    def kept(tag: str) -> bool:
        if kind is PolicyKind.NONE or any(fnmatchcase(tag, glob) for glob in ignored):
            return False
        if kind is PolicyKind.DIGEST:
            return tag == current_tag
        if kind is PolicyKind.FORCE:
            return True
        if kind is PolicyKind.GLOB:
            return fnmatchcase(tag, policy.pattern)
        if kind is PolicyKind.REGEXP:
            try:
                return policy.regexp is not None and search_tag(policy.regexp, tag) is not None
            except TimeoutError:
                return True  # kept, so that select() can say why it is refused
        return parse_version(tag) is not None

    return kept


def _unique(candidates: Iterable[Candidate | str]) -> dict[str, Candidate]:
    """Candidates by tag; a tag given twice keeps a known digest (the greatest, should they differ)."""
    unique: dict[str, Candidate] = {}
    for item in candidates:
        candidate = Candidate(item) if isinstance(item, str) else item
        known = unique.get(candidate.tag)
        if known is None or (candidate.digest or "") > (known.digest or ""):
            unique[candidate.tag] = candidate
    return unique


def _judge(
    policy: Policy,
    current: _Current,
    candidate: Candidate,
    judge: Callable[[Policy, _Current, Candidate], Judgement],
) -> Judgement:
    if policy.kind is PolicyKind.NONE:
        return "policy 'none' never updates"
    for glob in policy.ignore_tags:
        if fnmatchcase(candidate.tag, glob):
            return f"matches ignore-tags glob {glob!r}"
    return judge(policy, current, candidate)


def _spelled_like(tag: str, current_tag: str | None) -> bool:
    """Whether ``tag`` has a leading ``v`` exactly when the current tag does."""
    return tag.startswith(("v", "V")) == (current_tag or "").startswith(("v", "V"))


# --- the judges: one per policy kind, each a reason or a rank ---------------------------------------


def _judge_buckets(policy: Policy, current: _Current, candidate: Candidate) -> Judgement:
    """``patch``, ``minor``, ``major`` and ``all``: newer versions that keep the leading numbers."""
    baseline = _version_baseline(policy, current)
    if isinstance(baseline, str):
        return baseline
    judged = _newer_version(policy, baseline, candidate)
    if isinstance(judged, str):
        return judged
    kept = VERSION_BUCKETS[policy.kind]
    bump = baseline.bump_to(judged)
    if kept and bump not in _BUMPS_WITHIN[kept]:
        held = ".".join(str(number) for number in baseline.core[:kept])
        return f"a {bump.value} update; policy {policy.kind.value} stays within {held}.x"
    return judged.key


_BUMPS_WITHIN = {
    2: frozenset({Bump.PATCH, Bump.SAME_CORE}),
    1: frozenset({Bump.MINOR, Bump.PATCH, Bump.SAME_CORE}),
}


def _judge_glob(policy: Policy, current: _Current, candidate: Candidate) -> Judgement:
    if not fnmatchcase(candidate.tag, policy.pattern):
        return f"does not match pattern {policy.pattern!r}"
    return _judge_ordered_by_version(policy, current, candidate, "glob")


def _judge_semver(policy: Policy, current: _Current, candidate: Candidate) -> Judgement:
    version = parse_version(candidate.tag)
    if version is None:
        return why_not_a_version(candidate.tag)
    if policy.semver_range is not None and not policy.semver_range.allows(version):
        return f"outside range {str(policy.semver_range)!r}"
    return _judge_ordered_by_version(policy, current, candidate, "semver")


def _judge_ordered_by_version(
    policy: Policy, current: _Current, candidate: Candidate, name: str
) -> Judgement:
    """Glob and semver: the user's filter chose the set; versions order it, never downward.

    With a current tag that is a version, the candidate must follow its convention and be newer.
    With ``latest`` or another non-version, there is nothing to be newer than, and the filter is
    the user's consent to any matching version.
    """
    if current.version is not None:
        return _rank(_newer_version(policy, current.version, candidate))
    version = parse_version(candidate.tag)
    if version is None:
        return f"{why_not_a_version(candidate.tag)}; the {name} policy orders tags by version"
    if version.is_prerelease and not policy.prerelease:
        return _PRERELEASE_REFUSED
    return version.key


def _judge_force(policy: Policy, current: _Current, candidate: Candidate) -> Judgement:
    """The most recently pushed tag, else the highest: versions above other tags, others by text.

    The current tag is ranked too, so that once a workload runs the newest push, force settles
    instead of moving to the next best tag and back.
    """
    pushed = -1 if candidate.pushed is None else candidate.pushed
    version = parse_version(candidate.tag)
    return (pushed, 1, version.key, "") if version is not None else (pushed, 0, (), candidate.tag)


def _judge_digest(policy: Policy, current: _Current, candidate: Candidate) -> Judgement:
    if current.tag is None:
        return "the current image is pinned by digest without a tag, so there is no tag to follow"
    if candidate.tag != current.tag:
        return f"another tag; the digest policy follows the content of {current.tag!r}"
    if candidate.digest is None:
        return "no digest known for this tag"
    if candidate.digest == current.digest:
        return "the digest the workload already runs"
    return (0,)


def _judge_regexp(policy: Policy, current: _Current, candidate: Candidate) -> Judgement:
    """Matching tags ranked by ``order``; above the current tag's value when it has one."""
    try:
        value = _extracted(policy, candidate.tag)
    except TimeoutError:
        return _PATTERN_TOO_SLOW
    if value is None:
        return f"does not match pattern {policy.pattern!r}"
    rank = _order_rank(policy.order, value)
    if isinstance(rank, str):
        return rank
    try:
        current_value = _extracted(policy, current.tag) if current.tag is not None else None
    except TimeoutError:
        current_value = None
    current_rank = _order_rank(policy.order, current_value) if current_value is not None else None
    if policy.order is Order.SEMVER and not _prerelease_allowed(policy, current_value, value):
        return _PRERELEASE_REFUSED
    if isinstance(current_rank, tuple) and rank <= current_rank:
        return f"{value!r} is not above the current {current_value!r} in {policy.order.value} order"
    return rank


def _extracted(policy: Policy, tag: str) -> str | None:
    """The value ``order`` ranks: the tag, or its ``extract`` group; None when the pattern misses."""
    assert policy.regexp is not None, "build_policy compiles every regexp policy's pattern"
    match = search_tag(policy.regexp, tag)
    if match is None:
        return None
    if policy.extract is None:
        return tag
    return match.group(policy.extract) or ""


def _order_rank(order: Order, value: str) -> Judgement:
    if order is Order.ALPHABETICAL:
        return (value,)
    if order is Order.NUMERICAL:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return f"extracted value {value!r} is not a number"
        return (number,) if number.is_finite() else f"extracted value {value!r} is not a finite number"
    version = parse_version(value)
    if version is None:
        return f"extracted value {value!r} is {why_not_a_version(value)}"
    return version.key


def _prerelease_allowed(policy: Policy, current_value: str | None, value: str) -> bool:
    version = parse_version(value)
    if version is None or not version.is_prerelease or policy.prerelease:
        return True
    baseline = parse_version(current_value) if current_value is not None else None
    return baseline is not None and _prerelease_of_same_core(baseline, version)


# --- the shared version rules -----------------------------------------------------------------------

_PATTERN_TOO_SLOW = (
    f"the pattern took over {PATTERN_TIMEOUT * 1000:g} ms on this tag (it backtracks badly); simplify it"
)
_SETTLED = "the current tag ranks highest: force moves only to a tag pushed after it"
_PRERELEASE_REFUSED = 'a pre-release; set headwind.sh/prerelease: "true" to allow pre-releases'


def _version_baseline(policy: Policy, current: _Current) -> Version | str:
    """The current version the bucket policies measure from, or why there is none."""
    if current.tag is None:
        return "the current image is pinned by digest without a tag; version policies compare tags"
    if current.version is None:
        return (
            f"the current tag {current.tag!r} is {why_not_a_version(current.tag)}; "
            f"policy {policy.kind.value} compares versions (the digest policy follows a moving tag)"
        )
    return current.version


def _newer_version(policy: Policy, baseline: Version, candidate: Candidate) -> Version | str:
    """The candidate's version if it may replace ``baseline``, else why not."""
    if candidate.tag == baseline.tag:
        return "the current tag"
    version = parse_version(candidate.tag)
    if version is None:
        return why_not_a_version(candidate.tag)
    difference = baseline.family_difference(version)
    if difference is not None:
        return f"another tag convention: {difference}"
    if version.is_prerelease and not (policy.prerelease or _prerelease_of_same_core(baseline, version)):
        return _PRERELEASE_REFUSED
    if version.key == baseline.key:
        return f"the same version as the current {baseline.tag}"
    if version.key < baseline.key:
        return f"older than the current {baseline.tag}"
    return version


def _prerelease_of_same_core(baseline: Version, version: Version) -> bool:
    return baseline.is_prerelease and baseline.core == version.core


def _rank(judged: Version | str) -> Judgement:
    return judged if isinstance(judged, str) else judged.key


def _chosen_reason(policy: Policy, current: _Current, candidate: Candidate) -> str:
    if policy.kind is PolicyKind.DIGEST:
        if current.digest is None:
            return f"pins the tag to {candidate.digest} (the running digest is not known)"
        return f"new content for the tag: {current.digest} -> {candidate.digest}"
    if policy.kind is PolicyKind.FORCE:
        return "force takes the most recently pushed tag (else the highest), even below the current one"
    if policy.kind is PolicyKind.REGEXP:
        return f"the highest in {policy.order.value} order among the tags matching the pattern"
    if current.version is None:
        return f"the highest tag policy {policy.kind.value} accepts"
    return f"the newest update from {current.tag} that policy {policy.kind.value} allows"


_JUDGES: dict[PolicyKind, Callable[[Policy, _Current, Candidate], Judgement]] = {
    PolicyKind.NONE: lambda policy, current, candidate: "policy 'none' never updates",
    PolicyKind.PATCH: _judge_buckets,
    PolicyKind.MINOR: _judge_buckets,
    PolicyKind.MAJOR: _judge_buckets,
    PolicyKind.ALL: _judge_buckets,
    PolicyKind.GLOB: _judge_glob,
    PolicyKind.SEMVER: _judge_semver,
    PolicyKind.REGEXP: _judge_regexp,
    PolicyKind.FORCE: _judge_force,
    PolicyKind.DIGEST: _judge_digest,
}
