"""The acr, jfrog, gcr, ecr, nexus and native parsers: overrides, every refusal by field, and no crash.

The corpus (``tests/data/webhooks``) specifies what each format's real deliveries read as; this
adds what a corpus does not show well: that ``?registry=`` wins everywhere, that each way a push
can be unreadable is refused naming its field, and -- by property -- that no JSON value and no
mutation of a real sample makes a parser raise anything but :class:`InvalidPayload`.
"""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwind.model.image import is_valid_digest, is_valid_tag
from headwind.model.pushes import PushEvent
from headwind.model.webhooks import acr, ecr, gcr, jfrog, native, nexus
from headwind.model.webhooks.fields import Delivery, InvalidPayload
from headwind.model.webhooks.hosts import is_host

SOURCES = ("acr", "jfrog", "gcr", "ecr", "nexus", "native")
PARSERS: dict[str, Callable[[object, Delivery], list[PushEvent]]] = {
    source: importlib.import_module(f"headwind.model.webhooks.{source}").parse for source in SOURCES
}
CORPUS = Path(__file__).resolve().parents[1] / "data" / "webhooks"
SHA = "sha256:" + "ab" * 32
NEXUS_COMPONENT = {"x-nexus-webhook-id": "rm:repository:component"}


def delivery(query: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Delivery:
    return Delivery(headers or {}, query or {})


def problem_of(parse: Callable[[object, Delivery], list[PushEvent]], body: object, where: Delivery) -> str:
    with pytest.raises(InvalidPayload) as caught:
        parse(body, where)
    return caught.value.problem


def pubsub(data: object) -> dict[str, Any]:
    encoded = base64.b64encode(json.dumps(data).encode()).decode()
    return {"message": {"data": encoded, "messageId": "1"}, "subscription": "projects/p/subscriptions/s"}


def acr_push(**target: Any) -> dict[str, Any]:
    return {
        "action": "push",
        "target": {"repository": "team/app", "tag": "1.0", "digest": SHA, **target},
        "request": {"host": "myregistry.azurecr.io"},
    }


def jfrog_push(**data: Any) -> dict[str, Any]:
    return {
        "domain": "docker",
        "event_type": "pushed",
        "data": {
            "repo_key": "docker-local",
            "image_name": "team/app",
            "tag": "1.0",
            "sha256": "ab" * 32,
            **data,
        },
        "jpd_origin": "https://example.jfrog.io",
    }


def ecr_event(**detail: Any) -> dict[str, Any]:
    return {
        "detail-type": "ECR Image Action",
        "account": "123456789012",
        "region": "us-west-2",
        "detail": {
            "result": "SUCCESS",
            "action-type": "PUSH",
            "repository-name": "team/app",
            "image-tag": "1.0",
            "image-digest": SHA,
            **detail,
        },
    }


def argo_event(**data: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "type": "com.amazon.ecr.image.push",
        "source": "urn:aws:ecr:us-west-2:123456789012:repository/team/app",
        "data": {"repositoryName": "team/app", "imageTag": "1.0", "imageDigest": SHA, **data},
    }


def nexus_component(**component: Any) -> dict[str, Any]:
    return {
        "repositoryName": "docker-hosted",
        "action": "CREATED",
        "component": {"format": "docker", "name": "team/app", "group": None, "version": "1.0", **component},
    }


# --- the ?registry= override --------------------------------------------------------------------------

OVERRIDDEN = [
    pytest.param("acr", acr_push(), {}, "team/app", id="acr"),
    pytest.param(
        "acr",
        {"action": "chart_push", "target": {"name": "web", "version": "1.0.0"}},
        {},
        "web",
        id="acr-chart",
    ),
    pytest.param("jfrog", jfrog_push(), {}, "docker-local/team/app", id="jfrog"),
    pytest.param("gcr", pubsub({"action": "INSERT", "tag": "gcr.io/proj/app:1.0"}), {}, "proj/app", id="gcr"),
    pytest.param("ecr", ecr_event(), {}, "team/app", id="ecr-eventbridge"),
    pytest.param("ecr", argo_event(registryUrl="ignored.example.com"), {}, "team/app", id="ecr-cloudevents"),
    pytest.param("nexus", nexus_component(), NEXUS_COMPONENT, "team/app", id="nexus"),
    pytest.param("native", {"image": "quay.io/team/app:1.0"}, {}, "team/app", id="native"),
]


@pytest.mark.parametrize(("source", "body", "headers", "repository"), OVERRIDDEN)
def test_the_registry_query_parameter_names_the_host_of_every_push(
    source: str, body: object, headers: dict[str, str], repository: str
) -> None:
    [event] = PARSERS[source](body, delivery({"registry": "Mirror.Example.com:5000"}, headers))

    assert (event.registry, event.repository, event.source) == ("mirror.example.com:5000", repository, source)


@pytest.mark.parametrize(("source", "body", "headers", "repository"), OVERRIDDEN)
def test_a_registry_query_parameter_that_is_not_a_host_is_refused(
    source: str, body: object, headers: dict[str, str], repository: str
) -> None:
    problem = problem_of(
        PARSERS[source], body, delivery({"registry": "https://mirror.example.com/"}, headers)
    )

    assert problem.startswith("query parameter registry:")


def test_an_overridden_host_is_not_read_from_the_payload() -> None:
    body = acr_push()
    body["request"]["host"] = "not a host"

    [event] = acr.parse(body, delivery({"registry": "registry.example.com"}))

    assert event.registry == "registry.example.com"


def test_an_official_image_under_an_overriding_mirror_keeps_its_short_path() -> None:
    [hub] = native.parse({"image": "nginx:1.27"}, delivery())
    [mirrored] = native.parse({"image": "nginx:1.27"}, delivery({"registry": "mirror.example.com"}))

    assert (hub.registry, hub.repository) == ("docker.io", "library/nginx")
    assert (mirrored.registry, mirrored.repository) == ("mirror.example.com", "nginx")


# --- refusals, each naming its field ------------------------------------------------------------------


def refused(
    source: str,
    body: object,
    problem: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """A refusal case: ``body`` to ``source`` is refused with a problem containing ``problem``."""
    return pytest.param(source, body, problem, delivery(query, headers), id=f"{source}:{problem[:48]}")


REFUSED = [
    # acr
    refused("acr", [], "the body: expected a JSON object"),
    refused("acr", {}, "action: required field is missing"),
    refused("acr", {"action": 7}, "action: expected a non-empty string"),
    refused("acr", {"action": "push"}, "target: required field is missing"),
    refused("acr", {"action": "push", "target": "x"}, "target: expected a JSON object"),
    refused("acr", acr_push(repository=None), "target.repository: expected a non-empty string"),
    refused(
        "acr",
        acr_push(repository="Team/App"),
        "target.repository: repository name 'Team/App' must be lowercase",
    ),
    refused(
        "acr", acr_push(repository="team/app:1"), "target.repository: 'team/app:1' is not a repository path"
    ),
    refused("acr", acr_push(tag=1), "target.tag: expected a string"),
    refused("acr", acr_push(tag="-1"), "target.tag: '-1' is not a tag"),
    refused("acr", acr_push(digest="sha256:abc"), "target.digest: 'sha256:abc' is not a digest"),
    refused("acr", acr_push(mediaType=[]), "target.mediaType: expected a string"),
    refused("acr", {**acr_push(), "request": "x"}, "request: expected a JSON object"),
    refused("acr", {**acr_push(), "request": {"host": 5}}, "request.host: expected a string"),
    refused("acr", {**acr_push(), "request": {"host": "a b"}}, "request.host: 'a b' is not a registry host"),
    refused("acr", {**acr_push(), "request": {}}, "no registry host: add ?registry=<host>"),
    refused(
        "acr", {"action": "chart_push", "target": {"version": "1"}}, "target.name: required field is missing"
    ),
    refused(
        "acr",
        {"action": "chart_push", "target": {"name": "web"}},
        "target.version: required field is missing",
    ),
    refused(
        "acr",
        {"action": "chart_push", "target": {"name": "web", "version": "1 0"}},
        "target.version: '1 0' is not a tag",
        query={"registry": "r.example.com"},
    ),
    # jfrog
    refused("jfrog", {}, "domain: required field is missing"),
    refused("jfrog", {"domain": "docker"}, "event_type: required field is missing"),
    refused("jfrog", {"domain": "docker", "event_type": "pushed"}, "data: required field is missing"),
    refused("jfrog", jfrog_push(tag=None), "data.tag: expected a non-empty string"),
    refused("jfrog", jfrog_push(tag="a/b"), "data.tag: 'a/b' is not a tag"),
    refused("jfrog", jfrog_push(image_name=3), "data.image_name: expected a non-empty string"),
    refused(
        "jfrog", jfrog_push(image_name="Team/app"), "data.image_name: repository name 'docker-local/Team/app'"
    ),
    refused("jfrog", jfrog_push(repo_key=None), "data.repo_key: expected a non-empty string"),
    refused(
        "jfrog", jfrog_push(repo_key="Docker"), "data.repo_key: repository name 'Docker' must be lowercase"
    ),
    refused("jfrog", jfrog_push(sha256="zz"), "data.sha256: 'sha256:zz' is not a digest"),
    refused("jfrog", jfrog_push(sha256=False), "data.sha256: expected a string"),
    refused(
        "jfrog", {**jfrog_push(), "jpd_origin": "example.jfrog.io"}, "jpd_origin: 'example.jfrog.io' is not"
    ),
    refused("jfrog", {**jfrog_push(), "jpd_origin": 1}, "jpd_origin: expected a string"),
    refused(
        "jfrog",
        jfrog_push(),
        "query parameter access: expected one of path, subdomain",
        query={"access": "ports"},
    ),
    refused(
        "jfrog",
        jfrog_push(),
        "query parameter repo_key: repository name 'Virtual'",
        query={"repo_key": "Virtual"},
    ),
    refused(
        "jfrog",
        jfrog_push(repo_key="docker_local"),
        "data.repo_key: 'docker_local.",
        query={"access": "subdomain"},
    ),
    refused("jfrog", jfrog_push(), "no registry host: add ?registry=<host>", query={"access": "port"}),
    # gcr
    refused("gcr", {"message": []}, "message: expected a JSON object"),
    refused("gcr", {"message": {}}, "message.data: required field is missing"),
    refused("gcr", {"message": {"data": 12}}, "message.data: expected a non-empty string"),
    refused("gcr", {"message": {"data": "@@@@"}}, "message.data: not base64"),
    refused("gcr", {"message": {"data": "é"}}, "message.data: not base64"),
    refused(
        "gcr",
        {"message": {"data": base64.b64encode(b"\xff\xfe").decode()}},
        "message.data: the decoded message is not UTF-8",
    ),
    refused(
        "gcr",
        {"message": {"data": base64.b64encode(b"{").decode()}},
        "message.data: the decoded message is not JSON",
    ),
    refused(
        "gcr",
        {"message": {"data": base64.b64encode(b"[" * 100_000 + b"]" * 100_000).decode()}},
        "message.data: the decoded message is nested too deeply",
    ),
    refused("gcr", pubsub(["INSERT"]), "message.data: expected a JSON object, got a list"),
    refused("gcr", pubsub({}), "message.data.action: required field is missing"),
    refused("gcr", pubsub({"action": "INSERT", "tag": 1}), "message.data.tag: expected a string"),
    refused(
        "gcr", pubsub({"action": "INSERT", "tag": "gcr.io/p/App:1"}), "message.data.tag: repository name"
    ),
    refused(
        "gcr",
        pubsub({"action": "INSERT", "tag": "gcr.io/p/app"}),
        "message.data.tag: 'gcr.io/p/app' names no tag",
    ),
    refused(
        "gcr",
        pubsub({"action": "INSERT", "tag": "gcr.io/p/app:1", "digest": "gcr.io/p/app:1"}),
        "message.data.digest: 'gcr.io/p/app:1' names no digest",
    ),
    refused(
        "gcr",
        pubsub({"action": "INSERT", "tag": "gcr.io/p/app:1", "digest": "gcr.io/p/app@sha256:1"}),
        "message.data.digest: digest 'sha256:1' is not 'sha256:'",
    ),
    refused("gcr", {"action": "INSERT", "tag": "gcr.io/p/app"}, "tag: 'gcr.io/p/app' names no tag"),
    refused("gcr", {"tag": "gcr.io/p/app:1"}, "action: required field is missing"),
    # ecr, EventBridge
    refused("ecr", {}, "detail-type: required field is missing"),
    refused("ecr", {"detail-type": "ECR Image Action"}, "detail: required field is missing"),
    refused("ecr", ecr_event(**{"action-type": None}), "detail.action-type: expected a non-empty string"),
    refused("ecr", ecr_event(result=None), "detail.result: expected a non-empty string"),
    refused("ecr", ecr_event(**{"image-tag": 1.5}), "detail.image-tag: expected a string"),
    refused("ecr", ecr_event(**{"image-tag": "a:b"}), "detail.image-tag: 'a:b' is not a tag"),
    refused(
        "ecr", ecr_event(**{"repository-name": None}), "detail.repository-name: expected a non-empty string"
    ),
    refused("ecr", ecr_event(**{"image-digest": "md5:x"}), "detail.image-digest: 'md5:x' is not a digest"),
    refused("ecr", {**ecr_event(), "account": "12345"}, "account: '12345' is not a 12-digit AWS account ID"),
    refused("ecr", {**ecr_event(), "region": "Oregon"}, "region: 'Oregon' is not an AWS region"),
    refused("ecr", {**ecr_event(), "region": None}, "no registry host: add ?registry=<host>"),
    # ecr, CloudEvents
    refused("ecr", {"specversion": "1.0"}, "type: required field is missing"),
    refused("ecr", {**argo_event(), "source": 4}, "source: expected a string"),
    refused("ecr", {**argo_event(), "data": "team/app:1.0"}, "data: expected a JSON object, got the string"),
    refused("ecr", {**argo_event(), "data": None}, "data: expected a JSON object, got null"),
    refused("ecr", argo_event(repositoryName=None), "data.repositoryName: required field is missing"),
    refused("ecr", argo_event(imageTag=[]), "data.imageTag: expected a string"),
    refused("ecr", argo_event(imageDigest="sha256:x"), "data.imageDigest: 'sha256:x' is not a digest"),
    refused("ecr", argo_event(registryId="me"), "data.registryId: 'me' is not a 12-digit AWS account ID"),
    refused("ecr", argo_event(registryUrl="https://"), "data.registryUrl: 'https://' is not a registry host"),
    refused("ecr", argo_event(registry="a/b"), "data.registry: 'a/b' is not a registry host"),
    refused(
        "ecr",
        {**argo_event(), "source": "urn:aws:ecr:mars-1:123456789012:repository/team/app"},
        "source: 'mars-1' is not an AWS region",
    ),
    refused("ecr", {**argo_event(), "source": "ci"}, "no registry host: add ?registry=<host>"),
    refused(
        "ecr", {"specversion": "1.0", "type": "x", "data": {"detail-type": 1}}, "data.detail-type: expected"
    ),
    refused(
        "ecr", {"specversion": "1.0", "type": "x", "data": {"action-type": "PUSH"}}, "data.result: required"
    ),
    refused(
        "ecr", {"repositoryName": "team/app"}, "header ce-type: required", headers={"ce-specversion": "1.0"}
    ),
    refused(
        "ecr",
        {"repositoryName": "team/app", "imageTag": "1.0"},
        "header ce-source: 'y' is not a 12-digit AWS account ID",
        headers={
            "ce-specversion": "1.0",
            "ce-type": "com.amazon.ecr.image.push",
            "ce-source": "urn:aws:ecr:x:y",
        },
    ),
    # nexus
    refused("nexus", nexus_component(), "no registry host: add ?registry=<host>"),
    refused("nexus", {"audit": {}}, "header X-Nexus-Webhook-ID: required"),
    refused("nexus", {}, "component: required field is missing", headers=NEXUS_COMPONENT),
    refused(
        "nexus", {"component": {}}, "component.format: required field is missing", headers=NEXUS_COMPONENT
    ),
    refused(
        "nexus",
        {"component": {"format": "docker"}},
        "action: required field is missing",
        headers=NEXUS_COMPONENT,
    ),
    refused(
        "nexus",
        nexus_component(name=None),
        "component.name: expected",
        query={"registry": "n.example.com"},
        headers=NEXUS_COMPONENT,
    ),
    refused(
        "nexus",
        nexus_component(version=2),
        "component.version: expected",
        query={"registry": "n.example.com"},
        headers=NEXUS_COMPONENT,
    ),
    refused(
        "nexus",
        nexus_component(version=".1"),
        "component.version: '.1'",
        query={"registry": "n.example.com"},
        headers=NEXUS_COMPONENT,
    ),
    refused(
        "nexus",
        nexus_component(name="team//app"),
        "component.name: the",
        query={"registry": "n.example.com"},
        headers=NEXUS_COMPONENT,
    ),
    # native
    refused("native", "registry.example.com/app:1", "the body: expected a JSON object"),
    refused("native", {}, "image: required field is missing"),
    refused("native", {"image": 1}, "image: expected a non-empty string"),
    refused("native", {"image": "https://registry.example.com/app:1"}, "image: it starts with a URL scheme"),
    refused(
        "native",
        {"image": "r.example.com/app:1", "name": "app"},
        "name: give image or (Keel's) name, not both",
    ),
    refused("native", {"name": "r.example.com/app", "host": 5, "tag": "1"}, "host: expected a string"),
    refused("native", {"name": "app", "host": "a b", "tag": "1"}, "host: 'a b' is not a registry host"),
    refused(
        "native", {"name": "quay.io/app", "host": "r.io", "tag": "1"}, "name: names a registry host, and host"
    ),
    refused("native", {"image": "r.example.com/app", "tag": "1 0"}, "tag: '1 0' is not a tag"),
    refused(
        "native", {"image": "r.example.com/app", "digest": "sha256:1"}, "digest: 'sha256:1' is not a digest"
    ),
    refused(
        "native",
        {"image": f"r.example.com/app@{SHA}", "digest": "sha256:" + "cd" * 32},
        "digest: 'sha256:cdcd",
    ),
    refused("native", {"image": "r.example.com/app:1", "kind": "Image"}, "kind: expected 'image' or 'chart'"),
    refused("native", {"image": "r.example.com/app:1", "kind": 0}, "kind: expected a string"),
    refused("native", [{"image": "r.example.com/app:1"}, 3], "[1]: expected a JSON object"),
    refused(
        "native",
        [{"image": "r.example.com/app:1"}, {"image": "r.example.com/App:1"}],
        "[1].image: repository",
    ),
]


@pytest.mark.parametrize(("source", "body", "problem", "where"), REFUSED)
def test_an_unreadable_push_is_refused_naming_its_field(
    source: str, body: object, problem: str, where: Delivery
) -> None:
    assert problem in problem_of(PARSERS[source], body, where)


# --- decisions worth a test of their own --------------------------------------------------------------


def test_an_acr_push_without_a_tag_and_every_other_action_are_not_pushes() -> None:
    untagged = acr_push()
    del untagged["target"]["tag"]

    assert acr.parse(untagged, delivery()) == []
    for action in ("delete", "chart_delete", "quarantine", "ping", "something_new"):
        assert acr.parse({"action": action}, delivery()) == []


def test_a_jfrog_subdomain_access_puts_the_repository_key_in_the_host() -> None:
    [event] = jfrog.parse(jfrog_push(), delivery({"access": "subdomain", "registry": "art.example.com:8443"}))

    assert (event.registry, event.repository) == ("docker-local.art.example.com:8443", "team/app")


def test_jfrog_deletes_and_other_domains_are_not_pushes() -> None:
    assert jfrog.parse({**jfrog_push(), "event_type": "deleted"}, delivery()) == []
    assert jfrog.parse({**jfrog_push(), "domain": "artifact"}, delivery()) == []


def test_a_pubsub_message_in_the_url_safe_alphabet_and_without_padding_is_read() -> None:
    message = json.dumps({"action": "INSERT", "tag": "gcr.io/p/app:1.0?", "x": "~~~"}).replace("?", "")
    data = base64.urlsafe_b64encode(message.encode()).decode().rstrip("=")

    [event] = gcr.parse({"message": {"data": data}}, delivery())

    assert (event.registry, event.repository, event.tag) == ("gcr.io", "p/app", "1.0")


def test_an_ecr_push_in_a_china_region_is_on_amazonaws_com_cn() -> None:
    [event] = ecr.parse({**ecr_event(), "region": "cn-northwest-1"}, delivery())

    assert event.registry == "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn"


def test_a_cloudevent_without_a_tag_names_no_push_even_in_its_subject() -> None:
    event = argo_event(imageTag=None)

    assert ecr.parse({**event, "subject": "team/app"}, delivery()) == []
    [from_subject] = ecr.parse({**event, "subject": "team/app:2.0"}, delivery())
    assert from_subject.tag == "2.0"


def test_a_nexus_event_without_its_header_is_read_by_its_body() -> None:
    [event] = nexus.parse(nexus_component(), delivery({"registry": "nexus.example.com:8082"}))

    assert (event.registry, event.repository, event.tag) == ("nexus.example.com:8082", "team/app", "1.0")


def test_a_keel_host_is_the_registry_even_when_a_reference_could_not_spell_it() -> None:
    [event] = native.parse({"host": "nexus", "name": "team/app", "tag": "1.0"}, delivery())

    assert (event.registry, event.repository, event.tag) == ("nexus", "team/app", "1.0")


def test_a_native_push_may_name_only_a_digest() -> None:
    [event] = native.parse({"image": f"registry.example.com/app@{SHA}"}, delivery())

    assert (event.tag, event.digest) == (None, SHA)


# --- properties: any JSON in, a list of pushes or InvalidPayload out ------------------------------------


def _samples() -> list[tuple[str, dict[str, Any]]]:
    samples = []
    for source in SOURCES:
        for path in sorted((CORPUS / source).glob("*.json")):
            samples.append((source, json.loads(path.read_text(encoding="utf-8"))))
    return samples


SAMPLES = _samples()


def _members(value: Any) -> list[tuple[str, Any]]:
    """Every (key, value) member of every object inside ``value``."""
    if isinstance(value, dict):
        return [member for key, item in value.items() for member in [(key, item), *_members(item)]]
    if isinstance(value, list):
        return [member for item in value for member in _members(item)]
    return []


# Random objects are spelled with the keys and string values real deliveries use, so that they
# reach past the first type check.
KEYS = sorted({key for _, sample in SAMPLES for key, _ in _members(sample["body"])})
STRINGS = sorted({v for _, sample in SAMPLES for _, v in _members(sample["body"]) if isinstance(v, str)})
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(STRINGS)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=25,
)
deliveries = st.builds(
    Delivery,
    headers=st.sampled_from(
        [
            {},
            NEXUS_COMPONENT,
            {"x-nexus-webhook-id": "rm:repository:asset"},
            {"ce-specversion": "1.0"},
            {"ce-specversion": "1.0", "ce-type": "com.amazon.ecr.image.push", "ce-source": "urn:aws:ecr:a:b"},
        ]
    ),
    query=st.sampled_from(
        [
            {},
            {"registry": "r.example.com"},
            {"registry": "not a host"},
            {"access": "subdomain"},
            {"access": "port"},
            {"access": "bogus"},
            {"repo_key": "virtual"},
        ]
    ),
)


def assert_only_pushes_or_refusal(source: str, body: object, where: Delivery) -> None:
    try:
        events = PARSERS[source](body, where)
    except InvalidPayload as error:
        assert error.problem
        return
    assert isinstance(events, list)
    for event in events:
        assert isinstance(event, PushEvent)
        assert event.source == source
        assert is_host(event.registry) and event.repository
        assert event.tag is None or is_valid_tag(event.tag)
        assert event.digest is None or is_valid_digest(event.digest)
        assert event.tag is not None or event.digest is not None


@pytest.mark.parametrize("source", SOURCES)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_values, where=deliveries)
def test_any_json_value_reads_as_pushes_or_is_refused(source: str, body: object, where: Delivery) -> None:
    assert_only_pushes_or_refusal(source, body, where)


@settings(max_examples=300)
@given(data=json_values, where=deliveries)
def test_any_json_in_a_pubsub_message_reads_as_pushes_or_is_refused(data: object, where: Delivery) -> None:
    assert_only_pushes_or_refusal("gcr", pubsub(data), where)


@settings(max_examples=200)
@given(data=json_values, where=deliveries)
def test_any_json_as_cloudevent_data_reads_as_pushes_or_is_refused(data: object, where: Delivery) -> None:
    assert_only_pushes_or_refusal(
        "ecr", {"specversion": "1.0", "type": "com.amazon.ecr.image.push", "data": data}, where
    )


def _places(value: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every member and item inside ``value``."""
    places = []
    if isinstance(value, dict):
        for key, item in value.items():
            places.append((*trail, key))
            places.extend(_places(item, (*trail, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            places.append((*trail, index))
            places.extend(_places(item, (*trail, index)))
    return places


def _other_type(value: Any) -> st.SearchStrategy[Any]:
    """JSON values of any type but ``value``'s."""
    kinds = {
        type(None): st.none(),
        bool: st.booleans(),
        int: st.integers(),
        float: st.floats(allow_nan=False),
        str: st.text(max_size=20),
        list: st.lists(scalars, max_size=3),
        dict: st.dictionaries(st.text(max_size=5), scalars, max_size=3),
    }
    return st.one_of(*(strategy for kind, strategy in kinds.items() if not isinstance(value, kind)))


@st.composite
def mutated_samples(draw: st.DrawFn) -> tuple[str, object, Delivery]:
    """A corpus sample with one to three members dropped or retyped, sometimes without its query."""
    source, sample = draw(st.sampled_from(SAMPLES))
    body = json.loads(json.dumps(sample["body"]))
    for _ in range(draw(st.integers(1, 3))):
        places = _places(body)
        if not places:
            break
        *parents, last = draw(st.sampled_from(places))
        container = body
        for step in parents:
            container = container[step]
        if draw(st.booleans()):
            del container[last]
        else:
            container[last] = draw(_other_type(container[last]))
    headers = {name.lower(): value for name, value in sample.get("headers", {}).items()}
    query = {} if draw(st.booleans()) else sample.get("query", {})
    return source, body, Delivery(headers, query)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_samples())
def test_a_real_sample_with_a_key_dropped_or_retyped_reads_as_pushes_or_is_refused(
    case: tuple[str, object, Delivery],
) -> None:
    assert_only_pushes_or_refusal(*case)


def test_the_mutated_samples_cover_every_source() -> None:
    assert {source for source, _ in SAMPLES} == set(SOURCES)
