"""``parse_version``: what a tag means as a version, and which tags belong to one convention."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwind.model.versions import Bump, Version, parse_version, why_not_a_version


def version(tag: str) -> Version:
    parsed = parse_version(tag)
    assert parsed is not None, tag
    return parsed


@pytest.mark.parametrize(
    ("tag", "core", "prefix", "prerelease", "variant", "revision", "build"),
    [
        ("1", (1,), "", "", "", None, ""),
        ("1.25", (1, 25), "", "", "", None, ""),
        ("1.25.3", (1, 25, 3), "", "", "", None, ""),
        ("v1.25.3", (1, 25, 3), "", "", "", None, ""),
        ("V2", (2,), "", "", "", None, ""),
        ("1.25.3-alpine", (1, 25, 3), "", "", "alpine", None, ""),
        ("1.25.3-alpine3.19", (1, 25, 3), "", "", "alpine3.19", None, ""),
        ("3.12-slim-bookworm", (3, 12), "", "", "slim-bookworm", None, ""),
        ("1.2.3-rc.1", (1, 2, 3), "", "rc.1", "", None, ""),
        ("1.2.3-RC1", (1, 2, 3), "", "RC1", "", None, ""),
        ("1.2.3-beta2", (1, 2, 3), "", "beta2", "", None, ""),
        ("1.2.3-rc.1-alpine", (1, 2, 3), "", "rc.1", "alpine", None, ""),
        ("1.2.3+build5", (1, 2, 3), "", "", "", None, "build5"),
        ("2024.01.05", (2024, 1, 5), "", "", "", None, ""),
        ("release-1.2", (1, 2), "release-", "", "", None, ""),
        ("release-v1.2", (1, 2), "release-", "", "", None, ""),
        ("1.25.3-debian-12-r4", (1, 25, 3), "", "", "debian-12", 4, ""),
        ("1.25.3-r4", (1, 25, 3), "", "", "", 4, ""),
        ("2.4.1-1", (2, 4, 1), "", "", "", 1, ""),
        ("1.2.3-debian-12", (1, 2, 3), "", "", "debian-12", None, ""),
        ("1.2.3.4", (1, 2, 3, 4), "", "", "", None, ""),
    ],
)
def test_a_tag_reads_as_prefix_core_prerelease_variant_revision_and_build(
    tag: str,
    core: tuple[int, ...],
    prefix: str,
    prerelease: str,
    variant: str,
    revision: int | None,
    build: str,
) -> None:
    parsed = version(tag)

    assert (parsed.core, parsed.prefix, parsed.prerelease, parsed.variant, parsed.revision, parsed.build) == (
        core,
        prefix,
        prerelease,
        variant,
        revision,
        build,
    )
    assert parsed.tag == tag


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        ("latest", "no numeric core"),
        ("main", "no numeric core"),
        ("stable", "no numeric core"),
        ("sha-abc123", "no numeric core"),
        ("sha-1234567", "a commit hash"),
        ("git-1234567", "a commit hash"),
        ("1.2.3.4.5.6.7", "more than 6 numeric components"),
        ("1.2.3--alpine", "empty suffix"),
        ("1.25alpine", "no numeric core"),
        ("17.0.9_9-jre", "no numeric core"),
        ("", "no numeric core"),
    ],
)
def test_tags_that_are_not_versions_say_why(tag: str, reason: str) -> None:
    assert parse_version(tag) is None
    assert reason in why_not_a_version(tag)


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.2.3", "1.2.4"),
        ("1.2.9", "1.2.10"),
        ("1.9", "1.10"),
        ("1.2.3-rc.1", "1.2.3"),
        ("1.2.3-rc.1", "1.2.3-rc.2"),
        ("1.2.3-rc.2", "1.2.3-rc.10"),
        ("1.2.3-rc9", "1.2.3-rc10"),
        ("1.2.3-alpha", "1.2.3-beta"),
        ("1.2.3-beta", "1.2.3-rc"),
        ("1.2.3-rc.1", "1.2.3-rc.x"),
        ("1.2.3", "1.2.4-rc.1"),
        ("1.25.3-debian-12-r4", "1.25.3-debian-12-r5"),
        ("1.25.3", "1.25.3-r1"),
        ("2023.12.31", "2024.01.05"),
        ("v1.2.3", "1.2.4"),
    ],
)
def test_versions_order_by_semver_precedence(older: str, newer: str) -> None:
    assert version(older).key < version(newer).key


@pytest.mark.parametrize(
    ("one", "other"),
    [("1.2.3+build5", "1.2.3+build6"), ("v1.2.3", "1.2.3"), ("2024.01.05", "2024.1.5"), ("1.25", "1.25.0")],
)
def test_build_metadata_v_prefix_leading_zeros_and_padding_do_not_order(one: str, other: str) -> None:
    assert version(one).key == version(other).key


@pytest.mark.parametrize(
    ("current", "other", "difference"),
    [
        ("1.25.3-alpine", "1.25.4", "no variant; the current tag has variant 'alpine'"),
        ("1.25.3", "1.25.4-alpine", "variant 'alpine'; the current tag has no variant"),
        ("1.25.3-alpine3.18", "1.25.4-alpine3.19", "variant 'alpine3.19'"),
        ("1.25", "1.26.0", "3 numeric components; the current tag has 2"),
        ("1.25.3", "1.26", "2 numeric components; the current tag has 3"),
        ("release-1.2", "1.3", "no prefix; the current tag has prefix 'release-'"),
    ],
)
def test_tags_of_another_convention_are_another_family(current: str, other: str, difference: str) -> None:
    assert version(current).family != version(other).family
    found = version(current).family_difference(version(other))
    assert found is not None
    assert difference in found


@pytest.mark.parametrize(
    ("current", "other"),
    [
        ("1.25.3", "v1.26.0"),
        ("1.25.3-alpine", "1.26.1-alpine"),
        ("1.2.3", "1.2.4-rc.1"),
        ("1.25.3-debian-12-r4", "1.25.4-debian-12-r0"),
        ("Release-1.2", "release-1.3"),
    ],
)
def test_tags_of_one_convention_are_one_family(current: str, other: str) -> None:
    assert version(current).family_difference(version(other)) is None


@pytest.mark.parametrize(
    ("current", "newer", "bump"),
    [
        ("1.2.3", "2.0.0", Bump.MAJOR),
        ("1.2.3", "1.3.0", Bump.MINOR),
        ("1.2.3", "1.2.4", Bump.PATCH),
        ("1.2.3.4", "1.2.3.5", Bump.PATCH),
        ("1.2.3-rc.1", "1.2.3", Bump.SAME_CORE),
        ("14.5", "14.6", Bump.MINOR),
        ("1", "2", Bump.MAJOR),
    ],
)
def test_a_bump_is_the_first_core_number_that_changes(current: str, newer: str, bump: Bump) -> None:
    assert version(current).bump_to(version(newer)) is bump


@given(st.text())
def test_any_text_is_a_version_or_not_without_raising(text: str) -> None:
    parsed = parse_version(text)

    if parsed is None:
        assert why_not_a_version(text).startswith("not a version")
    else:
        assert parsed.tag == text and 1 <= parsed.precision <= 6


def test_a_huge_number_is_no_version_rather_than_a_crash() -> None:
    assert parse_version("1" * 5000) is None
    assert "longer than 128 characters" in why_not_a_version("1" * 5000)
