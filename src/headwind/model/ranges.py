"""Semver ranges: which versions the ``headwind.sh/semver-range`` annotation lets a workload move to.

Flux (``semver: ">=1.2 <2"``, Masterminds syntax) and Argo CD Image Updater (``~1.2``) users state
*which* versions are acceptable; Headwind offered only fixed policies (major, minor, patch), so a
"stay on 1.x" or "anything but 2.3.0" rule could not be written at all. This module reads the
constraint language those users already know -- npm's and Masterminds' -- into
:class:`VersionRange`::

    range        := conjunction ("||" conjunction)*
    conjunction  := item ([","]? item)*          (whitespace and/or commas mean AND)
    item         := [op] version | version " - " version
    op           := "=" | "!=" | ">" | ">=" | "<" | "<=" | "~" | "~>" | "^"

Tilde, caret, wildcard (``1.x``, ``1.*``, bare ``1``) and hyphen ranges are sugar, expanded at parse
time into plain comparators as npm documents them; comparisons go through :attr:`Version.key`, so a
tag ``1.25`` is ``1.25.0``. Versions are read by :func:`parse_version`; a variant (``-alpine``) is
refused, because a range orders versions while variants are matched by the current tag's family.

Pre-releases: the range does not decide whether pre-releases are acceptable; the policy does. But an
exclusive upper bound on a plain release, ``<X``, also shuts out X's own pre-releases: ``<1.3``,
``~1.2``, ``^1.2`` and ``1.2.x`` all mean "before the 1.3 line", and ``1.3.0-rc.1`` is part of that
line even though semver precedence puts it below ``1.3.0`` (npm spells these bounds ``<1.3.0-0``).
Write the pre-release (``<1.3.0-rc.2``) to admit earlier pre-releases of the bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from headwind.model.versions import MAX_PRECISION, Version, parse_version, why_not_a_version

OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "~", "~>", "^")
"""Every operator a comparator may start with."""

_ALLOWED = re.compile(r"[0-9A-Za-z.*+_\-<>=!~^|,\s]*")
_LONG_NUMBER = re.compile(r"[0-9]{33,}")
_TOKEN = re.compile(r"[<>=!~^]+|,|[^\s,<>=!~^]+")
_WILDCARD = re.compile(r"[vV]?(?P<parts>(?:[0-9]+|[xX*])(?:\.(?:[0-9]+|[xX*]))*)(?P<suffix>[-+].*)?")
_BARE_CORE = re.compile(r"[vV]?[0-9]+(?:\.[0-9]+)*")
_FAMILY_NOTE = "a range compares versions; variants are matched by the current tag's family"


class InvalidRange(ValueError):
    """A ``semver-range`` annotation that cannot be read; ``problem`` names the offending piece."""

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(f"invalid semver range {text!r}: {problem}")
        self.text = text
        self.problem = problem


# --- comparators: what a parsed range is made of ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Comparator:
    """``op version`` with op one of ``= != > >= < <=``; sugar is already expanded."""

    op: str
    version: Version

    def allows(self, candidate: Version) -> bool:
        key, bound = candidate.key, self.version.key
        if self.op == "=":
            return key == bound
        if self.op == "!=":
            return key != bound
        if self.op == ">":
            return key > bound
        if self.op == ">=":
            return key >= bound
        if self.op == "<=":
            return key <= bound
        return key < bound and not _prerelease_of_bound(candidate, self.version)


@dataclass(frozen=True, slots=True)
class _Outside:
    """``!=1.2.x``: below ``lower`` (None: nothing is) or at/above ``upper``."""

    lower: Version | None
    upper: Version

    def allows(self, candidate: Version) -> bool:
        below = self.lower is not None and _Comparator("<", self.lower).allows(candidate)
        return below or _Comparator(">=", self.upper).allows(candidate)


@dataclass(frozen=True, slots=True)
class _Never:
    """``<*``, ``>*``, ``!=*``: no version is below, above or other than every version."""

    def allows(self, candidate: Version) -> bool:
        return False


_Term = _Comparator | _Outside | _Never


def _prerelease_of_bound(candidate: Version, bound: Version) -> bool:
    """Whether ``candidate`` is a pre-release of the plain release ``bound`` (see the module docstring)."""
    if bound.is_prerelease or bound.revision is not None or not candidate.is_prerelease:
        return False
    return _padded(candidate.core) == _padded(bound.core)


def _padded(core: tuple[int, ...]) -> tuple[int, ...]:
    return core + (0,) * (MAX_PRECISION - len(core))


@dataclass(frozen=True, slots=True)
class VersionRange:
    """A parsed ``semver-range``: alternatives (``||``) of conjunctions of comparators."""

    text: str
    alternatives: tuple[tuple[_Term, ...], ...] = field(repr=False)

    def allows(self, version: Version) -> bool:
        """Whether ``version`` satisfies the range (pre-release acceptance is the policy's business)."""
        return any(all(term.allows(version) for term in terms) for terms in self.alternatives)

    def __str__(self) -> str:
        return self.text


def parse_range(text: str) -> VersionRange:
    """Read a range; raises :class:`InvalidRange` (and nothing else) for any text it cannot read."""
    _check_characters(text)
    sides = text.split("||")
    if len(sides) > 1:
        for index, side in enumerate(sides):
            _check_side(text, side, index, len(sides))
    alternatives = tuple(_parse_conjunction(text, side) for side in sides)
    return VersionRange(text=text, alternatives=alternatives)


def _check_characters(text: str) -> None:
    if not text.strip():
        raise InvalidRange(text, "empty range")
    if not _ALLOWED.fullmatch(text):
        position, character = next((i, c) for i, c in enumerate(text) if not _ALLOWED.fullmatch(c))
        raise InvalidRange(text, f"unexpected character {character!r} at position {position}")
    long_number = _LONG_NUMBER.search(text)
    if long_number is not None:
        raise InvalidRange(text, f"the number {long_number[0][:12]}... is too long to be a version")


def _check_side(text: str, side: str, index: int, count: int) -> None:
    if side.strip():
        return
    if index == 0:
        raise InvalidRange(text, "'||' has no range before it")
    if index == count - 1:
        raise InvalidRange(text, "'||' has no range after it")
    raise InvalidRange(text, "two '||' with no range between them")


# --- one conjunction: tokens, items, comparators ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    """``op version`` as written (op "" for a bare version), or a hyphen range ``version - upper``."""

    op: str
    version: str
    upper: str | None = None

    def __str__(self) -> str:
        return f"{self.version} - {self.upper}" if self.upper is not None else f"{self.op}{self.version}"


def _parse_conjunction(text: str, side: str) -> tuple[_Term, ...]:
    if "|" in side:
        raise InvalidRange(text, "a single '|'; alternatives are separated by '||'")
    terms: list[_Term] = []
    for group in _comma_groups(text, _TOKEN.findall(side)):
        for item in _join_hyphens(text, _items(text, group)):
            terms.extend(_expand(text, item))
    return tuple(terms)


def _comma_groups(text: str, tokens: list[str]) -> list[list[str]]:
    """Split tokens at commas; every comma must sit between two comparators."""
    groups: list[list[str]] = [[]]
    for token in tokens:
        if token == ",":
            groups.append([])
        else:
            groups[-1].append(token)
    if len(groups) > 1 and not all(groups):
        where = "before" if not groups[0] else "after" if not groups[-1] else "on one side of"
        raise InvalidRange(text, f"a ',' with no comparator {where} it")
    return groups


def _items(text: str, tokens: list[str]) -> list[_Item | None]:
    """Pair operators with their versions; None marks a hyphen-range ``-``."""
    items: list[_Item | None] = []
    pending_op: str | None = None
    for token in tokens:
        if token[0] in "<>=!~^":
            if pending_op is not None:
                raise InvalidRange(text, f"{pending_op!r} has no version after it")
            if token not in OPERATORS:
                known = ", ".join(OPERATORS)
                raise InvalidRange(text, f"unknown operator {token!r} (known: {known})")
            pending_op = token
        elif token == "-":
            if pending_op is not None:
                raise InvalidRange(text, f"{pending_op!r} has no version after it")
            items.append(None)
        else:
            items.append(_Item(pending_op or "", token))
            pending_op = None
    if pending_op is not None:
        raise InvalidRange(text, f"{pending_op!r} has no version after it")
    return items


def _join_hyphens(text: str, items: list[_Item | None]) -> list[_Item]:
    """Fold ``version - version`` into one hyphen-range item."""
    joined: list[_Item | None] = []
    index = 0
    while index < len(items):
        item = items[index]
        if item is not None:
            joined.append(item)
            index += 1
            continue
        lower = joined.pop() if joined else None
        upper = items[index + 1] if index + 1 < len(items) else None
        joined.append(_hyphen_item(text, lower, upper))
        index += 2
    return [item for item in joined if item is not None]


def _hyphen_item(text: str, lower: _Item | None, upper: _Item | None) -> _Item:
    if lower is None:
        raise InvalidRange(text, "the hyphen range has no version before '-'")
    if upper is None:
        raise InvalidRange(text, f"the hyphen range '{lower} -' has no version after '-'")
    for end in (lower, upper):
        if end.op or end.upper is not None:
            raise InvalidRange(text, f"a hyphen range joins two bare versions, not {str(end)!r}")
    return _Item("", lower.version, upper.version)


# --- operands: a version, or a partial one with wildcards -------------------------------------------


@dataclass(frozen=True, slots=True)
class _Operand:
    """A comparator's version: ``exact`` when fully given, else the leading ``numbers`` of a partial."""

    numbers: tuple[int, ...]
    exact: Version | None = None

    def lower(self) -> Version:
        """The lowest version the operand covers: itself, or the partial zero-padded."""
        return self.exact if self.exact is not None else _release(self.numbers)

    def bumped(self, index: int) -> Version:
        """The release after ``numbers[: index + 1]``: ``1.2`` bumped at 1 is ``1.3.0``."""
        return _release((*self.numbers[:index], self.numbers[index] + 1))


def _release(numbers: tuple[int, ...]) -> Version:
    core = numbers + (0,) * (3 - len(numbers))
    return Version(tag=".".join(str(number) for number in core), core=core)


def _operand(text: str, written: str) -> _Operand:
    wildcard = _WILDCARD.fullmatch(written)
    if wildcard is not None and any(part in "xX*" for part in wildcard["parts"].split(".")):
        return _wildcard_operand(text, written, wildcard["parts"].split("."), wildcard["suffix"])
    if written.startswith("-") or written.endswith("-"):
        raise InvalidRange(text, f"{written!r}: a hyphen range needs spaces on both sides of '-'")
    version = parse_version(written)
    if version is None:
        raise InvalidRange(text, f"{written!r} is {why_not_a_version(written)}")
    if version.prefix:
        raise InvalidRange(text, f"{written!r} has the prefix {version.prefix!r}; only a 'v' may precede it")
    if version.variant:
        raise InvalidRange(text, _variant_problem(written, version.variant))
    if version.precision < 3 and not version.prerelease and version.revision is None:
        return _Operand(version.core)
    return _Operand(version.core, version)


def _wildcard_operand(text: str, written: str, parts: list[str], suffix: str | None) -> _Operand:
    if suffix:
        raise InvalidRange(text, f"the wildcard version {written!r} cannot carry {suffix!r}")
    if len(parts) > MAX_PRECISION:
        raise InvalidRange(text, f"{written!r} has more than {MAX_PRECISION} components")
    given = parts[: next(i for i, part in enumerate(parts) if part in "xX*")]
    if any(part not in "xX*" for part in parts[len(given) :]):
        raise InvalidRange(text, f"{written!r} has a number after a wildcard")
    return _Operand(tuple(int(part) for part in given))


def _variant_problem(written: str, variant: str) -> str:
    if _BARE_CORE.fullmatch(variant):
        return f"{written!r} looks like a hyphen range; put spaces around '-'"
    return f"{written!r} carries the variant {variant!r}: {_FAMILY_NOTE}"


# --- sugar: tilde, caret, wildcards and hyphen ranges into comparators -----------------------------


def _expand(text: str, item: _Item) -> tuple[_Term, ...]:
    operand = _operand(text, item.version)
    if item.upper is not None:
        return _hyphen(operand, _operand(text, item.upper))
    if item.op in ("~", "~>"):
        return _between(operand, min(1, len(operand.numbers) - 1))
    if item.op == "^":
        return _between(operand, _caret_index(operand.numbers))
    if operand.exact is not None:
        return (_Comparator(item.op or "=", operand.exact),)
    return _partial(item.op, operand)


def _between(operand: _Operand, bump_index: int) -> tuple[_Term, ...]:
    """``>=lower <bumped``; ``*`` (no numbers) allows everything."""
    if not operand.numbers:
        return ()
    return (*_at_least(operand.lower()), _Comparator("<", operand.bumped(bump_index)))


def _caret_index(numbers: tuple[int, ...]) -> int:
    """Caret keeps the first non-zero component (or the last one given, if all are zero)."""
    return next((index for index, number in enumerate(numbers) if number), len(numbers) - 1)


def _at_least(lower: Version) -> tuple[_Term, ...]:
    """``>=lower``, left out at ``0.0.0`` so that ``^0`` is ``<1.0.0`` as npm writes it."""
    if not any(lower.core) and not lower.is_prerelease and lower.revision is None:
        return ()
    return (_Comparator(">=", lower),)


def _partial(op: str, operand: _Operand) -> tuple[_Term, ...]:
    """A comparator on a partial version: ``>1.x`` is ``>=2.0.0``, ``<=1.x`` is ``<2.0.0``."""
    if not operand.numbers:
        return (_Never(),) if op in (">", "<", "!=") else ()
    upper = operand.bumped(len(operand.numbers) - 1)
    if op in ("", "="):
        return (*_at_least(operand.lower()), _Comparator("<", upper))
    if op == "!=":
        return (_Outside(operand.lower() if any(operand.numbers) else None, upper),)
    if op == ">=":
        return _at_least(operand.lower())
    if op == ">":
        return (_Comparator(">=", upper),)
    if op == "<":
        return (_Comparator("<", operand.lower()),)
    return (_Comparator("<", upper),)


def _hyphen(lower: _Operand, upper: _Operand) -> tuple[_Term, ...]:
    """``1.2 - 1.4.5`` is ``>=1.2.0 <=1.4.5``; a partial upper covers its line: ``- 1.4`` is ``<1.5.0``."""
    terms: tuple[_Term, ...] = _at_least(lower.lower()) if lower.numbers else ()
    if upper.exact is not None:
        return (*terms, _Comparator("<=", upper.exact))
    if upper.numbers:
        return (*terms, _Comparator("<", upper.bumped(len(upper.numbers) - 1)))
    return terms
