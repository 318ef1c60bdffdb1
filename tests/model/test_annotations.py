"""``container_policy``: workload annotations, per-container overrides and ``headwind.sh/images``."""

from __future__ import annotations

import pytest

from headwind.model.annotations import container_policy, tracks
from headwind.model.policy import InvalidPolicy, PolicyKind


def test_the_workload_policy_applies_to_every_container() -> None:
    annotations = {"headwind.sh/policy": "minor"}

    for name in ("app", "sidecar"):
        policy = container_policy(annotations, name)
        assert policy is not None and policy.kind is PolicyKind.MINOR


def test_a_container_suffix_overrides_the_workload_option_by_option() -> None:
    annotations = {
        "headwind.sh/policy": "glob",
        "headwind.sh/pattern": "1.*",
        "headwind.sh/pattern.sidecar": "2.*",
        "headwind.sh/policy.exporter": "semver",
        "headwind.sh/semver-range.exporter": "^0.9",
        "headwind.sh/ignore-tags.app": "*-rc*",
    }

    app, sidecar, exporter = (container_policy(annotations, name) for name in ("app", "sidecar", "exporter"))

    assert app is not None and (app.kind, app.pattern, app.ignore_tags) == (
        PolicyKind.GLOB,
        "1.*",
        ("*-rc*",),
    )
    assert sidecar is not None and (sidecar.kind, sidecar.pattern, sidecar.ignore_tags) == (
        PolicyKind.GLOB,
        "2.*",
        (),
    )
    assert exporter is not None and exporter.kind is PolicyKind.SEMVER
    assert str(exporter.semver_range) == "^0.9"


def test_without_a_policy_annotation_a_container_is_not_updated() -> None:
    policy = container_policy({"headwind.sh/pattern": "1.*"}, "app")

    assert policy is not None and policy.kind is PolicyKind.NONE


@pytest.mark.parametrize(
    ("images", "container", "tracked"),
    [
        ("", "app", True),
        ("app", "app", True),
        ("app, web", "web", True),
        ("app,web", "sidecar", False),
        ("nginx", "app", False),
    ],
)
def test_the_images_annotation_lists_container_names_to_track(
    images: str, container: str, tracked: bool
) -> None:
    annotations = {"headwind.sh/policy": "patch", "headwind.sh/images": images}

    assert tracks(annotations, container) is tracked
    assert (container_policy(annotations, container) is not None) is tracked


def test_a_container_with_its_own_policy_is_tracked_even_when_not_listed() -> None:
    annotations = {"headwind.sh/images": "app", "headwind.sh/policy.sidecar": "minor"}

    policy = container_policy(annotations, "sidecar")

    assert policy is not None and policy.kind is PolicyKind.MINOR


def test_problems_name_the_annotation_key_that_set_the_bad_value() -> None:
    annotations = {
        "headwind.sh/policy": "glob",
        "headwind.sh/policy.sidecar": "Semver",
        "headwind.sh/pattern": "",
    }

    with pytest.raises(InvalidPolicy) as app_problems:
        container_policy(annotations, "app")
    with pytest.raises(InvalidPolicy) as sidecar_problems:
        container_policy(annotations, "sidecar")

    assert app_problems.value.problems == [
        "headwind.sh/pattern: the glob policy needs a pattern such as '1.*-alpine'"
    ]
    assert sidecar_problems.value.problems == [
        "headwind.sh/semver-range: the semver policy needs a range such as '>=1.2 <2' or '^1.2'"
    ]


def test_an_override_key_is_named_when_it_is_the_bad_one() -> None:
    annotations = {"headwind.sh/policy": "minor", "headwind.sh/policy.sidecar": "sometimes"}

    with pytest.raises(InvalidPolicy) as caught:
        container_policy(annotations, "sidecar")

    assert caught.value.problems[0].startswith("headwind.sh/policy.sidecar: unknown policy 'sometimes'")
