"""``select``: which candidate a policy chooses, and the reason every other candidate is refused.

The table reads as a specification: given options as a user writes them (the annotation names
without ``headwind.sh/``), the current tag and the tags a registry holds, which tag is chosen and
what a user is told about the others. Invariants that must hold for any input are checked with
hypothesis at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwind.model.policy import Policy, build_policy
from headwind.model.selection import Candidate, Selection, could_choose, select
from headwind.model.versions import parse_version

OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64


@dataclass(frozen=True)
class Case:
    options: dict[str, str]
    current: str | None
    candidates: list[str]
    selected: str | None
    reasons: dict[str, str] = field(default_factory=dict)
    """Candidate tag to a phrase its verdict's reason must contain."""
    current_digest: str | None = None


def run(case: Case) -> Selection:
    return select(
        build_policy(case.options),
        case.current,
        [Candidate(*text.split("@", 1)) if "@" in text else Candidate(text) for text in case.candidates],
        current_digest=case.current_digest,
    )


CASES = {
    # --- none, the default --------------------------------------------------------------------------
    "none never updates": Case({"policy": "none"}, "1.0.0", ["1.0.1"], None, {"1.0.1": "never updates"}),
    "no policy is none": Case({}, "1.0.0", ["2.0.0"], None, {"2.0.0": "never updates"}),
    # --- patch --------------------------------------------------------------------------------------
    "patch takes the newest patch": Case(
        {"policy": "patch"},
        "1.25.3",
        ["1.25.4", "1.25.10", "1.26.0", "2.0.0"],
        "1.25.10",
        {"1.25.4": "1.25.10 ranks higher", "1.26.0": "a minor update; policy patch stays within 1.25.x"},
    ),
    "patch ignores older versions": Case(
        {"policy": "patch"},
        "1.25.3",
        ["1.25.2", "1.25.3"],
        None,
        {"1.25.2": "older", "1.25.3": "current tag"},
    ),
    "patch of a four-part version": Case({"policy": "patch"}, "1.2.3.4", ["1.2.3.5", "1.2.4.0"], "1.2.4.0"),
    "patch takes a rebuild of the same version": Case(
        {"policy": "patch"},
        "1.25.3-debian-12-r4",
        ["1.25.3-debian-12-r5", "1.25.3-debian-11-r9"],
        "1.25.3-debian-12-r5",
    ),
    "patch on a two-part tag keeps major.minor": Case(
        {"policy": "patch"},
        "14.5",
        ["14.6"],
        None,
        {"14.6": "a minor update; policy patch stays within 14.5.x"},
    ),
    # --- minor --------------------------------------------------------------------------------------
    "minor takes the newest minor": Case(
        {"policy": "minor"},
        "1.25.3",
        ["1.25.4", "1.26.0", "1.27.1", "2.0.0"],
        "1.27.1",
        {"2.0.0": "a major update; policy minor stays within 1.x"},
    ),
    "minor on two-part tags": Case({"policy": "minor"}, "14.5", ["14.6", "14.10", "15.0"], "14.10"),
    "minor keeps the alpine variant": Case(
        {"policy": "minor"},
        "1.25.3-alpine",
        ["1.26.0", "1.26.0-alpine", "1.26.1-alpine3.19"],
        "1.26.0-alpine",
        {"1.26.0": "no variant; the current tag has variant 'alpine'", "1.26.1-alpine3.19": "variant"},
    ),
    "minor keeps the floating precision": Case(
        {"policy": "minor"},
        "1.25",
        ["1.26", "1.26.1", "1"],
        "1.26",
        {"1.26.1": "3 numeric components; the current tag has 2", "1": "1 numeric component;"},
    ),
    "minor treats a v prefix as the same version": Case({"policy": "minor"}, "v1.2.0", ["1.3.0"], "1.3.0"),
    "minor prefers the spelling of the current tag on a tie": Case(
        {"policy": "minor"}, "v1.2.0", ["1.3.0", "v1.3.0"], "v1.3.0", {"1.3.0": "v1.3.0 ranks higher"}
    ),
    "minor keeps a textual prefix": Case(
        {"policy": "minor"}, "release-1.2", ["release-1.3", "1.4"], "release-1.3", {"1.4": "no prefix"}
    ),
    "minor ignores build metadata": Case(
        {"policy": "minor"}, "1.2.3+build5", ["1.2.3+build6"], None, {"1.2.3+build6": "the same version"}
    ),
    # --- major and all ------------------------------------------------------------------------------
    "major takes any newer version": Case(
        {"policy": "major"}, "1.25.3", ["1.26.0", "2.0.1", "0.9.0"], "2.0.1"
    ),
    "all never downgrades": Case(
        {"policy": "all"},
        "2.0.0",
        ["1.0.0", "1.9.9", "latest"],
        None,
        {"1.0.0": "older", "latest": "not a version"},
    ),
    "all takes the newest, not the last listed": Case(
        {"policy": "all"}, "1.0.0", ["1.10.0", "1.9.0", "1.2.0"], "1.10.0"
    ),
    "date tags order by date": Case(
        {"policy": "major"}, "2023.12.31", ["2024.01.05", "2023.06.01"], "2024.01.05"
    ),
    "single-number tags": Case({"policy": "major"}, "8", ["9", "10", "7"], "10"),
    "a non-version current tag cannot be compared": Case(
        {"policy": "major"}, "latest", ["1.0.0"], None, {"1.0.0": "the current tag 'latest' is not a version"}
    ),
    "a digest-only current image has no tag to compare": Case(
        {"policy": "major"}, None, ["1.0.0"], None, {"1.0.0": "pinned by digest without a tag"}
    ),
    # --- pre-releases -------------------------------------------------------------------------------
    "a release never moves to a pre-release": Case(
        {"policy": "patch"}, "1.2.3", ["1.2.4-rc.1"], None, {"1.2.4-rc.1": "a pre-release"}
    ),
    "a pre-release moves on within its core and to the release": Case(
        {"policy": "minor"},
        "1.3.0-rc.1",
        ["1.3.0-rc.2", "1.3.0"],
        "1.3.0",
        {"1.3.0-rc.2": "1.3.0 ranks higher"},
    ),
    "a pre-release moves to the next pre-release of its core": Case(
        {"policy": "minor"},
        "1.3.0-rc.1",
        ["1.3.0-rc.2", "1.4.0-beta.1"],
        "1.3.0-rc.2",
        {"1.4.0-beta.1": "a pre-release"},
    ),
    "prerelease true allows pre-releases": Case(
        {"policy": "minor", "prerelease": "true"}, "1.2.3", ["1.3.0-rc.1", "1.2.4"], "1.3.0-rc.1"
    ),
    # --- ignore-tags --------------------------------------------------------------------------------
    "ignore-tags globs are never chosen": Case(
        {"policy": "minor", "ignore-tags": "1.27.*, *-rc*"},
        "1.25.0",
        ["1.27.0", "1.26.0", "1.26.1-rc1"],
        "1.26.0",
        {"1.27.0": "matches ignore-tags glob '1.27.*'", "1.26.1-rc1": "'*-rc*'"},
    ),
    "ignore-tags applies to force": Case({"policy": "force", "ignore-tags": "*"}, "1.0", ["2.0"], None),
    # --- glob ---------------------------------------------------------------------------------------
    "glob takes the newest match, not the last": Case(
        {"policy": "glob", "pattern": "1.2*"},
        "1.20.0",
        ["1.29.0", "1.21.0", "2.0.0", "1.19.0"],
        "1.29.0",
        {"2.0.0": "does not match pattern '1.2*'", "1.19.0": "does not match"},
    ),
    "glob never downgrades": Case(
        {"policy": "glob", "pattern": "*"}, "1.5.0", ["1.4.0"], None, {"1.4.0": "older"}
    ),
    "glob supports several stars and question marks": Case(
        {"policy": "glob", "pattern": "1.*.?-alp*"},
        "1.2.3-alpine",
        ["1.3.4-alpine", "1.3.10-alpine"],
        "1.3.4-alpine",
    ),
    "glob keeps the variant of a version": Case(
        {"policy": "glob", "pattern": "1.*"}, "1.2.3-alpine", ["1.3.0", "1.3.0-alpine"], "1.3.0-alpine"
    ),
    "glob from a non-version tag takes the newest matching version": Case(
        {"policy": "glob", "pattern": "release-*"},
        "latest",
        ["release-1.2", "release-1.10", "release-x", "main"],
        "release-1.10",
        {"release-x": "not a version (no numeric core such as 1.2.3); the glob policy orders tags by"},
    ),
    "glob is case-sensitive": Case({"policy": "glob", "pattern": "V*"}, "v1.0", ["v2.0"], None),
    # --- semver -------------------------------------------------------------------------------------
    "semver takes the newest in range": Case(
        {"policy": "semver", "semver-range": ">=1.2 <2"},
        "1.2.0",
        ["1.3.0", "1.9.9", "2.0.0", "1.1.0"],
        "1.9.9",
        {"2.0.0": "outside range '>=1.2 <2'", "1.1.0": "outside range"},
    ),
    "semver caret": Case(
        {"policy": "semver", "semver-range": "^1.2"}, "1.2.0", ["1.10.0", "2.0.0"], "1.10.0"
    ),
    "semver tilde": Case({"policy": "semver", "semver-range": "~1.2"}, "1.2.0", ["1.2.9", "1.3.0"], "1.2.9"),
    "semver x-range": Case({"policy": "semver", "semver-range": "1.x"}, "1.0.0", ["1.5.0", "2.0.0"], "1.5.0"),
    "semver alternatives": Case(
        {"policy": "semver", "semver-range": "^1.2 || ^3.0"},
        "1.2.0",
        ["2.5.0", "3.1.0"],
        "3.1.0",
        {"2.5.0": "outside"},
    ),
    "semver never downgrades": Case(
        {"policy": "semver", "semver-range": "^1"}, "1.5.0", ["1.4.0"], None, {"1.4.0": "older"}
    ),
    "semver excludes pre-releases of the upper bound": Case(
        {"policy": "semver", "semver-range": "~1.2", "prerelease": "true"}, "1.2.0", ["1.3.0-rc.1"], None
    ),
    "semver from latest takes the newest in range": Case(
        {"policy": "semver", "semver-range": "^2"}, "latest", ["2.1.0", "2.3.0", "3.0.0"], "2.3.0"
    ),
    # --- regexp -------------------------------------------------------------------------------------
    "regexp with extract orders the captured number": Case(
        {
            "policy": "regexp",
            "pattern": r"^main-(?P<ts>[0-9]+)-[a-f0-9]+$",
            "extract": "ts",
            "order": "numerical",
        },
        "main-100-abc",
        ["main-99-def", "main-1000-aaa", "main-200-bbb", "feature-5000-ccc"],
        "main-1000-aaa",
        {"main-99-def": "'99' is not above the current '100'", "feature-5000-ccc": "does not match"},
    ),
    "regexp alphabetical": Case(
        {"policy": "regexp", "pattern": "^build-", "order": "alphabetical"},
        "build-aa",
        ["build-ab", "build-b", "build-a"],
        "build-b",
        {"build-a": "not above the current 'build-aa' in alphabetical order"},
    ),
    "regexp semver order is the default": Case(
        {"policy": "regexp", "pattern": r"^v?\d+\.\d+\.\d+$"},
        "1.9.0",
        ["1.10.0", "1.8.0", "1.11.0-rc1"],
        "1.10.0",
    ),
    "regexp extract by number and with Flux's $ spelling": Case(
        {"policy": "regexp", "pattern": r"^rel-(\d+)$", "extract": "$1", "order": "numerical"},
        "rel-9",
        ["rel-10", "rel-8"],
        "rel-10",
    ),
    "regexp with a current tag outside the pattern takes the highest": Case(
        {"policy": "regexp", "pattern": r"^ts-(?P<ts>\d+)$", "extract": "${ts}", "order": "numerical"},
        "latest",
        ["ts-5", "ts-50", "ts-x"],
        "ts-50",
        {"ts-x": "does not match"},
    ),
    "regexp numerical refuses non-numbers": Case(
        {"policy": "regexp", "pattern": "^(?P<n>.*)$", "extract": "n", "order": "numerical"},
        "1",
        ["2", "abc", "NaN", "Infinity"],
        "2",
        {"abc": "is not a number", "NaN": "not a finite number", "Infinity": "not a finite number"},
    ),
    "regexp follows a pre-release within its core only": Case(
        {"policy": "regexp", "pattern": ".*"},
        "1.3.0-rc.1",
        ["1.3.0-rc.2", "1.4.0-rc.1"],
        "1.3.0-rc.2",
        {"1.4.0-rc.1": "a pre-release"},
    ),
    # --- force --------------------------------------------------------------------------------------
    "force takes a pushed downgrade": Case({"policy": "force"}, "2.0.0", ["1.0.0"], "1.0.0"),
    "force takes a non-version tag": Case({"policy": "force"}, "1.0.0", ["main"], "main"),
    "force prefers versions, the highest": Case(
        {"policy": "force"}, "1.0.0", ["main", "0.9", "0.10"], "0.10"
    ),
    "force skips the current tag": Case(
        {"policy": "force"}, "1.0.0", ["1.0.0"], None, {"1.0.0": "the current tag"}
    ),
    # --- digest -------------------------------------------------------------------------------------
    "digest follows new content of the current tag": Case(
        {"policy": "digest"},
        "latest",
        [f"latest@{NEW}", f"1.0@{NEW}"],
        "latest",
        {"1.0": "another tag; the digest policy follows the content of 'latest'"},
        current_digest=OLD,
    ),
    "digest ignores the content already running": Case(
        {"policy": "digest"},
        "latest",
        [f"latest@{OLD}"],
        None,
        {"latest": "already runs"},
        current_digest=OLD,
    ),
    "digest needs the candidate's digest": Case(
        {"policy": "digest"}, "latest", ["latest"], None, {"latest": "no digest known"}, current_digest=OLD
    ),
    "digest pins when the running digest is unknown": Case(
        {"policy": "digest"}, "stable", [f"stable@{NEW}"], "stable"
    ),
    "digest with a digest-only image has nothing to follow": Case(
        {"policy": "digest"},
        None,
        [f"latest@{NEW}"],
        None,
        {"latest": "no tag to follow"},
        current_digest=OLD,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_policy_selects_the_expected_candidate_and_explains_the_rest(case: Case) -> None:
    selection = run(case)

    assert (selection.target.tag if selection.target else None) == case.selected
    verdicts = {verdict.tag: verdict for verdict in selection.verdicts}
    assert [verdict.tag for verdict in selection.verdicts] == list(
        dict.fromkeys(text.split("@")[0] for text in case.candidates)
    )
    for verdict in selection.verdicts:
        assert verdict.chosen == (verdict.tag == case.selected)
        assert verdict.reason
    for tag, phrase in case.reasons.items():
        assert phrase in verdicts[tag].reason, verdicts[tag].reason


def test_the_digest_policy_target_carries_the_new_digest() -> None:
    selection = select(
        build_policy({"policy": "digest"}), "1.25", [Candidate("1.25", NEW)], current_digest=OLD
    )

    assert selection.target == Candidate("1.25", NEW)
    assert selection.verdicts[0].reason == f"new content for the tag: {OLD} -> {NEW}"


def test_a_tag_listed_twice_is_judged_once_keeping_its_digest() -> None:
    selection = select(
        build_policy({"policy": "digest"}), "1.25", [Candidate("1.25"), Candidate("1.25", NEW), "1.25"]
    )

    assert selection.target == Candidate("1.25", NEW)
    assert len(selection.verdicts) == 1


def test_no_candidates_select_nothing() -> None:
    assert select(build_policy({"policy": "major"}), "1.0", []) == Selection(None, ())


# --- invariants ---------------------------------------------------------------------------------------

_cores = st.lists(st.integers(0, 12), min_size=1, max_size=4).map(lambda numbers: ".".join(map(str, numbers)))
_version_tags = st.builds(
    lambda prefix, core, suffix: prefix + core + suffix,
    st.sampled_from(["", "v", "release-"]),
    _cores,
    st.sampled_from(
        ["", "", "", "-alpine", "-alpine3.19", "-rc.1", "-rc.2", "-beta", "-r1", "-debian-12-r3"]
    ),
)
_tags = st.one_of(_version_tags, st.sampled_from(["latest", "main", "stable", "sha-abc123", "edge"]))
_ordering_policies = st.sampled_from(
    [
        {"policy": "patch"},
        {"policy": "minor"},
        {"policy": "major"},
        {"policy": "all"},
        {"policy": "minor", "prerelease": "true"},
        {"policy": "glob", "pattern": "*"},
        {"policy": "glob", "pattern": "1.*"},
        {"policy": "semver", "semver-range": ">=0"},
        {"policy": "semver", "semver-range": "^1 || ^2"},
        {"policy": "regexp", "pattern": ".*"},
        {"policy": "all", "ignore-tags": "*alpine*"},
    ]
)
_any_policy = st.one_of(
    _ordering_policies,
    st.sampled_from(
        [
            {"policy": "force"},
            {"policy": "none"},
            {"policy": "regexp", "pattern": "(?P<n>[0-9]+)", "extract": "n", "order": "numerical"},
            {"policy": "regexp", "pattern": "^.", "order": "alphabetical"},
        ]
    ),
)


@given(_ordering_policies, _version_tags, st.lists(_tags, max_size=12))
def test_no_policy_but_force_selects_a_version_below_the_current_one(
    options: dict[str, str], current: str, candidates: list[str]
) -> None:
    selection = select(build_policy(options), current, candidates)

    if selection.target is not None:
        chosen, running = parse_version(selection.target.tag), parse_version(current)
        assert chosen is not None and running is not None
        assert chosen.key > running.key


@given(_any_policy, _tags, st.lists(_tags, max_size=12), st.randoms(use_true_random=False))
def test_selection_does_not_depend_on_candidate_order(
    options: dict[str, str], current: str, candidates: list[str], random: object
) -> None:
    policy = build_policy(options)
    shuffled = list(candidates)
    random.shuffle(shuffled)  # type: ignore[attr-defined]

    one, other = select(policy, current, candidates), select(policy, current, shuffled)

    assert one.target == other.target
    assert set(one.verdicts) == set(other.verdicts)


@given(_any_policy, _tags, st.lists(_tags, max_size=12))
def test_the_chosen_candidate_alone_is_chosen_too(
    options: dict[str, str], current: str, candidates: list[str]
) -> None:
    policy: Policy = build_policy(options)
    selection = select(policy, current, candidates)

    if selection.target is not None:
        alone = select(policy, current, [selection.target])
        assert alone.target == selection.target
        assert selection.target.tag != current or options["policy"] == "digest"


@given(_any_policy, _tags, st.lists(_tags, max_size=12))
def test_the_prefilter_never_drops_the_tag_that_would_be_chosen(
    options: dict[str, str], current: str, candidates: list[str]
) -> None:
    policy = build_policy(options)
    kept = could_choose(policy, current)

    everything = select(policy, current, candidates)
    filtered = select(policy, current, [tag for tag in candidates if kept(tag)])

    assert filtered.target == everything.target


@pytest.mark.parametrize(
    ("options", "current", "dropped"),
    [
        ({"policy": "minor"}, "1.0", ["latest", "main"]),
        ({"policy": "minor", "ignore-tags": "*-rc*"}, "1.0", ["1.1-rc1"]),
        ({"policy": "glob", "pattern": "1.*"}, "1.0", ["2.0"]),
        ({"policy": "regexp", "pattern": "^main-"}, "main-1", ["dev-2"]),
        ({"policy": "digest"}, "stable", ["latest", "1.0"]),
        ({"policy": "none"}, "1.0", ["1.1"]),
    ],
)
def test_the_prefilter_drops_what_a_policy_can_never_choose(
    options: dict[str, str], current: str, dropped: list[str]
) -> None:
    kept = could_choose(build_policy(options), current)

    assert not any(kept(tag) for tag in dropped)


def test_force_takes_the_most_recent_push_and_then_settles_on_it() -> None:
    policy = build_policy({"policy": "force"})
    pushes = [Candidate("2.0.0", pushed=1), Candidate("1.0.0", pushed=2), Candidate("main")]

    moved = select(policy, "2.0.0", pushes)
    settled = select(policy, "1.0.0", pushes)

    assert moved.target is not None and moved.target.tag == "1.0.0"
    assert settled.target is None
    assert "the current tag ranks highest" in {v.tag: v.reason for v in settled.verdicts}["1.0.0"]


def test_a_catastrophically_backtracking_pattern_costs_one_tag_a_timeout_not_the_event_loop() -> None:
    policy = build_policy({"policy": "regexp", "pattern": "^(a|aa)+$", "order": "alphabetical"})

    selection = select(policy, "aa", ["a" * 60 + "-", "aaaa"])

    assert selection.target == Candidate("aaaa")
    assert "the pattern took over 50 ms on this tag" in selection.verdicts[0].reason
