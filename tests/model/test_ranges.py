"""``parse_range``: the semver constraint language of ``headwind.sh/semver-range``, as a specification.

Rows read ``(range, version, allowed?)``; the examples of npm's and Masterminds' documentation appear
with the constructs they illustrate. Errors name the piece at fault. Properties pin the invariants
that make a range trustworthy: no input crashes the parser, ``>=a`` and ``<a`` split the order at
``a``, and tilde and caret ranges are intervals.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headwind.model.ranges import InvalidRange, VersionRange, parse_range
from headwind.model.versions import Version, parse_version


def version(tag: str) -> Version:
    parsed = parse_version(tag)
    assert parsed is not None, tag
    return parsed


def row(text: str, tag: str, allowed: bool) -> object:
    verdict = "allows" if allowed else "rejects"
    return pytest.param(text, tag, allowed, id=f"{text!r} {verdict} {tag}")


# --- (range, version, allowed?) ---------------------------------------------------------------------

COMPARATORS = [
    row("1.2.3", "1.2.3", True),
    row("1.2.3", "v1.2.3", True),
    row("1.2.3", "1.2.3+build.7", True),
    row("1.2.3", "1.2.4", False),
    row("1.2.3", "1.2.3-r4", False),
    row("v1.2.3", "1.2.3", True),
    row("=1.2.3", "1.2.3", True),
    row("=1.2.3", "1.2.2", False),
    row("!=1.2.3", "1.2.3", False),
    row("!=1.2.3", "1.2.4", True),
    row(">1.2.3", "1.2.4", True),
    row(">1.2.3", "1.2.3", False),
    row(">=1.2.3", "1.2.3", True),
    row(">=1.2.3", "1.2.2", False),
    row("<1.2.3", "1.2.2", True),
    row("<1.2.3", "1.2.3", False),
    row("<=1.2.3", "1.2.3", True),
    row("<=1.2.3", "1.2.4", False),
    row(">= 1.2.3", "1.2.3", True),
]

PRECISION = [
    row(">=1.25.0", "1.25", True),
    row("<1.25.1", "1.25", True),
    row("1.25", "1.25.7", True),
    row("1.25", "1.26.0", False),
    row(">=2024.01.05", "2024.01.05.1", True),
    row("2024.01.05.1", "2024.1.5.1", True),
    row("2024.01.05.1", "2024.01.05", False),
]

CONJUNCTIONS = [
    row(">=1.2 <2", "1.9.9", True),
    row(">=1.2 <2", "2.0.0", False),
    row(">=1.2 <2", "1.1.9", False),
    row(">=1.2, <2", "1.2.0", True),
    row(">=1.2,<2", "2.0.1", False),
    row(">= 1.2 , < 2", "1.5", True),
    row(">=1.2.0 !=1.4.0", "1.4.0", False),
    row(">=1.2.0 !=1.4.0", "1.4.1", True),
    # npm: ">=1.2.7 <1.3.0"
    row(">=1.2.7 <1.3.0", "1.2.8", True),
    row(">=1.2.7 <1.3.0", "1.2.6", False),
    row(">=1.2.7 <1.3.0", "1.3.0", False),
]

ALTERNATIVES = [
    row("^1.2 || ^2.0", "1.2.0", True),
    row("^1.2 || ^2.0", "2.5.0", True),
    row("^1.2 || ^2.0", "1.1.0", False),
    row("^1.2 || ^2.0", "3.0.0", False),
    row("1.x || >=3", "1.9", True),
    row("1.x || >=3", "3.1", True),
    row("1.x || >=3", "2.0", False),
    # npm: "1.2.7 || >=1.2.9 <2.0.0"
    row("1.2.7 || >=1.2.9 <2.0.0", "1.2.7", True),
    row("1.2.7 || >=1.2.9 <2.0.0", "1.2.9", True),
    row("1.2.7 || >=1.2.9 <2.0.0", "1.4.6", True),
    row("1.2.7 || >=1.2.9 <2.0.0", "1.2.8", False),
    row("1.2.7 || >=1.2.9 <2.0.0", "2.0.0", False),
    # Masterminds: ">= 1.2, < 3.0.0 || >= 4.2.3"
    row(">= 1.2, < 3.0.0 || >= 4.2.3", "2.9", True),
    row(">= 1.2, < 3.0.0 || >= 4.2.3", "4.2.3", True),
    row(">= 1.2, < 3.0.0 || >= 4.2.3", "3.5.0", False),
]

TILDE = [
    row("~1.2.3", "1.2.3", True),
    row("~1.2.3", "1.2.9", True),
    row("~1.2.3", "1.2.2", False),
    row("~1.2.3", "1.3.0", False),
    row("~1.2", "1.2.0", True),
    row("~1.2", "1.3.0", False),
    row("~1", "1.9.9", True),
    row("~1", "2.0.0", False),
    row("~1", "0.9.9", False),
    row("~>1.2", "1.2.5", True),
    row("~>1.2", "1.3.0", False),
    row("~ 1.2", "1.2.5", True),
    row("~1.x", "1.7.0", True),
    row("~0", "0.5.0", True),
    row("~1.2.3-rc.1", "1.2.3-rc.2", True),
    row("~1.2.3-rc.1", "1.2.3-beta.1", False),
]

CARET = [
    row("^1.2.3", "1.2.3", True),
    row("^1.2.3", "1.9.0", True),
    row("^1.2.3", "1.2.2", False),
    row("^1.2.3", "2.0.0", False),
    row("^0.2.3", "0.2.9", True),
    row("^0.2.3", "0.3.0", False),
    row("^0.0.3", "0.0.3", True),
    row("^0.0.3", "0.0.4", False),
    row("^1.2", "1.2.0", True),
    row("^1.2", "1.1.9", False),
    row("^1.2", "2.0.0", False),
    row("^0", "0.0.0", True),
    row("^0", "0.9.9", True),
    row("^0", "1.0.0", False),
    row("^0.0", "0.0.9", True),
    row("^0.0", "0.1.0", False),
    row("^0.0.0", "0.0.0", True),
    row("^0.0.0", "0.0.1", False),
    row("^0.2", "0.2.5", True),
    row("^0.2", "0.3.0", False),
    row("^1.x", "1.5.0", True),
    row("^*", "7.0.0", True),
    row("^1.2.3-beta.2", "1.2.3-beta.4", True),
    row("^1.2.3-beta.2", "1.2.3", True),
    row("^1.2.3-beta.2", "1.2.3-beta.1", False),
]

WILDCARDS = [
    *(row(text, "1.0.0", True) for text in ("1.x", "1.*", "1.X", "1", "v1.x", "1.x.x", "=1.x")),
    *(row(text, "1.99.0", True) for text in ("1.x", "1.*", "1")),
    *(row(text, "2.0.0", False) for text in ("1.x", "1.*", "1")),
    *(row(text, "0.9", False) for text in ("1.x", "1.*", "1")),
    row("1.2.x", "1.2.7", True),
    row("1.2.x", "1.2", True),
    row("1.2.x", "1.3.0", False),
    row("1.2.*", "1.1.9", False),
    row("*", "0.0.0-alpha", True),
    row("*", "99.0", True),
    row("x", "3.1.4", True),
    row("X", "3.1.4", True),
    row(">=1.x", "1.0.0", True),
    row(">=1.x", "0.9.9", False),
    row("<1.x", "0.9.9", True),
    row("<1.x", "1.0.0", False),
    row(">1.x", "2.0.0", True),
    row(">1.x", "1.9.9", False),
    row("<=1.x", "1.9.9", True),
    row("<=1.x", "2.0.0", False),
    row("!=1.x", "0.9", True),
    row("!=1.x", "1.5", False),
    row("!=1.x", "2.0", True),
    row(">=*", "0.0.1", True),
    row("<=*", "5.0.0", True),
    row("<*", "0.0.1", False),
    row(">*", "5.0.0", False),
    row("!=*", "5.0.0", False),
    # Masterminds: ">= 1.2.x" is ">= 1.2.0"; "<= 2.x" is "< 3"
    row(">= 1.2.x", "1.2.0", True),
    row("<= 2.x", "2.9.9", True),
    row("<= 2.x", "3.0.0", False),
]

HYPHENS = [
    row("1.2 - 1.4.5", "1.2.0", True),
    row("1.2 - 1.4.5", "1.4.5", True),
    row("1.2 - 1.4.5", "1.1.9", False),
    row("1.2 - 1.4.5", "1.4.6", False),
    row("1.2 - 1.4", "1.4.99", True),
    row("1.2 - 1.4", "1.5.0", False),
    row("1 - 2", "2.9.0", True),
    row("1 - 2", "3.0.0", False),
    # npm: "1.2.3 - 2.3.4" is ">=1.2.3 <=2.3.4"
    row("1.2.3 - 2.3.4", "2.3.4", True),
    row("1.2.3 - 2.3.4", "1.2.2", False),
    # Masterminds: "2.3.4 - 4.5" is ">= 2.3.4 <= 4.5", and "<= 4.5" takes in 4.5.x
    row("2.3.4 - 4.5", "4.5.9", True),
    row("2.3.4 - 4.5", "4.6.0", False),
    row("* - 2", "0.1.0", True),
    row("1.2.3 - *", "9.0.0", True),
    row("v1.2 - v1.4", "1.3.0", True),
    row(">=1.0.0 1.2 - 1.4", "1.3.0", True),
]

PRERELEASES = [
    row("<1.3", "1.3.0-rc.1", False),
    row("<1.3.0", "1.3.0-rc.1", False),
    row("~1.2", "1.3.0-rc.1", False),
    row("^1.2", "2.0.0-beta", False),
    row("1.2.x", "1.3.0-rc.1", False),
    row("1.2 - 1.4", "1.5.0-rc.1", False),
    row("<1.x", "1.0.0-rc.1", False),
    row("<1.3", "1.2.9-rc.1", True),
    row("<1.3.0-rc.2", "1.3.0-rc.1", True),
    row("<1.3.0-rc.2", "1.3.0-rc.10", False),
    row("<=1.3.0", "1.3.0-rc.1", True),
    row("1.2 - 1.4.5", "1.4.5-rc.1", True),
    row(">=1.2.0", "1.4.0-rc.1", True),
    row("^1.2", "1.4.0-rc.1", True),
    row(">1.2.3", "1.2.4-beta", True),
    row(">=1.3.0", "1.3.0-rc.1", False),
    row("1.3.0-rc.1", "1.3.0-rc.1", True),
]


@pytest.mark.parametrize(
    ("text", "tag", "allowed"),
    [
        *COMPARATORS,
        *PRECISION,
        *CONJUNCTIONS,
        *ALTERNATIVES,
        *TILDE,
        *CARET,
        *WILDCARDS,
        *HYPHENS,
        *PRERELEASES,
    ],
)
def test_a_range_allows_exactly_the_versions_it_describes(text: str, tag: str, allowed: bool) -> None:
    assert parse_range(text).allows(version(tag)) is allowed


def test_a_range_prints_as_the_text_it_was_given() -> None:
    parsed = parse_range(" ^1.2 ||  ~2.0 ")

    assert str(parsed) == " ^1.2 ||  ~2.0 "
    assert isinstance(parsed, VersionRange)
    assert parsed.text == " ^1.2 ||  ~2.0 "


def test_a_range_ignores_the_family_of_the_version_it_is_asked_about() -> None:
    assert parse_range("^1.25").allows(version("1.27.1-alpine3.19"))


# --- errors -----------------------------------------------------------------------------------------

ERRORS = [
    pytest.param("", "empty range", id="empty"),
    pytest.param("   \t", "empty range", id="whitespace only"),
    pytest.param("=>1.2", "'=>'", id="=> is not an operator"),
    pytest.param("~=1.2", "'~='", id="~= is not an operator"),
    pytest.param(">>1.2", "'>>'", id=">> is not an operator"),
    pytest.param("==1.2", "'=='", id="== is not an operator"),
    pytest.param(">=", "'>=' has no version", id="operator alone"),
    pytest.param(">=1.2 <", "'<' has no version", id="trailing operator"),
    pytest.param(">= <2", "'>=' has no version", id="operator before operator"),
    pytest.param(">=, 1.2", "'>=' has no version", id="operator before comma"),
    pytest.param(">=abc", "'abc' is not a version", id="garbage version"),
    pytest.param("latest", "'latest' is not a version", id="a tag that is no version"),
    pytest.param("1.2.3.4.5.6.7", "more than 6 numeric components", id="seven components"),
    pytest.param("1.x.x.x.x.x.x", "'1.x.x.x.x.x.x' has more than 6", id="seven wildcard components"),
    pytest.param(">=1.2-alpine", "variants are matched by the current tag's family", id="a variant"),
    pytest.param(">=1.2-alpine", "'alpine'", id="a variant is named"),
    pytest.param("release-1.2", "prefix 'release-'", id="a prefix"),
    pytest.param("sha-1234567", "a commit hash", id="a commit"),
    pytest.param("1.x.3", "number after a wildcard", id="number after wildcard"),
    pytest.param("1.x-rc.1", "cannot carry '-rc.1'", id="wildcard with pre-release"),
    pytest.param("|| ^2", "'||' has no range before it", id="|| with empty left"),
    pytest.param("^1 ||", "'||' has no range after it", id="|| with empty right"),
    pytest.param("^1 || || ^3", "two '||' with no range between", id="|| with empty middle"),
    pytest.param("^1 | ^2", "a single '|'", id="single pipe"),
    pytest.param("^1 ||| ^2", "a single '|'", id="triple pipe"),
    pytest.param("1.2 -", "'1.2 -' has no version after", id="hyphen without upper"),
    pytest.param("- 1.4", "no version before '-'", id="hyphen without lower"),
    pytest.param("1.2 - ,1.4", "no version after", id="hyphen before comma"),
    pytest.param(">=1.2 - 1.4", "not '>=1.2'", id="hyphen with an operator"),
    pytest.param("1.2 - ^1.4", "not '^1.4'", id="hyphen with a caret"),
    pytest.param("1 - 2 - 3", "not '1 - 2'", id="two hyphens"),
    pytest.param("1.2-1.4", "put spaces around '-'", id="hyphen without spaces"),
    pytest.param("1.2 -1.4", "'-1.4'", id="hyphen glued to the upper"),
    pytest.param("1.2- 1.4", "'1.2-'", id="hyphen glued to the lower"),
    pytest.param(">=1.2,", "',' with no comparator after", id="trailing comma"),
    pytest.param(",>=1.2", "',' with no comparator before", id="leading comma"),
    pytest.param(">=1.2,,<2", "','", id="double comma"),
    pytest.param("(>=1.2)", "'('", id="parenthesis"),
    pytest.param(">=1.2 <2)", "')'", id="unbalanced parenthesis"),
    pytest.param("[1.2, 2)", "'['", id="interval notation"),
    pytest.param("1" * 40, "too long", id="a number too long to be a version"),
]


@pytest.mark.parametrize(("text", "fragment"), ERRORS)
def test_an_unreadable_range_names_the_piece_at_fault(text: str, fragment: str) -> None:
    with pytest.raises(InvalidRange) as caught:
        parse_range(text)

    error = caught.value
    assert fragment in error.problem
    assert error.text == text
    assert str(error) == f"invalid semver range {text!r}: {error.problem}"
    assert isinstance(error, ValueError)


# --- properties -------------------------------------------------------------------------------------

RANGE_ALPHABET = "0123456789.xX*vV-+<>=!~^|, \trcbetalpin"


@st.composite
def versions(draw: st.DrawFn) -> Version:
    """Small numbers and few shapes, so that generated versions often meet and tie."""
    core = draw(st.lists(st.integers(0, 2), min_size=1, max_size=4))
    prerelease = draw(st.sampled_from(["", "-alpha", "-beta.2", "-rc.1", "-rc.10"]))
    revision = draw(st.sampled_from(["", "", "-r1", "-r2"]))
    build = draw(st.sampled_from(["", "", "+build.5"]))
    v = draw(st.sampled_from(["", "v"]))
    return version(v + ".".join(map(str, core)) + prerelease + revision + build)


@given(st.text())
def test_parse_range_raises_only_invalid_range_for_any_text(text: str) -> None:
    with contextlib.suppress(InvalidRange):
        parse_range(text)


@settings(max_examples=500)
@given(st.text(alphabet=RANGE_ALPHABET, max_size=30))
def test_parse_range_raises_only_invalid_range_for_range_like_text(text: str) -> None:
    with contextlib.suppress(InvalidRange):
        parse_range(text)


@given(versions(), versions())
def test_at_least_a_allows_everything_from_a_up(a: Version, b: Version) -> None:
    low, high = sorted((a, b), key=lambda each: each.key)

    assert parse_range(f">={low.tag}").allows(high)


@given(versions(), versions())
def test_below_a_allows_nothing_from_a_up(a: Version, b: Version) -> None:
    low, high = sorted((a, b), key=lambda each: each.key)

    assert not parse_range(f"<{low.tag}").allows(high)


@pytest.mark.parametrize("operator", ["^", "~"])
@given(many=st.lists(versions(), min_size=6, max_size=16), pick=st.integers(0, 15))
def test_caret_and_tilde_ranges_are_intervals(operator: str, many: list[Version], pick: int) -> None:
    ordered = sorted(many, key=lambda each: each.key)
    allowed = parse_range(f"{operator}{ordered[pick % len(ordered)].tag}")
    inside = [index for index, each in enumerate(ordered) if allowed.allows(each)]

    assert inside, "a tilde or caret range allows its own version"
    between = ordered[inside[0] : inside[-1] + 1]
    assert all(allowed.allows(each) for each in between if not each.is_prerelease)
