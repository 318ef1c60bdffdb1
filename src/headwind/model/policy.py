"""What an update policy is: its kind and options, validated once, before any tag is judged.

A policy is written as annotations (``headwind.sh/policy: minor``, ``headwind.sh/pattern``…) or as
``headwind policy test`` options. Both go through :func:`build_policy`, which turns text into a
:class:`Policy` value or an :class:`InvalidPolicy` listing every problem, each named after the key or
option it came from: a user fixing ``headwind.sh/semver-range.app`` is told that key, not a field
name. Choosing among candidate tags is :mod:`headwind.model.selection`'s job.

Headwind's policy values keep their names (``none``, ``patch``, ``minor``, ``major``, ``all``,
``glob``, ``force``), case-insensitively, with corrected meanings; ``semver``, ``regexp`` and
``digest`` come from Flux and Argo CD Image Updater. Options a policy does not use are ignored rather
than rejected, so a Headwind workload with a leftover ``headwind.sh/pattern`` keeps working.

Regular expressions come from annotations, which anyone allowed to edit a Deployment writes, and run
against every tag on the operator's event loop. They are compiled with the ``regex`` module rather
than ``re`` for one reason: its matching takes a timeout (:data:`PATTERN_TIMEOUT`), so a pattern
that backtracks catastrophically (``^(a|aa)+$``) costs one tag 50 ms and a stated reason, instead
of stalling lease renewal, webhooks and probes for hours. The syntax is ``re``'s (and Go RE2's,
which Flux users write), named groups included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum

import regex

from headwind.model.ranges import InvalidRange, VersionRange, parse_range


class PolicyKind(Enum):
    NONE = "none"
    """Never update (the default)."""
    PATCH = "patch"
    """Newer versions with the same major and minor numbers."""
    MINOR = "minor"
    """Newer versions with the same major number."""
    MAJOR = "major"
    """Any newer version."""
    ALL = "all"
    """The newest version, never a downgrade: ``major`` by Headwind's name (Headwind's took any tag)."""
    GLOB = "glob"
    """The newest version among tags matching ``pattern`` (``*``, ``?``, ``[…]``)."""
    FORCE = "force"
    """Any tag pushed, even a downgrade or a non-version: for webhook-driven pipelines. Dangerous."""
    SEMVER = "semver"
    """The newest version inside ``semver-range``."""
    REGEXP = "regexp"
    """Tags matching ``pattern``, ordered by ``order`` over the whole tag or the ``extract`` group."""
    DIGEST = "digest"
    """The same tag with new content: the update pins ``repo:tag@sha256:…``."""


class Order(Enum):
    """How the ``regexp`` policy ranks the values it extracted; the greatest wins."""

    SEMVER = "semver"
    NUMERICAL = "numerical"
    ALPHABETICAL = "alphabetical"


PATTERN_TIMEOUT = 0.05
"""Seconds a ``regexp`` pattern may spend on one tag; a slower match counts as no match, with a reason."""


def search_tag(pattern: regex.Pattern[str], tag: str) -> regex.Match[str] | None:
    """``pattern.search(tag)`` within :data:`PATTERN_TIMEOUT`; raises :class:`TimeoutError` when slower."""
    return pattern.search(tag, timeout=PATTERN_TIMEOUT)


VERSION_BUCKETS = {PolicyKind.PATCH: 2, PolicyKind.MINOR: 1, PolicyKind.MAJOR: 0, PolicyKind.ALL: 0}
"""For the bucket policies: how many leading core numbers must stay as they are."""

FIELDS = ("policy", "pattern", "semver-range", "extract", "order", "ignore-tags", "prerelease")
"""The option names :func:`build_policy` reads; annotation keys are ``headwind.sh/<name>``."""

_TRUE, _FALSE = frozenset({"true", "yes", "1", "on"}), frozenset({"false", "no", "0", "off"})


class InvalidPolicy(ValueError):
    """Policy options that cannot be used, with one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Policy:
    kind: PolicyKind = PolicyKind.NONE
    pattern: str = ""
    """The glob (``glob``) or regular expression (``regexp``); empty for other kinds."""
    regexp: regex.Pattern[str] | None = None
    extract: str | int | None = None
    """The ``regexp`` capture group whose value is ordered: a name or a number; None for the whole tag."""
    order: Order = Order.SEMVER
    semver_range: VersionRange | None = None
    ignore_tags: tuple[str, ...] = ()
    """Globs of tags never chosen, whatever the kind."""
    prerelease: bool = False
    """Whether pre-releases may be chosen even when the current tag is a release."""

    def describe(self) -> str:
        """The policy as a user wrote it, for logs and ``headwind policy test``."""
        parts = [self.kind.value]
        if self.kind is PolicyKind.GLOB or self.kind is PolicyKind.REGEXP:
            parts.append(f"pattern {self.pattern!r}")
        if self.kind is PolicyKind.REGEXP:
            parts.append(f"order {self.order.value}")
            if self.extract is not None:
                parts.append(f"extract {self.extract}")
        if self.semver_range is not None and self.kind is PolicyKind.SEMVER:
            parts.append(f"range {str(self.semver_range)!r}")
        if self.ignore_tags:
            parts.append("ignoring " + ",".join(self.ignore_tags))
        if self.prerelease:
            parts.append("pre-releases allowed")
        return ", ".join(parts)


def build_policy(values: Mapping[str, str], label: Callable[[str], str] = str) -> Policy:
    """The policy that option ``values`` (keyed by :data:`FIELDS` names) describe.

    ``label`` names an option for messages (``headwind.sh/pattern.app``, ``--pattern``). Every
    problem is collected before raising, so a user fixes them in one round.
    """
    problems: list[str] = []

    def complain(name: str, problem: str) -> None:
        problems.append(f"{label(name)}: {problem}")

    kind = _kind(values.get("policy", ""), lambda problem: complain("policy", problem))
    pattern = values.get("pattern", "")
    policy = Policy(
        kind=kind,
        ignore_tags=_ignore_tags(values.get("ignore-tags", "")),
        prerelease=_flag(values.get("prerelease", ""), lambda problem: complain("prerelease", problem)),
    )
    if kind is PolicyKind.GLOB:
        if not pattern:
            complain("pattern", "the glob policy needs a pattern such as '1.*-alpine'")
        policy = replace(policy, pattern=pattern)
    elif kind is PolicyKind.REGEXP:
        policy = _regexp_policy(policy, values, complain)
    elif kind is PolicyKind.SEMVER:
        policy = replace(policy, semver_range=_range(values.get("semver-range", ""), complain))
    if problems:
        raise InvalidPolicy(problems)
    return policy


def _kind(text: str, complain: Callable[[str], None]) -> PolicyKind:
    name = text.strip().lower() or PolicyKind.NONE.value
    try:
        return PolicyKind(name)
    except ValueError:
        choices = ", ".join(kind.value for kind in PolicyKind)
        complain(f"unknown policy {text.strip()!r}; use one of {choices}")
        return PolicyKind.NONE


def _flag(text: str, complain: Callable[[str], None]) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value and value not in _FALSE:
        complain(f"{text.strip()!r} is not a boolean; use 'true' or 'false'")
    return False


def _ignore_tags(text: str) -> tuple[str, ...]:
    return tuple(glob for glob in (part.strip() for part in text.split(",")) if glob)


def _range(text: str, complain: Callable[[str, str], None]) -> VersionRange | None:
    if not text.strip():
        complain("semver-range", "the semver policy needs a range such as '>=1.2 <2' or '^1.2'")
        return None
    try:
        return parse_range(text)
    except InvalidRange as error:
        complain("semver-range", error.problem)
        return None


def _regexp_policy(policy: Policy, values: Mapping[str, str], complain: Callable[[str, str], None]) -> Policy:
    pattern = values.get("pattern", "")
    order_text = values.get("order", "").strip().lower() or Order.SEMVER.value
    try:
        order = Order(order_text)
    except ValueError:
        complain("order", f"unknown order {order_text!r}; use one of semver, numerical, alphabetical")
        order = Order.SEMVER
    if not pattern:
        complain("pattern", "the regexp policy needs a regular expression such as '^main-(?P<ts>[0-9]+)$'")
        return replace(policy, order=order)
    try:
        compiled = regex.compile(pattern)
    except (regex.error, OverflowError, RecursionError, ValueError) as error:
        complain("pattern", f"not a valid regular expression: {error}")
        return replace(policy, pattern=pattern, order=order)
    extract = _extract_group(
        values.get("extract", ""), compiled, lambda problem: complain("extract", problem)
    )
    return replace(policy, pattern=pattern, regexp=compiled, extract=extract, order=order)


def _extract_group(
    text: str, compiled: regex.Pattern[str], complain: Callable[[str], None]
) -> str | int | None:
    """The capture group named by ``text``: ``ts``, ``$ts``, ``${ts}`` (Flux's spelling) or a number."""
    name = text.strip()
    if name.startswith("${") and name.endswith("}"):
        name = name[2:-1]
    elif name.startswith("$"):
        name = name[1:]
    if not name:
        return None
    if name.isdigit():
        number = int(name)
        if 1 <= number <= compiled.groups:
            return number
        complain(f"the pattern has {compiled.groups} capture group(s); there is no group {number}")
        return None
    if name in compiled.groupindex:
        return name
    known = ", ".join(sorted(compiled.groupindex)) or "none"
    complain(f"the pattern has no capture group named {name!r} (named groups: {known})")
    return None
