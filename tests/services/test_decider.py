"""``WorkloadDecider``: a workload, the tags the catalog knows, and what each container's policy chooses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from structlog.testing import capture_logs

from headwind.model.annotations import EventSource
from headwind.model.decisions import GONE, INVALID, NOT_TRACKED, SEEN, UP_TO_DATE, UPDATE_AVAILABLE
from headwind.model.workloads import DEPLOYMENT, STATEFULSET, ObjectKey, Workload, project
from headwind.services.catalog import TagCatalog
from headwind.services.decider import WorkloadDecider
from tests.sandbox.manifests import deployment

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
OLD = "sha256:" + "1" * 64
NEW = "sha256:" + "2" * 64
KEY = ObjectKey("Deployment", "shop", "web")


def workload(
    image: str = "nginx:1.25.3", *, containers: list[dict[str, Any]] | None = None, **annotations: str
) -> Workload:
    obj = deployment("web", image, namespace="shop", containers=containers)
    obj["metadata"]["annotations"] = {
        f"headwind.sh/{key.replace('_', '-')}": value for key, value in annotations.items()
    }
    obj["metadata"]["resourceVersion"] = "1"
    return project(DEPLOYMENT, obj)


def decider(*workloads: Workload, catalog: TagCatalog | None = None) -> WorkloadDecider:
    known = {w.key: w for w in workloads}
    return WorkloadDecider(
        {"Deployment": known.get, "StatefulSet": known.get}, catalog or TagCatalog(), lambda: NOW
    )


def pushed(catalog: TagCatalog, repository: str, *tags: str) -> TagCatalog:
    for tag in tags:
        catalog.record_push(repository, tag, None)
    return catalog


def test_an_update_available_names_each_container_change_in_its_own_spelling() -> None:
    catalog = pushed(TagCatalog(), "docker.io/library/nginx", "1.25.4", "1.26.0", "2.0.0")

    decision = decider(workload("docker.io/library/nginx:1.25.3", policy="minor"), catalog=catalog).decide(
        KEY
    )

    assert decision.outcome == UPDATE_AVAILABLE
    [change] = decision.changes
    assert (change.container, change.current, change.target) == (
        "app",
        "docker.io/library/nginx:1.25.3",
        "docker.io/library/nginx:1.26.0",
    )
    assert (change.policy, change.source) == ("minor", "webhook")
    assert (
        decision.reason
        == "app: docker.io/library/nginx:1.25.3 -> docker.io/library/nginx:1.26.0 (minor, from webhook)"
    )


def test_each_container_is_judged_by_its_own_policy() -> None:
    containers = [{"name": "app", "image": "nginx:1.25.3"}, {"name": "exporter", "image": "exporter:0.9.0"}]
    catalog = pushed(TagCatalog(), "docker.io/library/nginx", "1.26.0")
    pushed(catalog, "docker.io/library/exporter", "0.9.1", "0.10.0")
    subject = workload(containers=containers, policy="patch", **{"policy.exporter": "minor"})

    decision = decider(subject, catalog=catalog).decide(KEY)

    assert [(c.container, c.target) for c in decision.changes] == [("exporter", "exporter:0.10.0")]
    assert "app: nginx:1.25.3 is the newest patch allows" in decision.reason


def test_a_workload_heeds_only_its_event_sources() -> None:
    catalog = pushed(TagCatalog(), "docker.io/library/nginx", "1.26.0")

    polling_only = decider(workload(policy="minor", event_source="polling"), catalog=catalog).decide(KEY)
    deaf = decider(workload(policy="minor", event_source="none"), catalog=catalog).decide(KEY)

    assert polling_only.outcome == UP_TO_DATE
    assert "no tags of docker.io/library/nginx known yet" in polling_only.reason
    assert (deaf.outcome, deaf.reason) == (NOT_TRACKED, "headwind.sh/event-source is none")


def test_polled_tags_are_offered_only_to_the_namespace_that_listed_them() -> None:
    catalog = TagCatalog()
    catalog.record_listing("docker.io/library/nginx", "other-team", ["1.26.0"])

    decision = decider(workload(policy="minor", event_source="polling"), catalog=catalog).decide(KEY)
    assert decision.outcome == UP_TO_DATE

    catalog.record_listing("docker.io/library/nginx", "shop", ["1.26.0"])
    decision = decider(workload(policy="minor", event_source="polling"), catalog=catalog).decide(KEY)
    assert decision.outcome == UPDATE_AVAILABLE
    assert decision.changes[0].source == "polling"


def test_the_digest_policy_pins_new_content_of_the_running_tag() -> None:
    catalog = TagCatalog()
    catalog.record_digest("registry.example.com/app", "shop", "stable", OLD)
    subject = workload("registry.example.com/app:stable", policy="digest", event_source="polling")

    assert decider(subject, catalog=catalog).decide(KEY).outcome == UP_TO_DATE

    catalog.record_digest("registry.example.com/app", "shop", "stable", NEW)
    decision = decider(subject, catalog=catalog).decide(KEY)

    assert decision.outcome == UPDATE_AVAILABLE
    assert decision.changes[0].target == f"registry.example.com/app:stable@{NEW}"


def test_a_pinned_image_moves_to_the_new_tag_pinned_when_its_digest_is_known() -> None:
    catalog = TagCatalog()
    catalog.record_push("ghcr.io/team/app", "1.1.0", NEW)

    decision = decider(workload(f"ghcr.io/team/app:1.0.0@{OLD}", policy="minor"), catalog=catalog).decide(KEY)

    assert decision.changes[0].target == f"ghcr.io/team/app:1.1.0@{NEW}"


def test_unusable_annotations_are_a_decision_naming_the_keys_and_logged_once() -> None:
    subject = workload(policy="glob")
    judge = decider(subject)

    with capture_logs() as logs:
        first, again = judge.decide(KEY), judge.decide(KEY)

    assert first.outcome == again.outcome == INVALID
    assert first.reason == "headwind.sh/pattern: the glob policy needs a pattern such as '1.*-alpine'"
    assert [entry["event"] for entry in logs] == ["unusable headwind.sh annotations"]
    assert logs[0]["namespace"] == "shop" and logs[0]["name"] == "web"


def test_an_unknown_event_source_is_invalid() -> None:
    decision = decider(workload(policy="minor", event_source="sometimes")).decide(KEY)

    assert decision.outcome == INVALID
    assert "headwind.sh/event-source: unknown event source 'sometimes'" in decision.reason


@pytest.mark.parametrize("annotations", [{}, {"policy": "none"}, {"policy": "minor", "images": "sidecar"}])
def test_a_workload_without_tracked_containers_is_not_tracked(annotations: dict[str, str]) -> None:
    assert decider(workload(**annotations)).decide(KEY).outcome == NOT_TRACKED


def test_an_invalid_image_is_explained_not_raised() -> None:
    decision = decider(workload("Nginx:latest", policy="minor")).decide(KEY)

    assert decision.outcome == UP_TO_DATE
    assert "must be lowercase" in decision.reason


def test_a_deleted_workload_is_gone_and_other_kinds_are_seen() -> None:
    judge = decider()

    assert judge.decide(KEY).outcome == GONE
    assert judge.decide(ObjectKey("UpdateRequest", "shop", "web-1")).outcome == SEEN


def test_statefulsets_are_decided_the_same_way() -> None:
    obj = deployment("db", "postgres:14.5", namespace="shop")
    obj["kind"] = "StatefulSet"
    obj["metadata"]["annotations"] = {"headwind.sh/policy": "minor"}
    subject = project(STATEFULSET, obj)
    catalog = pushed(TagCatalog(), "docker.io/library/postgres", "14.6", "15.0")

    decision = decider(subject, catalog=catalog).decide(ObjectKey("StatefulSet", "shop", "db"))

    assert decision.changes[0].target == "postgres:14.6"


def test_a_webhook_fact_newer_than_a_polled_one_wins_for_both_sources() -> None:
    catalog = TagCatalog()
    catalog.record_listing("docker.io/library/nginx", "shop", ["1.26.0"])
    catalog.record_push("docker.io/library/nginx", "1.26.0", NEW)

    [(candidate, source)] = catalog.candidates(
        "docker.io/library/nginx", "shop", {EventSource.POLLING, EventSource.WEBHOOK}
    )

    assert (candidate.digest, source) == (NEW, EventSource.WEBHOOK)


def test_the_digest_policy_on_an_untagged_image_writes_the_tag_it_follows() -> None:
    catalog = TagCatalog()
    catalog.record_digest("docker.io/library/nginx", "shop", "latest", OLD)
    catalog.record_digest("docker.io/library/nginx", "shop", "latest", NEW)

    first = decider(workload("nginx", policy="digest", event_source="polling"), catalog=catalog).decide(KEY)
    [change] = first.changes
    applied = workload(change.target, policy="digest", event_source="polling")
    again = decider(applied, catalog=catalog).decide(KEY)

    assert change.target == f"nginx:latest@{NEW}"
    assert again.outcome == UP_TO_DATE  # it follows the tag still, and already runs its content


def test_a_pinned_image_is_not_unpinned_when_the_new_digest_is_unknown() -> None:
    catalog = pushed(TagCatalog(), "ghcr.io/team/app", "1.1.0")  # a push that reported no digest

    decision = decider(workload(f"ghcr.io/team/app:1.0.0@{OLD}", policy="minor"), catalog=catalog).decide(KEY)

    assert decision.outcome == UP_TO_DATE
    assert "1.1.0 chosen, but its digest is not known yet" in decision.reason


def test_force_settles_once_the_workload_runs_the_most_recent_push() -> None:
    catalog = TagCatalog()
    catalog.record_push("registry.example.com/app", "2.0.0", None)
    catalog.record_push("registry.example.com/app", "1.0.0", None)  # pushed last: force takes it

    first = decider(workload("registry.example.com/app:2.0.0", policy="force"), catalog=catalog).decide(KEY)
    applied = workload(first.changes[0].target, policy="force")
    again = decider(applied, catalog=catalog).decide(KEY)

    assert first.changes[0].target == "registry.example.com/app:1.0.0"
    assert again.outcome == UP_TO_DATE
