"""The registry host of a push: the payload's, or ``?registry=``, or a 400 saying how to add one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwind.model.webhooks.fields import Delivery, InvalidPayload
from headwind.model.webhooks.hosts import (
    host_of_reference,
    host_of_url,
    is_host,
    is_overridden,
    registry_override,
)


def delivery(**query: str) -> Delivery:
    return Delivery({}, query)


@pytest.mark.parametrize(
    ("implied", "expected"),
    [
        ("registry.example.com", "registry.example.com"),
        ("Registry.Example.COM:5000", "registry.example.com:5000"),
        ("index.docker.io", "docker.io"),
        ("registry-1.docker.io", "docker.io"),
        ("127.0.0.1:5001", "127.0.0.1:5001"),
        ("[::1]:5000", "[::1]:5000"),
    ],
)
def test_the_implied_host_is_spelled_as_image_references_spell_it(implied: str, expected: str) -> None:
    assert registry_override(delivery(), implied) == expected


def test_the_registry_query_parameter_replaces_the_implied_host() -> None:
    assert registry_override(delivery(registry="Mirror.Example.com:8443"), "registry:5000") == (
        "mirror.example.com:8443"
    )


def test_the_registry_query_parameter_supplies_a_host_the_payload_lacks() -> None:
    assert registry_override(delivery(registry="nexus"), None) == "nexus"


@pytest.mark.parametrize("implied", [None, ""])
def test_no_host_at_all_is_refused_with_the_fix(implied: str | None) -> None:
    with pytest.raises(InvalidPayload) as caught:
        registry_override(delivery(), implied)

    assert caught.value.problem == "no registry host: add ?registry=<host> to the webhook URL"


@pytest.mark.parametrize(
    "override",
    [
        "",
        "https://registry.example.com",
        "registry.example.com/team",
        "registry.example.com:port",
        "registry example.com",
        "-registry.example.com",
        "registry..example.com",
        "[::1",
        "a" * 256,
    ],
)
def test_an_override_that_is_not_a_host_is_refused_naming_the_parameter(override: str) -> None:
    with pytest.raises(InvalidPayload) as caught:
        registry_override(delivery(registry=override), "registry.example.com")

    assert caught.value.problem.startswith("query parameter registry: expected a registry host[:port]")


@pytest.mark.parametrize("implied", ["registry example.com", "https://registry.example.com", "host:port"])
def test_an_implied_host_that_is_not_a_host_is_refused_too(implied: str) -> None:
    with pytest.raises(InvalidPayload) as caught:
        registry_override(delivery(), implied)

    assert caught.value.problem.endswith("is not a host[:port]; add ?registry=<host> to the webhook URL")


def test_a_query_without_registry_is_not_an_override() -> None:
    assert not is_overridden(delivery(token="x"))
    assert is_overridden(delivery(registry="registry.example.com"))


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://registry.example.com/v2/team/app/manifests/sha256:abc", "registry.example.com"),
        ("http://127.0.0.1:5001/v2/team/app/manifests/1.0", "127.0.0.1:5001"),
        ("HTTPS://Registry.Example.com:8443", "registry.example.com:8443"),
        ("https://user:secret@registry.example.com/v2/", "registry.example.com"),
        ("https://[::1]:5000/v2/", "[::1]:5000"),
        ("https://registry.example.com?x=1", "registry.example.com"),
        ("ftp://registry.example.com/v2/", None),
        ("registry.example.com/v2/", None),
        ("https:///v2/", None),
        ("https://registry example.com/", None),
        ("https://registry.example.com:port/", None),
        ("", None),
    ],
)
def test_host_of_url_is_the_lower_cased_authority_of_http_urls_only(url: str, host: str | None) -> None:
    assert host_of_url(url) == host


@pytest.mark.parametrize(
    ("reference", "host"),
    [
        ("quay.io/team/app", "quay.io"),
        ("Quay.Example.com:8443/team/app", "quay.example.com:8443"),
        ("localhost/harbor/alpine@sha256:abc", "localhost"),
        ("harbor/library/app:1", "harbor"),
        ("team", None),
        ("/team/app", None),
        ("https://quay.io/team/app", None),
    ],
)
def test_host_of_reference_is_the_first_component_when_it_is_a_host(reference: str, host: str | None) -> None:
    assert host_of_reference(reference) == host


@given(st.text(max_size=300))
def test_host_helpers_never_raise_and_agree_with_is_host(text: str) -> None:
    for found in (host_of_url(text), host_of_reference(text)):
        assert found is None or (is_host(found) and found == found.lower())


@given(st.text(max_size=300))
def test_an_override_is_either_accepted_as_a_host_or_refused(text: str) -> None:
    try:
        host = registry_override(delivery(registry=text), None)
    except InvalidPayload:
        assert not is_host(text)
    else:
        assert is_host(text)
        assert host == host.lower()
