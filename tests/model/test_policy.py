"""``build_policy``: option text in, a validated policy or every problem (named by its option) out."""

from __future__ import annotations

import pytest

from headwind.model.policy import InvalidPolicy, Order, PolicyKind, build_policy


def problems_for(values: dict[str, str]) -> list[str]:
    with pytest.raises(InvalidPolicy) as caught:
        build_policy(values, label=lambda name: f"headwind.sh/{name}")
    return caught.value.problems


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", PolicyKind.NONE),
        ("none", PolicyKind.NONE),
        ("Minor", PolicyKind.MINOR),
        ("PATCH", PolicyKind.PATCH),
        (" major ", PolicyKind.MAJOR),
        ("All", PolicyKind.ALL),
        ("force", PolicyKind.FORCE),
        ("digest", PolicyKind.DIGEST),
    ],
)
def test_policy_values_are_case_insensitive(text: str, kind: PolicyKind) -> None:
    assert build_policy({"policy": text}).kind is kind


def test_an_unknown_policy_names_the_key_and_the_choices() -> None:
    [problem] = problems_for({"policy": "latest"})

    assert problem.startswith("headwind.sh/policy: unknown policy 'latest'; use one of none, patch, minor")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"policy": "glob"}, "headwind.sh/pattern: the glob policy needs a pattern"),
        ({"policy": "regexp"}, "headwind.sh/pattern: the regexp policy needs a regular expression"),
        ({"policy": "regexp", "pattern": "(unclosed"}, "headwind.sh/pattern: not a valid regular expression"),
        ({"policy": "semver"}, "headwind.sh/semver-range: the semver policy needs a range"),
        ({"policy": "semver", "semver-range": ">>1"}, "headwind.sh/semver-range: "),
        (
            {"policy": "regexp", "pattern": "x", "order": "newest"},
            "headwind.sh/order: unknown order 'newest'",
        ),
        ({"policy": "regexp", "pattern": "(?P<ts>x)", "extract": "time"}, "no capture group named 'time'"),
        ({"policy": "regexp", "pattern": "(x)", "extract": "2"}, "there is no group 2"),
        (
            {"policy": "minor", "prerelease": "sometimes"},
            "headwind.sh/prerelease: 'sometimes' is not a boolean",
        ),
    ],
)
def test_unusable_options_are_explained(values: dict[str, str], expected: str) -> None:
    assert any(expected in problem for problem in problems_for(values)), problems_for(values)


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_for({"policy": "regexp", "pattern": "(", "order": "x", "prerelease": "maybe"})

    assert len(problems) == 3


def test_options_a_policy_does_not_use_are_ignored() -> None:
    # A Headwind workload may carry a leftover pattern; it must keep working.
    policy = build_policy({"policy": "minor", "pattern": "(", "semver-range": ">>", "order": "x"})

    assert policy.kind is PolicyKind.MINOR
    assert policy.regexp is None


def test_a_regexp_policy_is_compiled_with_its_group_and_order() -> None:
    policy = build_policy(
        {"policy": "regexp", "pattern": r"^main-(?P<ts>\d+)$", "extract": "${ts}", "order": "Numerical"}
    )

    assert policy.regexp is not None and policy.regexp.pattern == r"^main-(?P<ts>\d+)$"
    assert (policy.extract, policy.order) == ("ts", Order.NUMERICAL)
    assert policy.describe() == r"regexp, pattern '^main-(?P<ts>\\d+)$', order numerical, extract ts"


def test_ignore_tags_are_trimmed_globs() -> None:
    policy = build_policy({"policy": "minor", "ignore-tags": " *-rc*, ,latest ", "prerelease": "TRUE"})

    assert policy.ignore_tags == ("*-rc*", "latest")
    assert policy.prerelease is True
    assert policy.describe() == "minor, ignoring *-rc*,latest, pre-releases allowed"
