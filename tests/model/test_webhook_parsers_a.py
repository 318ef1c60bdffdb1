"""The Docker Hub, distribution, Harbor, GHCR, GitLab and Quay parsers beyond their corpus samples.

The corpus (``test_webhook_corpus.py``) says what each real delivery reads as. These tests pin what
the samples cannot show one by one: ``?registry=`` on every push, the field path in every refusal,
the rules of each format on small variations, and -- with hypothesis -- that no JSON value and no
mutation of a real sample makes a parser raise anything but :class:`InvalidPayload`, or emit a push
that is not a valid image reference.
"""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwind.model.image import parse_image
from headwind.model.pushes import CHART, IMAGE, PushEvent
from headwind.model.webhooks.fields import Delivery, InvalidPayload

CORPUS = Path(__file__).resolve().parents[1] / "data" / "webhooks"
SOURCES = ("dockerhub", "registry", "harbor", "ghcr", "gitlab", "quay")
Parser = Callable[[object, Delivery], list[PushEvent]]


def parser(source: str) -> Parser:
    module = importlib.import_module(f"headwind.model.webhooks.{source}")
    parse: Parser = module.parse
    return parse


def load(source: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / source / f"{name}.json").read_text(encoding="utf-8"))
    return data


def body_of(source: str, name: str) -> dict[str, Any]:
    """The body of a corpus sample that is a JSON object (a fresh copy each time)."""
    body = load(source, name)["body"]
    assert isinstance(body, dict)
    return body


def samples(source: str) -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted((CORPUS / source).glob("*.json"))]


def delivery_of(sample: dict[str, Any], **query: str) -> Delivery:
    headers = {name.lower(): value for name, value in sample.get("headers", {}).items()}
    return Delivery(headers, {**sample.get("query", {}), **query})


def parse(source: str, body: object, headers: dict[str, str] | None = None, **query: str) -> list[PushEvent]:
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    return parser(source)(body, Delivery(lowered, query))


def problem(source: str, body: object, headers: dict[str, str] | None = None, **query: str) -> str:
    with pytest.raises(InvalidPayload) as caught:
        parse(source, body, headers, **query)
    return caught.value.problem


def assert_valid_pushes(events: object, source: str) -> None:
    """What every parser promises: a list of pushes, each a reference a pod spec could hold."""
    assert isinstance(events, list)
    for event in events:
        assert isinstance(event, PushEvent)
        assert event.source == source
        assert event.kind in (IMAGE, CHART)
        assert event.registry == event.registry.lower()
        reference = f"{event.registry}/{event.repository}"
        reference += f":{event.tag}" if event.tag is not None else ""
        reference += f"@{event.digest}" if event.digest is not None else ""
        parsed = parse_image(reference)
        assert parsed.tag == event.tag
        assert parsed.digest == event.digest


# --- ?registry= ----------------------------------------------------------------------------------

PUSH_SAMPLES = [
    pytest.param(source, sample, id=f"{source}/{index}")
    for source in SOURCES
    for index, sample in enumerate(samples(source))
    if sample.get("events")
]


@pytest.mark.parametrize(("source", "sample"), PUSH_SAMPLES)
def test_the_registry_parameter_moves_every_push_of_every_sample_to_its_host(
    source: str, sample: dict[str, Any]
) -> None:
    before = parser(source)(copy.deepcopy(sample["body"]), delivery_of(sample))
    after = parser(source)(
        copy.deepcopy(sample["body"]), delivery_of(sample, registry="Mirror.Example.com:5000")
    )

    assert [event.registry for event in after] == ["mirror.example.com:5000"] * len(before)
    assert [(e.tag, e.digest, e.media_type, e.kind) for e in after] == [
        (e.tag, e.digest, e.media_type, e.kind) for e in before
    ]
    for old, new in zip(before, after, strict=True):
        if old.registry != "docker.io":  # library/ belongs to Docker Hub alone
            assert new.repository == old.repository


@pytest.mark.parametrize("source", SOURCES)
def test_a_registry_parameter_that_is_not_a_host_is_refused_by_every_parser(source: str) -> None:
    sample = next(sample for sample in samples(source) if sample.get("events"))

    with pytest.raises(InvalidPayload) as caught:
        parser(source)(sample["body"], delivery_of(sample, registry="https://registry.example.com"))

    assert caught.value.problem.startswith("query parameter registry:")


# --- refusals name the field ---------------------------------------------------------------------


def registry_push() -> dict[str, Any]:
    return body_of("registry", "distribution-2.8-oci-push")


def with_change(body: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    change(changed)
    return changed


def event0(body: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = body["events"][0]
    return event


REGISTRY_REFUSALS: list[tuple[Callable[[dict[str, Any]], object], str]] = [
    (lambda b: b.update(events={"a": 1}), "events: expected a list, got an object"),
    (lambda b: b.update(events=[7]), "events[0]: expected a JSON object, got the number 7"),
    (lambda b: event0(b).pop("action"), "events[0].action: required field is missing"),
    (lambda b: event0(b).update(action=["push"]), "events[0].action: expected a non-empty string"),
    (lambda b: event0(b).update(target="team/app"), "events[0].target: expected a JSON object"),
    (lambda b: event0(b)["target"].update(mediaType=1), "events[0].target.mediaType: expected a string"),
    (lambda b: event0(b)["target"].update(tag=True), "events[0].target.tag: expected a string"),
    (
        lambda b: event0(b)["target"].update(repository="Team/App"),
        "events[0].target.repository: repository name",
    ),
    (
        lambda b: event0(b)["target"].update(repository="team/app:2"),
        "events[0].target.repository: 'team/app:2'",
    ),
    (lambda b: event0(b)["target"].update(digest=5), "events[0].target.digest: expected a string"),
    (lambda b: event0(b)["target"].update(references={}), "events[0].target.references: expected a list"),
    (
        lambda b: event0(b)["target"].update(references=[None]),
        "events[0].target.references[0]: expected a JSON",
    ),
    (
        lambda b: event0(b)["target"]["references"][1].update(mediaType=3),
        "events[0].target.references[1].mediaType: expected a string",
    ),
    (lambda b: event0(b).update(request=[]), "events[0].request: expected a JSON object, got a list"),
    (lambda b: event0(b)["request"].update(host=5001), "events[0].request.host: expected a string"),
    (
        lambda b: event0(b)["request"].update(host="registry example"),
        "events[0].request.host: 'registry example' is not a registry host[:port]",
    ),
    (
        lambda b: event0(b)["request"].pop("host") and event0(b)["target"].update(url=9),
        "events[0].target.url",
    ),
]


@pytest.mark.parametrize(("change", "expected"), REGISTRY_REFUSALS)
@pytest.mark.parametrize("source", ["registry", "gitlab"])
def test_a_distribution_push_that_cannot_be_read_is_refused_naming_the_field(
    source: str, change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    assert expected in problem(source, with_change(registry_push(), change))


def test_a_bare_event_is_refused_with_paths_from_the_body() -> None:
    bare = event0(registry_push())
    bare["target"]["tag"] = "-x"

    assert problem("registry", bare).startswith("target.tag: '-x' is not a tag")


def test_an_unreadable_host_does_not_matter_when_the_url_names_the_registry() -> None:
    body = with_change(registry_push(), lambda b: event0(b)["request"].update(host="not a host"))

    events = parse("registry", body, registry="registry.example.com")

    assert [event.registry for event in events] == ["registry.example.com"]


def dockerhub_push() -> dict[str, Any]:
    return {"push_data": {"tag": "1.0"}, "repository": {"repo_name": "team/app"}}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda b: b.pop("push_data"), "push_data: required field is missing"),
        (lambda b: b.update(push_data="1.0"), "push_data: expected a JSON object"),
        (lambda b: b.pop("repository"), "repository: required field is missing"),
        (lambda b: b.update(repository=None), "repository: expected a JSON object, got null"),
        (lambda b: b["repository"].update(repo_name=""), "repository.repo_name: expected a non-empty string"),
        (
            lambda b: b["repository"].update(repo_name="team//app"),
            "repository.repo_name: the repository path",
        ),
        (lambda b: b["push_data"].update(tag=["1.0"]), "push_data.tag: expected a string, got a list"),
        (lambda b: b["push_data"].update(tag="a" * 129), "push_data.tag: "),
    ],
)
def test_a_docker_hub_push_that_cannot_be_read_is_refused_naming_the_field(
    change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    assert problem("dockerhub", with_change(dockerhub_push(), change)).startswith(expected)


def harbor_push() -> dict[str, Any]:
    return body_of("harbor", "docs-push-artifact")


def harbor_cloudevent() -> dict[str, Any]:
    return body_of("harbor", "cloudevents-pushed")


def resource0(body: dict[str, Any], data: str = "event_data") -> dict[str, Any]:
    resource: dict[str, Any] = body[data]["resources"][0]
    return resource


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (with_change(harbor_push(), lambda b: b.update(type=1)), "type: expected a non-empty string"),
        (with_change(harbor_push(), lambda b: b.pop("event_data")), "event_data: required field is missing"),
        (
            with_change(harbor_push(), lambda b: b["event_data"].update(resources={})),
            "event_data.resources: expected",
        ),
        (
            with_change(harbor_push(), lambda b: b["event_data"].update(resources=["x"])),
            "event_data.resources[0]: expected a JSON object",
        ),
        (
            with_change(harbor_push(), lambda b: b["event_data"].update(repository="debian")),
            "event_data.repository: expected a JSON object",
        ),
        (
            with_change(harbor_push(), lambda b: b["event_data"]["repository"].update(repo_full_name=1)),
            "event_data.repository.repo_full_name: expected a string",
        ),
        (
            with_change(
                harbor_push(), lambda b: b["event_data"]["repository"].update(repo_full_name="Test/Debian")
            ),
            "event_data.repository.repo_full_name: repository name",
        ),
        (
            with_change(harbor_push(), lambda b: resource0(b).update(digest="sha256:8a9e")),
            "event_data.resources[0].digest: 'sha256:8a9e' is not a digest",
        ),
        (
            with_change(harbor_push(), lambda b: resource0(b).update(resource_url=["hub.harbor.com"])),
            "event_data.resources[0].resource_url: expected a string",
        ),
        (
            with_change(harbor_push(), lambda b: resource0(b).update(resource_url="debian:latest")),
            "event_data.resources[0].resource_url: 'debian:latest' does not start with a registry host",
        ),
        (
            with_change(
                harbor_push(),
                lambda b: (
                    b["event_data"].pop("repository"),
                    resource0(b).update(resource_url="hub.harbor.com"),
                ),
            ),
            "event_data.resources[0].resource_url: 'hub.harbor.com' does not start with a registry host",
        ),
        (with_change(harbor_cloudevent(), lambda b: b.pop("type")), "type: required field is missing"),
        (with_change(harbor_cloudevent(), lambda b: b.update(data=[])), "data: expected a JSON object"),
        (
            with_change(harbor_cloudevent(), lambda b: resource0(b, "data").update(tag="v 1")),
            "data.resources[0].tag: 'v 1' is not a tag",
        ),
    ],
)
def test_a_harbor_push_that_cannot_be_read_is_refused_naming_the_field(
    body: dict[str, Any], expected: str
) -> None:
    assert problem("harbor", body).startswith(expected)


def test_a_harbor_push_naming_no_repository_is_refused() -> None:
    body = with_change(
        harbor_push(), lambda b: (b["event_data"].pop("repository"), resource0(b).pop("resource_url"))
    )

    found = problem("harbor", body, registry="harbor.example.com")

    assert found.startswith("event_data.repository.repo_full_name: required field is missing")


def test_a_harbor_binary_mode_push_is_refused_with_paths_from_the_body() -> None:
    body = {"resources": [{"tag": "v1", "digest": "sha256:x", "resource_url": "harbor.dev/library/app:v1"}]}

    found = problem("harbor", body, {"ce-type": "harbor.artifact.pushed"})

    assert found.startswith("resources[0].digest: 'sha256:x' is not a digest")


def ghcr_push() -> dict[str, Any]:
    return body_of("ghcr", "package-published-tagged")


def version_of(body: dict[str, Any]) -> dict[str, Any]:
    version: dict[str, Any] = body["package"]["package_version"]
    return version


GHCR_EVENT = {"X-GitHub-Event": "package"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda b: b.update(action=1), "action: expected a string"),
        (lambda b: b.pop("package"), "package: required field is missing"),
        (lambda b: b.update(package="hello-world"), "package: expected a JSON object"),
        (lambda b: b["package"].update(package_type=2), "package.package_type: expected a string"),
        (lambda b: b["package"].pop("package_version"), "package.package_version: required field is missing"),
        (lambda b: b["package"].pop("name"), "package.name: required field is missing"),
        (lambda b: b["package"].update(name="hello world"), "package.name: "),
        (lambda b: b["package"].update(owner="Codertocat"), "package.owner: expected a JSON object"),
        (lambda b: b["package"]["owner"].update(login=7), "package.owner.login: expected a string"),
        (
            lambda b: version_of(b).update(container_metadata=[]),
            "package.package_version.container_metadata: expected a JSON object",
        ),
        (
            lambda b: version_of(b)["container_metadata"].update(tag="1.4.0"),
            "package.package_version.container_metadata.tag: expected a JSON object",
        ),
        (
            lambda b: version_of(b)["container_metadata"]["tag"].update(name=1.4),
            "package.package_version.container_metadata.tag.name: expected a string",
        ),
        (
            lambda b: version_of(b)["container_metadata"]["manifest"].update(media_type=0),
            "package.package_version.container_metadata.manifest.media_type: expected a string",
        ),
        (
            lambda b: version_of(b)["container_metadata"]["manifest"].update(config="x"),
            "package.package_version.container_metadata.manifest.config: expected a JSON object",
        ),
        (
            lambda b: version_of(b).update(package_url=5),
            "package.package_version.package_url: expected a string",
        ),
    ],
)
def test_a_ghcr_push_that_cannot_be_read_is_refused_naming_the_field(
    change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    assert problem("ghcr", with_change(ghcr_push(), change), GHCR_EVENT).startswith(expected)


def test_a_legacy_docker_package_without_its_registry_url_is_refused() -> None:
    body = body_of("ghcr", "keel-legacy-docker-registry")
    del body["registry_package"]["registry"]["url"]

    found = problem("ghcr", body, {"X-GitHub-Event": "registry_package"})

    assert found.startswith("registry_package.registry.url: expected https://<host>/<owner>/<repository>")


def quay_push() -> dict[str, Any]:
    return body_of("quay", "redhat-docs-repository-push")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda b: b.update(updated_tags=None), "updated_tags: expected a list of tags"),
        (lambda b: b.update(updated_tags=[1]), "updated_tags[0]: expected a tag, got 1"),
        (lambda b: b.update(updated_tags={"bad tag": "id"}), "updated_tags.bad tag: 'bad tag' is not a tag"),
        (lambda b: b.update(repository=["dgangaia/test"]), "repository: expected a non-empty string"),
        (lambda b: b.update(docker_url=1), "docker_url: expected a string"),
        (lambda b: b.update(docker_url="test"), "docker_url: 'test' does not start with a registry host"),
        (lambda b: (b.pop("docker_url"), b.update(homepage=False)), "homepage: expected a string"),
    ],
)
def test_a_quay_push_that_cannot_be_read_is_refused_naming_the_field(
    change: Callable[[dict[str, Any]], object], expected: str
) -> None:
    assert problem("quay", with_change(quay_push(), change)).startswith(expected)


@pytest.mark.parametrize("event", ["Push Hook", "Tag Push Hook", "Pipeline Hook", "System Hook"])
def test_a_gitlab_project_webhook_is_refused_with_how_to_configure_registry_notifications(event: str) -> None:
    found = problem("gitlab", registry_push(), {"X-Gitlab-Event": event})

    assert found.startswith(f"header X-Gitlab-Event: {event!r} is a GitLab project/group webhook")
    assert "registry['notifications']" in found


# --- the rules of each format --------------------------------------------------------------------


def distribution_event(**target: object) -> dict[str, Any]:
    body = registry_push()
    event0(body)["target"] = {"repository": "team/app", "digest": event0(body)["target"]["digest"], **target}
    return body


@pytest.mark.parametrize(
    "media_type",
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        None,
    ],
)
def test_a_tagged_manifest_or_index_push_is_a_push(media_type: str | None) -> None:
    target = {"tag": "1.0"} if media_type is None else {"tag": "1.0", "mediaType": media_type}

    [event] = parse("registry", distribution_event(**target))

    assert (event.registry, event.repository, event.tag, event.media_type) == (
        "127.0.0.1:5001",
        "team/app",
        "1.0",
        media_type,
    )


@pytest.mark.parametrize(
    "media_type",
    [
        "application/octet-stream",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.cncf.helm.config.v1+json",
    ],
)
def test_a_tagged_push_of_anything_but_a_manifest_is_ignored(media_type: str) -> None:
    assert parse("registry", distribution_event(tag="1.0", mediaType=media_type)) == []


@pytest.mark.parametrize("action", ["pull", "delete", "mount", "Push"])
def test_events_other_than_push_are_ignored_even_when_tagged(action: str) -> None:
    body = registry_push()
    event0(body)["action"] = action

    assert parse("registry", body) == []


def test_a_chart_is_recognized_by_any_of_its_references() -> None:
    body = registry_push()
    event0(body)["target"]["references"][1]["mediaType"] = "application/vnd.cncf.helm.config.v1+json"

    [event] = parse("registry", body)

    assert event.kind == CHART


def test_the_same_envelope_is_reported_by_the_endpoint_that_received_it() -> None:
    [from_registry] = parse("registry", registry_push())
    [from_gitlab] = parse("gitlab", registry_push())

    assert (from_registry.source, from_gitlab.source) == ("registry", "gitlab")
    assert from_registry.key == from_gitlab.key == "127.0.0.1:5001/team/app"


def test_docker_hub_official_images_and_docker_hub_hosts_normalize_alike() -> None:
    [hub] = parse("dockerhub", {"push_data": {"tag": "1.25"}, "repository": {"repo_name": "nginx"}})
    body = distribution_event(tag="1.25")
    event0(body)["target"]["repository"] = "nginx"
    event0(body)["request"]["host"] = "registry-1.docker.io"
    [distribution] = parse("registry", body)

    assert (
        (hub.registry, hub.repository)
        == (distribution.registry, distribution.repository)
        == (
            "docker.io",
            "library/nginx",
        )
    )


@pytest.mark.parametrize("tag", ["", None])
def test_a_docker_hub_delivery_with_an_empty_tag_is_ignored(tag: str | None) -> None:
    assert parse("dockerhub", {"push_data": {"tag": tag}, "repository": {"repo_name": "team/app"}}) == []


def test_every_harbor_resource_is_a_push_and_untagged_ones_are_skipped() -> None:
    body = harbor_push()
    digest = resource0(body)["digest"]
    body["event_data"]["resources"] += [
        {"digest": digest, "tag": "stable", "resource_url": "hub.harbor.com/test-webhook/debian:stable"},
        {"digest": digest, "tag": digest, "resource_url": f"hub.harbor.com/test-webhook/debian@{digest}"},
        {"digest": digest, "tag": "", "resource_url": f"hub.harbor.com/test-webhook/debian@{digest}"},
    ]

    assert [event.tag for event in parse("harbor", body)] == ["latest", "stable"]


def test_a_harbor_resource_url_with_a_scheme_still_names_the_host() -> None:
    body = with_change(
        harbor_push(),
        lambda b: resource0(b).update(resource_url="https://hub.harbor.com/test-webhook/debian:latest"),
    )

    assert [event.registry for event in parse("harbor", body)] == ["hub.harbor.com"]


@pytest.mark.parametrize(
    "event_type", ["harbor.artifact.pulled", "harbor.scan.completed", "harbor.artifact.deleted"]
)
def test_harbor_cloudevents_other_than_pushes_are_ignored_in_both_modes(event_type: str) -> None:
    structured = with_change(harbor_cloudevent(), lambda b: b.update(type=event_type))

    assert parse("harbor", structured) == []
    assert parse("harbor", harbor_cloudevent()["data"], {"ce-type": event_type}) == []


@pytest.mark.parametrize(
    ("event", "action", "pushes"),
    [
        ("package", "published", 1),
        ("package", "updated", 1),
        ("registry_package", "updated", 1),
        ("package", "deleted", 0),
        ("package", None, 0),
        ("ping", "published", 0),
        ("push", "published", 0),
        ("Package", "published", 0),
    ],
)
def test_ghcr_reads_published_and_updated_package_events_only(
    event: str, action: str | None, pushes: int
) -> None:
    body = ghcr_push()
    body["action"] = action
    if event == "registry_package":
        body["registry_package"] = body.pop("package")

    assert len(parse("ghcr", body, {"X-GitHub-Event": event})) == pushes


@pytest.mark.parametrize(
    ("package_type", "ecosystem", "pushes"),
    [
        ("CONTAINER", None, 1),
        ("container", "npm", 1),
        ("Docker", None, 1),
        (None, "CONTAINER", 1),
        ("npm", "docker", 0),
        ("maven", None, 0),
        (None, None, 0),
    ],
)
def test_ghcr_reads_container_packages_only(
    package_type: str | None, ecosystem: str | None, pushes: int
) -> None:
    body = ghcr_push()
    body["package"]["package_type"] = package_type
    body["package"]["ecosystem"] = ecosystem

    assert len(parse("ghcr", body, GHCR_EVENT)) == pushes


def test_a_ghcr_version_without_a_tag_digest_takes_the_version_digest() -> None:
    body = ghcr_push()
    del version_of(body)["container_metadata"]["tag"]["digest"]

    [event] = parse("ghcr", body, GHCR_EVENT)

    assert event.digest == version_of(ghcr_push())["version"]


def test_a_ghcr_manifest_given_as_a_string_has_no_media_type() -> None:
    body = ghcr_push()
    version_of(body)["container_metadata"]["manifest"] = '{"schemaVersion": 2}'

    [event] = parse("ghcr", body, GHCR_EVENT)

    assert (event.media_type, event.kind) == (None, IMAGE)


def test_ghcr_repositories_are_lower_cased_and_fall_back_to_the_namespace_for_the_owner() -> None:
    body = ghcr_push()
    del body["package"]["owner"]
    body["package"].update(namespace="Octo-Org", name="Tools/CLI")

    [event] = parse("ghcr", body, GHCR_EVENT)

    assert (event.registry, event.repository) == ("ghcr.io", "octo-org/tools/cli")


def test_quay_reports_one_push_per_updated_tag_in_order() -> None:
    body = with_change(quay_push(), lambda b: b.update(updated_tags=["latest", "1.2", "1.2.3"]))

    assert [(event.repository, event.tag, event.digest) for event in parse("quay", body)] == [
        ("dgangaia/test", "latest", None),
        ("dgangaia/test", "1.2", None),
        ("dgangaia/test", "1.2.3", None),
    ]


@pytest.mark.parametrize("marker", ["build_id", "vulnerability", "expiring_in", "message"])
def test_quay_notifications_without_updated_tags_are_ignored(marker: str) -> None:
    body = quay_push()
    del body["updated_tags"]
    body[marker] = "x"

    assert parse("quay", body) == []


# --- nothing but InvalidPayload, whatever arrives ------------------------------------------------

FIELD_NAMES = [
    *("events", "action", "target", "mediaType", "tag", "repository", "digest", "url", "references"),
    *("request", "host", "push_data", "repo_name", "type", "event_data", "data", "specversion"),
    *("resources", "resource_url", "repo_full_name", "package", "registry_package", "package_type"),
    *("ecosystem", "name", "owner", "login", "namespace", "package_version", "container_metadata"),
    *("manifest", "config", "media_type", "version", "package_url", "registry", "updated_tags"),
    *("docker_url", "homepage", "zen"),
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "push",
            "published",
            "CONTAINER",
            "PUSH_ARTIFACT",
            "harbor.artifact.pushed",
            "1.0",
            "team/app",
            "registry.example.com",
            "https://registry.example.com/v2/",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.cncf.helm.config.v1+json",
            "sha256:" + "a" * 64,
        ]
    )
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=40,
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "x-github-event": st.sampled_from(["package", "registry_package", "package_v2", "ping"])
        | st.text(max_size=10),
        "x-gitlab-event": st.text(max_size=10),
        "ce-type": st.sampled_from(["harbor.artifact.pushed"]) | st.text(max_size=10),
    },
)
QUERY = st.fixed_dictionaries(
    {}, optional={"registry": st.sampled_from(["registry.example.com", "nexus:8081"]) | st.text(max_size=12)}
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(source: str, body: object, delivery: Delivery) -> None:
    try:
        events = parser(source)(body, delivery)
    except InvalidPayload as refused:
        assert refused.problem
        return
    assert_valid_pushes(events, source)


@pytest.mark.parametrize("source", SOURCES)
@FUZZ
@given(body=JSON, headers=HEADERS, query=QUERY)
def test_any_json_value_is_read_or_refused_never_crashes(
    source: str, body: object, headers: dict[str, str], query: dict[str, str]
) -> None:
    outcome(source, body, Delivery(headers, query))


def locations(value: object, at: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every place in a JSON value a mutation can hit, the root included."""
    yield at
    if isinstance(value, dict):
        for key, member in value.items():
            yield from locations(member, (*at, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from locations(member, (*at, index))


def mutated(body: object, at: tuple[str | int, ...], replacement: object, drop: bool) -> object:
    if not at:
        return replacement
    copied = copy.deepcopy(body)
    parent: Any = copied
    for step in at[:-1]:
        parent = parent[step]
    if drop:
        del parent[at[-1]]
    else:
        parent[at[-1]] = replacement
    return copied


ALL_SAMPLES = [(source, sample) for source in SOURCES for sample in samples(source)]


@FUZZ
@given(data=st.data())
def test_any_mutation_of_a_real_sample_is_read_or_refused_never_crashes(data: st.DataObject) -> None:
    source, sample = data.draw(st.sampled_from(ALL_SAMPLES), label="sample")
    body = sample["body"]
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        at = data.draw(st.sampled_from(list(locations(body))), label="at")
        body = mutated(
            body, at, data.draw(JSON, label="replacement"), drop=bool(at) and data.draw(st.booleans())
        )
    outcome(source, body, delivery_of(sample))
