"""The health oracle's rule: the image *tag* decides, exact-image overrides win."""

from __future__ import annotations

import pytest

from headwind.sandbox.controllers.health import HealthOracle


@pytest.mark.parametrize(
    ("image", "verdict"),
    [
        ("nginx:1.25.3", None),
        ("nginx:1.26.0-bad", "ImagePullBackOff"),
        ("registry.local:5000/bad-team/app:1.2", None),  # the port and the path are not the tag
        ("registry.local:5000/team/app", None),  # no tag means "latest"
        ("app:bad@sha256:" + "0" * 64, "ImagePullBackOff"),  # a digest is not the tag
        ("app@sha256:" + "bad0" * 16, None),
    ],
)
def test_the_default_rule_reads_only_the_tag(image: str, verdict: str | None) -> None:
    assert HealthOracle().verdict(image) == verdict


def test_an_override_applies_to_the_exact_image_until_cleared() -> None:
    oracle = HealthOracle(unhealthy=r"^0\.")
    changes: list[None] = []
    oracle.subscribe(lambda: changes.append(None))

    oracle.set("app:2.0", "CrashLoopBackOff")
    oracle.set("app:0.9", None)

    assert oracle.verdict("app:2.0") == "CrashLoopBackOff"
    assert oracle.verdict("app:0.9") is None
    assert oracle.verdict("other:0.9") == "ImagePullBackOff"
    oracle.clear()
    assert (oracle.verdict("app:2.0"), oracle.verdict("app:0.9")) == (None, "ImagePullBackOff")
    assert len(changes) == 3
