"""``TagCatalog``: what polling and webhooks have learned, scoped and bounded."""

from __future__ import annotations

import pytest

from headwind.model.annotations import EventSource
from headwind.services import catalog as catalog_module
from headwind.services.catalog import MAX_PUSHED_TAGS, TagCatalog

REPO = "registry.example.com/team/app"
POLLING = {EventSource.POLLING}
D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def tags(catalog: TagCatalog, namespace: str = "shop", sources: set[EventSource] = POLLING) -> set[str]:
    return {candidate.tag for candidate, _ in catalog.candidates(REPO, namespace, sources)}


def test_a_listing_reports_only_tags_the_previous_one_lacked() -> None:
    catalog = TagCatalog()

    assert catalog.record_listing(REPO, "shop", ["1.0", "1.1"]) == {"1.0", "1.1"}
    assert catalog.record_listing(REPO, "shop", ["1.1", "1.0"]) == set()
    assert catalog.record_listing(REPO, "shop", ["1.0", "1.1", "1.2"]) == {"1.2"}
    assert tags(catalog) == {"1.0", "1.1", "1.2"}


def test_a_deleted_tag_leaves_the_catalog_with_the_next_listing() -> None:
    catalog = TagCatalog()
    catalog.record_listing(REPO, "shop", ["1.0", "1.1"])
    catalog.record_listing(REPO, "shop", ["1.0"])

    assert tags(catalog) == {"1.0"}


def test_digests_report_changes_and_keep_the_first_as_baseline() -> None:
    catalog = TagCatalog()

    assert catalog.record_digest(REPO, "shop", "stable", D1) is False
    assert catalog.record_digest(REPO, "shop", "stable", D1) is False
    assert catalog.record_digest(REPO, "shop", "stable", D2) is True
    assert catalog.baseline_digest(REPO, "shop", "stable") == D1
    [(candidate, _)] = catalog.candidates(REPO, "shop", POLLING)
    assert candidate.digest == D2


def test_a_listing_keeps_the_digests_of_tags_it_still_lists() -> None:
    catalog = TagCatalog()
    catalog.record_digest(REPO, "shop", "stable", D1)
    catalog.record_listing(REPO, "shop", ["stable", "1.0"])

    assert {c.tag: c.digest for c, _ in catalog.candidates(REPO, "shop", POLLING)} == {
        "stable": D1,
        "1.0": None,
    }


def test_polled_facts_belong_to_their_namespace_and_pushes_to_everyone() -> None:
    catalog = TagCatalog()
    catalog.record_listing(REPO, "team-a", ["1.0"])
    catalog.record_push(REPO, "2.0", None)

    assert tags(catalog, "team-b") == set()
    assert tags(catalog, "team-b", {EventSource.WEBHOOK}) == {"2.0"}
    assert tags(catalog, "team-a", {EventSource.WEBHOOK, EventSource.POLLING}) == {"1.0", "2.0"}
    assert tags(catalog, "team-a", set()) == set()


def test_retain_forgets_what_no_workload_polls() -> None:
    catalog = TagCatalog()
    catalog.record_listing(REPO, "team-a", ["1.0"])
    catalog.record_listing(REPO, "team-b", ["1.0"])

    catalog.retain({(REPO, "team-b")})

    assert tags(catalog, "team-a") == set()
    assert tags(catalog, "team-b") == {"1.0"}


def test_pushed_tags_are_bounded_keeping_the_newest() -> None:
    catalog = TagCatalog()
    for number in range(MAX_PUSHED_TAGS + 5):
        catalog.record_push(REPO, f"1.0.{number}", None)
    catalog.record_push(REPO, "1.0.0", None)  # pushed again: now the newest

    known = tags(catalog, sources={EventSource.WEBHOOK})

    assert len(known) == MAX_PUSHED_TAGS
    assert "1.0.0" in known and f"1.0.{MAX_PUSHED_TAGS + 4}" in known
    assert "1.0.5" not in known


def test_pushed_repositories_are_bounded_keeping_the_most_recent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_module, "MAX_PUSHED_REPOSITORIES", 3)
    catalog = TagCatalog()
    for name in ("a", "b", "c"):
        catalog.record_push(f"registry.example.com/{name}", "1.0", None)
    catalog.record_push("registry.example.com/a", "1.1", None)  # a is the most recent again
    catalog.record_push("registry.example.com/d", "1.0", None)

    known = {
        name
        for name in "abcd"
        if catalog.candidates(f"registry.example.com/{name}", "x", {EventSource.WEBHOOK})
    }

    assert known == {"a", "c", "d"}


def test_a_push_without_a_digest_keeps_the_digest_polling_found() -> None:
    catalog = TagCatalog()
    catalog.record_digest(REPO, "shop", "stable", D1)
    catalog.record_push(REPO, "stable", None)

    [(candidate, source)] = catalog.candidates(REPO, "shop", {EventSource.WEBHOOK, EventSource.POLLING})

    assert (candidate.digest, source) == (D1, EventSource.WEBHOOK)


def test_tags_there_at_the_first_listing_have_no_push_time_and_later_ones_do() -> None:
    catalog = TagCatalog()
    catalog.record_listing(REPO, "shop", ["1.0", "2.0"])
    catalog.record_listing(REPO, "shop", ["1.0", "2.0", "0.9"])
    catalog.record_push(REPO, "0.8", None)

    pushed = {
        c.tag: c.pushed
        for c, _ in catalog.candidates(REPO, "shop", {EventSource.WEBHOOK, EventSource.POLLING})
    }

    assert pushed["1.0"] is None and pushed["2.0"] is None
    assert pushed["0.9"] is not None and pushed["0.8"] is not None and pushed["0.8"] > pushed["0.9"]
