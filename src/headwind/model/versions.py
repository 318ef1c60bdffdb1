"""What an image tag means as a version, and which tags can be compared at all.

Registries hold tags, not versions. ``1.25.3``, ``v1.25.3``, ``1.25``, ``1.25.3-alpine3.19``,
``1.2.3-rc.1``, ``2024.01.05``, ``release-1.2``, ``1.25.3-debian-12-r4`` and ``latest`` all occur,
often in one repository. Headwind fed tags to a strict semver parser: two-part tags never parsed (so
``postgres:14.5`` never updated), and ``-alpine`` became a *pre-release*, so ``1.25.4`` outranked
``1.25.4-alpine`` and an Alpine workload was moved to Debian. Here a tag is read as::

    [prefix][v] core [-pre-release] [-variant] [-revision] [+build]

* **core**: one to six dot-separated numbers (``1``, ``1.25``, ``2024.01.05``); leading zeros allowed.
* **prefix**: a word and a separator before the core (``release-``), part of the tag's family.
  A lone ``v`` is not: ``v1.2.3`` and ``1.2.3`` are the same version. Hash markers (``sha-``,
  ``git-``, ``commit-``) make no version: ``sha-1234567`` is a commit, not a number.
* **pre-release**: a first suffix that starts with a pre-release word (``rc``, ``beta``, ``alpha``,
  ``pre``, ``dev``, ``snapshot``…), as in ``-rc.1``, ``-beta2``, ``-RC1``.
* **variant**: any other suffix (``alpine``, ``alpine3.19``, ``slim-bookworm``, ``debian-12``).
* **revision**: a last suffix ``r<N>`` (Bitnami's ``-r4``), or a lone ``-<N>`` (a package revision),
  ordering rebuilds of one version.
* **build**: ``+…`` metadata, which semver says does not order versions; we agree.

Two versions are *comparable* only within one :attr:`Version.family`: the same prefix, the same number
of core components (the *precision*: ``1.25`` floats over patches, ``1.25.3`` does not, and a workload
on one convention stays on it) and the same variant. Policies that let the user choose the candidate
set (``glob``, ``semver`` ranges, ``regexp``) may compare across precision; :attr:`Version.key` pads
the core so such comparisons are total. A tag that is not a version gets a reason from
:func:`parse_version`'s sibling :func:`why_not_a_version`, because policies explain every rejection.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from enum import Enum

MAX_PRECISION = 6
"""The most numeric components a core may have; all keys are padded to this width."""

MAX_TAG_LENGTH = 128
"""The longest tag the OCI distribution spec allows; longer text is no version (and no huge number)."""

_VERSION = re.compile(
    r"""
    (?P<prefix>[A-Za-z]+[-_])?
    [vV]?
    (?P<core>[0-9]+(?:\.[0-9]+)*)
    (?:-(?P<suffix>[0-9A-Za-z.-]+))?
    (?:\+(?P<build>[0-9A-Za-z.-]+))?
    """,
    re.VERBOSE,
)
_PRERELEASE = re.compile(
    r"(?:alpha|beta|rc|pre|preview|dev|snapshot|nightly|canary|next|milestone|insiders|experimental"
    r"|unstable|ea|cr|a|b|m)(?:\.?[0-9]+)?(?:\.[0-9A-Za-z]+)*",
    re.IGNORECASE,
)
_REVISION = re.compile(r"[rR]?([0-9]+)")
_HASH_MARKERS = frozenset({"sha", "git", "commit"})
_RUNS = re.compile(r"[0-9]+|[A-Za-z]+")

PrereleaseKey = tuple[tuple[int, int, str], ...]


class Bump(Enum):
    """How far apart two comparable versions are: the first core component that differs."""

    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"
    SAME_CORE = "same core"
    """Equal cores: a pre-release, revision or build of the same numbers."""


@dataclass(frozen=True, slots=True)
class Version:
    """A tag read as a version; ordered by :attr:`key`, grouped by :attr:`family`."""

    tag: str
    core: tuple[int, ...]
    prefix: str = ""
    prerelease: str = ""
    variant: str = ""
    revision: int | None = None
    build: str = ""
    key: tuple[object, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", _sort_key(self))

    @property
    def precision(self) -> int:
        return len(self.core)

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    @property
    def family(self) -> tuple[str, int, str]:
        """Tags with equal families follow one naming convention and may be ordered against each other."""
        return (self.prefix.lower(), self.precision, self.variant)

    def bump_to(self, newer: Version) -> Bump:
        """Which component changes from this version to ``newer`` (compared after zero-padding)."""
        mine, theirs = _padded(self.core), _padded(newer.core)
        for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            if a != b:
                return (Bump.MAJOR, Bump.MINOR)[index] if index < 2 else Bump.PATCH
        return Bump.SAME_CORE

    def family_difference(self, other: Version) -> str | None:
        """Why ``other`` follows another tag convention than this version, or None if it does not."""
        if self.prefix.lower() != other.prefix.lower():
            return f"{_quoted(other.prefix, 'prefix')}; the current tag has {_quoted(self.prefix, 'prefix')}"
        if self.variant != other.variant:
            mine, theirs = _quoted(self.variant, "variant"), _quoted(other.variant, "variant")
            return f"{theirs}; the current tag has {mine}"
        if self.precision != other.precision:
            return f"{_components(other.precision)}; the current tag has {self.precision}"
        return None


@functools.lru_cache(maxsize=1 << 16)
def parse_version(tag: str) -> Version | None:
    """The version a tag names, or None when it names none (``latest``, ``main``, ``sha-1a2b3c``).

    Cached: every workload running a repository judges the same tags, and a :class:`Version` is
    immutable, so parsing each tag once serves them all.
    """
    if len(tag) > MAX_TAG_LENGTH:
        return None
    match = _VERSION.fullmatch(tag)
    if match is None:
        return None
    prefix = match["prefix"] or ""
    if prefix[:-1].lower() in _HASH_MARKERS:
        return None
    numbers = match["core"].split(".")
    if len(numbers) > MAX_PRECISION:
        return None
    prerelease, variant, revision = _split_suffix(match["suffix"] or "")
    if variant is None:
        return None
    return Version(
        tag=tag,
        core=tuple(int(number) for number in numbers),
        prefix=prefix,
        prerelease=prerelease,
        variant=variant,
        revision=revision,
        build=match["build"] or "",
    )


def why_not_a_version(tag: str) -> str:
    """One phrase saying why :func:`parse_version` returned None for ``tag``."""
    if len(tag) > MAX_TAG_LENGTH:
        return f"not a version (longer than {MAX_TAG_LENGTH} characters)"
    match = _VERSION.fullmatch(tag)
    if match is None:
        return "not a version (no numeric core such as 1.2.3)"
    if (match["prefix"] or "")[:-1].lower() in _HASH_MARKERS:
        return "not a version (a commit hash)"
    if len(match["core"].split(".")) > MAX_PRECISION:
        return f"not a version (more than {MAX_PRECISION} numeric components)"
    return "not a version (an empty suffix between '-' separators)"


def _split_suffix(suffix: str) -> tuple[str, str | None, int | None]:
    """Pre-release, variant (None when malformed) and revision of the text after the core's ``-``."""
    if not suffix:
        return "", "", None
    segments = suffix.split("-")
    if any(not segment for segment in segments):
        return "", None, None
    prerelease = ""
    if _PRERELEASE.fullmatch(segments[0]):
        prerelease = segments.pop(0)
    revision = None
    if segments:
        last = _REVISION.fullmatch(segments[-1])
        bare_number = last is not None and segments[-1][0].isdigit()
        if last is not None and (not bare_number or len(segments) == 1):
            revision = int(last[1])
            segments.pop()
    return prerelease, "-".join(segments), revision


def _padded(core: tuple[int, ...]) -> tuple[int, ...]:
    return core + (0,) * (MAX_PRECISION - len(core))


def _sort_key(version: Version) -> tuple[object, ...]:
    """Semver precedence over the padded core: a release outranks its pre-releases; build is ignored."""
    release: tuple[object, ...] = (1,) if not version.prerelease else (0, _prerelease_key(version.prerelease))
    revision = -1 if version.revision is None else version.revision
    return (_padded(version.core), release, revision)


def _prerelease_key(prerelease: str) -> PrereleaseKey:
    """Identifiers in natural order: numbers numerically and below words, so ``rc.2 < rc.10 < rc.x``."""
    return tuple(
        (0, int(run), "") if run.isdigit() else (1, 0, run.lower()) for run in _RUNS.findall(prerelease)
    )


def _components(count: int) -> str:
    return f"{count} numeric component" + ("" if count == 1 else "s")


def _quoted(text: str, what: str) -> str:
    return f"{what} {text!r}" if text else f"no {what}"
