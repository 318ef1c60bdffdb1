"""Every image-matching and policy defect of Headwind (Rust), shown fixed here.

The references are to ``shared/reference/headwind.md``: §2.1 (matching an image event to workloads,
rewriting the image) and §2.3 (the policy engine), and the matching entries of §4.2. Each test names
what Headwind did in its docstring and asserts what we do instead.
"""

from __future__ import annotations

import itertools

import pytest

from headwind.model.annotations import container_policy
from headwind.model.image import parse_image
from headwind.model.policy import InvalidPolicy, build_policy
from headwind.model.selection import Candidate, select
from headwind.model.versions import parse_version

NEW = "sha256:" + "c" * 64
OLD = "sha256:" + "d" * 64


def chosen(options: dict[str, str], current: str, candidates: list[str]) -> str | None:
    target = select(build_policy(options), current, candidates).target
    return target.tag if target else None


# --- §2.1: references, matching and rewriting ---------------------------------------------------------


def test_a_private_registry_host_is_part_of_the_repository() -> None:
    """§2.1, §4.2 #2: Headwind took ``myorg/app`` from a registry webhook as Docker Hub's ``myorg/app``."""
    private = parse_image("registry.example.com/myorg/app:1.0")

    assert private.repository == "registry.example.com/myorg/app"
    assert private.repository != parse_image("myorg/app:1.0").repository


def test_a_port_without_a_dot_is_still_a_registry_port() -> None:
    """§2.1: a colon counted as a port only after a ``.``, so ``localhost:5000/app`` lost its registry."""
    ref = parse_image("localhost:5000/app:1.0")

    assert (ref.registry, ref.path, ref.tag) == ("localhost:5000", "app", "1.0")


def test_every_spelling_of_an_official_image_is_one_repository() -> None:
    """§2.1: ``docker.io/`` was stripped and ``library/`` matched only in some event shapes."""
    spellings = [
        "nginx:1",
        "library/nginx:1",
        "docker.io/nginx:1",
        "docker.io/library/nginx:1",
        "index.docker.io/library/nginx:1",
        "registry-1.docker.io/nginx:1",
    ]

    assert {parse_image(spelling).repository for spelling in spellings} == {"docker.io/library/nginx"}


@pytest.mark.parametrize(
    ("image", "rewritten"),
    [
        ("docker.io/library/nginx:1.0", "docker.io/library/nginx:1.1"),
        ("docker.io/nginx:1.0", "docker.io/nginx:1.1"),
        ("library/nginx:1.0", "library/nginx:1.1"),
        ("index.docker.io/team/app:1.0", "index.docker.io/team/app:1.1"),
        ("nginx:1.0", "nginx:1.1"),
    ],
)
def test_rewriting_keeps_the_registry_and_library_prefixes_as_written(image: str, rewritten: str) -> None:
    """§2.1, §4.2 #14: ``docker.io/library/nginx:1.0`` became ``library/nginx:1.1`` or ``nginx:1.1``."""
    assert parse_image(image).with_tag("1.1") == rewritten


def test_a_digest_pinned_image_has_a_digest_not_a_tag() -> None:
    """§2.1: ``parse_image("app@sha256:x")`` yielded the tag ``"x"``."""
    ref = parse_image(f"app@{OLD}")

    assert (ref.tag, ref.digest) == (None, OLD)
    assert select(build_policy({"policy": "major"}), ref.tag, ["1.0"]).target is None


def test_a_tag_and_digest_reference_moves_to_the_new_tag_and_its_digest() -> None:
    """§4.2 #14: images pinned as ``repo:tag@digest`` were unsupported."""
    ref = parse_image(f"ghcr.io/team/app:1.0@{OLD}")
    target = select(build_policy({"policy": "minor"}), ref.tag, [Candidate("1.1", NEW)]).target

    assert target is not None
    assert ref.with_tag(target.tag, target.digest) == f"ghcr.io/team/app:1.1@{NEW}"


def test_new_content_under_the_same_tag_is_an_update_that_pins_the_digest() -> None:
    """§2.1, §4.2 #3: a container already on the event's tag was skipped, so digests never rolled out."""
    ref = parse_image("registry.example.com/app:stable")
    target = select(
        build_policy({"policy": "digest"}), ref.tag, [Candidate("stable", NEW)], current_digest=OLD
    ).target

    assert target == Candidate("stable", NEW)
    assert ref.with_digest(NEW) == f"registry.example.com/app:stable@{NEW}"


# --- §2.3: the policy engine ------------------------------------------------------------------------


def test_two_part_tags_update() -> None:
    """§2.3: ``14.5`` failed strict semver parsing, so ``postgres:14.5`` never moved to ``14.6``."""
    assert chosen({"policy": "minor"}, "14.5", ["14.6", "14.5.1"]) == "14.6"


def test_an_alpine_workload_stays_alpine() -> None:
    """§2.3: ``-alpine`` parsed as a pre-release and ``1.25.4`` outranked ``1.25.4-alpine``."""
    assert chosen({"policy": "patch"}, "1.25.3-alpine", ["1.25.4", "1.25.4-alpine"]) == "1.25.4-alpine"
    assert chosen({"policy": "patch"}, "1.25.3-alpine", ["1.25.4"]) is None


@pytest.mark.parametrize("policy", ["patch", "minor", "major", "all"])
def test_a_release_is_not_moved_to_a_pre_release(policy: str) -> None:
    """§2.3, §4.2 #5: ``patch`` allowed ``1.2.3 -> 1.2.4-rc.1``."""
    assert chosen({"policy": policy}, "1.2.3", ["1.2.4-rc.1"]) is None


@pytest.mark.parametrize(("policy", "extra"), [("all", {}), ("glob", {"pattern": "*"})])
def test_all_and_glob_never_downgrade(policy: str, extra: dict[str, str]) -> None:
    """§2.3, §4.2 #4: ``all`` took any different tag and ``glob`` ignored the current version."""
    assert chosen({"policy": policy, **extra}, "2.0.0", ["1.0.0", "1.9.9"]) is None


@pytest.mark.parametrize(("policy", "extra"), [("all", {}), ("glob", {"pattern": "*"})])
def test_all_and_glob_choose_the_newest_whatever_the_registry_order(
    policy: str, extra: dict[str, str]
) -> None:
    """§2.2, §4.2 #4: polling took the *last* qualifying tag in list order (often lexical, or ``latest``)."""
    tags = ["1.10.0", "1.9.0", "1.2.0", "latest"]

    for order in itertools.permutations(tags):
        assert chosen({"policy": policy, **extra}, "1.0.0", list(order)) == "1.10.0"


@pytest.mark.parametrize(
    ("pattern", "tag", "matches"),
    [
        ("1.*-alpine", "1.26.0-alpine", True),
        ("*.*-alpine", "1.26.0-alpine", True),
        ("1.2?.0", "1.26.0", True),
        ("1.2?.0", "1.2.0", False),
        ("[12].*", "2.0", True),
    ],
)
def test_glob_patterns_have_every_star_and_question_mark(pattern: str, tag: str, matches: bool) -> None:
    """§2.3: only a pattern with exactly one ``*`` worked; no ``?``; anything else compared exactly."""
    assert (chosen({"policy": "glob", "pattern": pattern}, "latest", [tag]) == tag) is matches


def test_force_chooses_among_polled_tags() -> None:
    """§2.2, §4.2 #4: polling ``force`` skipped tag discovery, so it only worked through webhooks."""
    assert chosen({"policy": "force"}, "1.0", ["0.9", "main"]) == "0.9"


def test_build_metadata_does_not_make_a_newer_version() -> None:
    """§2.3: Headwind's semver crate ordered by build metadata; semver says build does not order."""
    assert chosen({"policy": "patch"}, "1.0.0+build1", ["1.0.0+build2"]) is None


def test_a_release_prefix_is_a_convention_not_a_disguise() -> None:
    """§2.3: ``release-`` and any number of ``v`` were trimmed, so ``release-1.2`` was compared to ``1.3``."""
    assert chosen({"policy": "minor"}, "release-1.2", ["1.3", "release-1.4"]) == "release-1.4"
    assert parse_version("vv1.2.3") is None


@pytest.mark.parametrize("value", ["minor", "Minor", "MINOR"])
def test_policy_values_are_case_insensitive_for_every_kind(value: str) -> None:
    """§2.3: the StatefulSet/DaemonSet parser was case-sensitive; here one parser serves every kind."""
    policy = container_policy({"headwind.sh/policy": value}, "app")

    assert policy is not None and policy.kind.value == "minor"


def test_an_unknown_policy_is_an_error_naming_the_key_never_a_silent_none() -> None:
    """§2.3: an unknown value fell back to ``none`` for Helm and was an unexplained skip elsewhere."""
    with pytest.raises(InvalidPolicy, match=r"headwind.sh/policy: unknown policy 'minr'"):
        container_policy({"headwind.sh/policy": "minr"}, "app")
