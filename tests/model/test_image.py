"""``parse_image`` and ``ImageRef``: every form a pod spec holds, normalized, and rewritten as written."""

from __future__ import annotations

import doctest
import pickle
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwind.model import image
from headwind.model.image import (
    ImageRef,
    InvalidReference,
    is_valid_digest,
    is_valid_tag,
    parse_image,
    repository_of,
)

HEX_A = "a" * 64
HEX_B = "b" * 64
SHA_A = f"sha256:{HEX_A}"
SHA_B = f"sha256:{HEX_B}"


# --- parsing: the table -----------------------------------------------------------------------------

# text, registry, path, tag, digest, spelled_registry, spelled_path
VALID = [
    pytest.param("nginx", "docker.io", "library/nginx", None, None, "", "nginx", id="official-image"),
    pytest.param("nginx:1.25", "docker.io", "library/nginx", "1.25", None, "", "nginx", id="official-tagged"),
    pytest.param(
        "library/nginx", "docker.io", "library/nginx", None, None, "", "library/nginx", id="library"
    ),
    pytest.param("team/app:1", "docker.io", "team/app", "1", None, "", "team/app", id="hub-namespace"),
    pytest.param(
        "docker.io/library/nginx:1.25",
        *("docker.io", "library/nginx", "1.25", None, "docker.io", "library/nginx"),
        id="fully-qualified-hub",
    ),
    pytest.param(
        "docker.io/nginx", "docker.io", "library/nginx", None, None, "docker.io", "nginx", id="hub-short"
    ),
    pytest.param(
        "index.docker.io/team/app:1",
        *("docker.io", "team/app", "1", None, "index.docker.io", "team/app"),
        id="hub-alias-index",
    ),
    pytest.param(
        "registry-1.docker.io/team/app",
        *("docker.io", "team/app", None, None, "registry-1.docker.io", "team/app"),
        id="hub-alias-registry-1",
    ),
    pytest.param(
        "registry.hub.docker.com/nginx",
        *("docker.io", "library/nginx", None, None, "registry.hub.docker.com", "nginx"),
        id="hub-alias-registry-hub",
    ),
    pytest.param(
        "localhost:5000/app:1.0",
        *("localhost:5000", "app", "1.0", None, "localhost:5000", "app"),
        id="localhost-port-no-library",
    ),
    pytest.param("localhost/app", "localhost", "app", None, None, "localhost", "app", id="localhost-no-port"),
    pytest.param(
        "registry.example.com:443/a/b/c:v1",
        *("registry.example.com:443", "a/b/c", "v1", None, "registry.example.com:443", "a/b/c"),
        id="port-and-deep-path",
    ),
    pytest.param("[::1]:5000/app:1", "[::1]:5000", "app", "1", None, "[::1]:5000", "app", id="ipv6-port"),
    pytest.param(
        "[FE80::1]/app", "[fe80::1]", "app", None, None, "[FE80::1]", "app", id="ipv6-uppercase-hex"
    ),
    pytest.param("10.0.0.1:5000/app", "10.0.0.1:5000", "app", None, None, "10.0.0.1:5000", "app", id="ipv4"),
    pytest.param(
        "registry:5000/app", "registry:5000", "app", None, None, "registry:5000", "app", id="single-label"
    ),
    pytest.param(
        "Registry.Example.com/app",
        *("registry.example.com", "app", None, None, "Registry.Example.com", "app"),
        id="uppercase-host",
    ),
    pytest.param(
        "MyOrg/app", "myorg", "app", None, None, "MyOrg", "app", id="uppercase-first-component-is-a-domain"
    ),
    pytest.param("app@" + SHA_A, "docker.io", "library/app", None, SHA_A, "", "app", id="digest-only"),
    pytest.param(
        "app:1.2@" + SHA_A, "docker.io", "library/app", "1.2", SHA_A, "", "app", id="tag-and-digest"
    ),
    pytest.param(
        "ghcr.io/a/b@sha512:" + "c" * 128,
        *("ghcr.io", "a/b", None, "sha512:" + "c" * 128, "ghcr.io", "a/b"),
        id="sha512",
    ),
    pytest.param(
        "app@blake3:" + "D" * 32,
        "docker.io",
        "library/app",
        None,
        "blake3:" + "D" * 32,
        "",
        "app",
        id="other-algo",
    ),
    pytest.param("  nginx:1.25\n", "docker.io", "library/nginx", "1.25", None, "", "nginx", id="whitespace"),
    pytest.param(
        "localhost:5000", "docker.io", "library/localhost", "5000", None, "", "localhost", id="no-slash"
    ),
    pytest.param(
        "a__b/c---d.e_f:_Tag.x-1",
        *("docker.io", "a__b/c---d.e_f", "_Tag.x-1", None, "", "a__b/c---d.e_f"),
        id="separators",
    ),
    pytest.param(
        "app:" + "t" * 128, "docker.io", "library/app", "t" * 128, None, "", "app", id="longest-tag"
    ),
]


@pytest.mark.parametrize(
    ("text", "registry", "path", "tag", "digest", "spelled_registry", "spelled_path"), VALID
)
def test_parse_image_reads_every_form(
    text: str,
    registry: str,
    path: str,
    tag: str | None,
    digest: str | None,
    spelled_registry: str,
    spelled_path: str,
) -> None:
    ref = parse_image(text)

    assert ref == ImageRef(registry, path, tag, digest, spelled_registry, spelled_path)
    assert str(ref) == text.strip()
    assert ref.repository == f"{registry}/{path}" == repository_of(text)


INVALID = [
    pytest.param("", "it is empty", id="empty"),
    pytest.param("   ", "it is empty", id="blank"),
    pytest.param("nginx:", "the tag after ':' is empty", id="empty-tag"),
    pytest.param("nginx@", "the digest after '@' is empty", id="empty-digest"),
    pytest.param(":1.0", "nothing comes before the ':'", id="tag-without-name"),
    pytest.param("@" + SHA_A, "nothing comes before the '@'", id="digest-without-name"),
    pytest.param("nginx@sha256:short", "exactly 64 lowercase hex digits", id="short-digest"),
    pytest.param("nginx@sha256:" + "A" * 64, "exactly 64 lowercase hex digits", id="uppercase-sha256"),
    pytest.param("nginx@md5:abc", "at least 32 hex digits", id="other-algo-too-short"),
    pytest.param("nginx@" + HEX_A, "is not algorithm:hex", id="digest-without-algorithm"),
    pytest.param("nginx@sha-:" + HEX_A, "digest algorithm 'sha-'", id="bad-algorithm"),
    pytest.param("nginx@" + SHA_A + "@" + SHA_B, "is not 'sha256:' and exactly 64", id="two-digests"),
    pytest.param("Nginx", "repository name 'Nginx' must be lowercase", id="uppercase-hub-path"),
    pytest.param("ghcr.io/Team/app", "repository name 'Team/app' must be lowercase", id="uppercase-path"),
    pytest.param("a//b", "has an empty component", id="double-slash"),
    pytest.param("app/", "has an empty component", id="trailing-slash"),
    pytest.param("/app", "has an empty component", id="leading-slash"),
    pytest.param("ghcr.io/", "the repository path after the registry is empty", id="registry-only"),
    pytest.param("nginx:1.0:2", "tag '1.0:2' has characters other than", id="two-tags"),
    pytest.param(
        "nginx:tag with space",
        "tag 'tag with space' has characters other than letters, digits, '_', '.' and '-'",
        id="tag-with-space",
    ),
    pytest.param("nginx:-1", "tag '-1' starts with '-'", id="tag-starts-with-dash"),
    pytest.param("nginx:.1", "tag '.1' starts with '.'", id="tag-starts-with-dot"),
    pytest.param("nginx:" + "t" * 129, "the tag is 129 characters long; at most 128", id="tag-too-long"),
    pytest.param("nginx:1.0\u00e9", "has characters other than", id="non-ascii-tag"),
    pytest.param("-app", "path component '-app' is not lowercase letters and digits", id="leading-dash"),
    pytest.param("app-", "path component 'app-' is not", id="trailing-dash"),
    pytest.param("a..b", "path component 'a..b' is not", id="double-dot"),
    pytest.param("a___b", "path component 'a___b' is not", id="triple-underscore"),
    pytest.param("caf\u00e9", "path component 'café' is not", id="non-ascii-path"),
    pytest.param("a" * 300, "the repository name is 318 characters long", id="too-long"),
    pytest.param("ghcr.io/" + "a" * 248, "the repository name is 256 characters long", id="just-too-long"),
    pytest.param("http://registry/app", "it starts with a URL scheme ('http://')", id="url"),
    pytest.param(
        "registry:abc/app", "registry port 'abc' in 'registry:abc' is not a number", id="port-not-number"
    ),
    pytest.param("registry:/app", "registry 'registry:' has an empty port", id="empty-port"),
    pytest.param(":5000/app", "registry ':5000' has no host before its port", id="port-without-host"),
    pytest.param(
        "a_b.example.com/app", "registry host 'a_b.example.com' is not a DNS name", id="host-underscore"
    ),
    pytest.param(
        "-reg.example.com/app", "registry host '-reg.example.com' is not a DNS name", id="host-dash"
    ),
    pytest.param("[::1/app", "registry host '[::1' is not an IPv6 address", id="ipv6-unclosed"),
    pytest.param("[::g]:5000/app", "registry host '[::g]' is not an IPv6 address", id="ipv6-not-hex"),
    pytest.param("[::1]x/app", "has 'x' after its host", id="ipv6-junk-after"),
    pytest.param(HEX_A, "it is a 64-hex-digit image ID", id="image-id"),
]


@pytest.mark.parametrize(("text", "problem"), INVALID)
def test_parse_image_says_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        parse_image(text)

    assert problem in caught.value.problem
    assert caught.value.reference == text
    assert str(caught.value) == f"invalid image reference {text!r}: {caught.value.problem}"


def test_invalid_reference_is_a_value_error_that_survives_pickling() -> None:
    error = InvalidReference("nginx:", "the tag after ':' is empty")

    copy = pickle.loads(pickle.dumps(error))

    assert isinstance(copy, InvalidReference)
    assert isinstance(copy, ValueError)
    assert (copy.reference, copy.problem, str(copy)) == (error.reference, error.problem, str(error))


# --- the defects of Headwind (Rust) this fixes ------------------------------------------------------


def test_rewriting_docker_io_library_nginx_keeps_its_spelling_headwind_shortened_it_to_nginx() -> None:
    assert parse_image("docker.io/library/nginx:1.25").with_tag("1.26") == "docker.io/library/nginx:1.26"
    assert parse_image("library/nginx:1.25").with_tag("1.26") == "library/nginx:1.26"
    assert parse_image("nginx:1.25").with_tag("1.26") == "nginx:1.26"


def test_a_digest_only_reference_has_no_tag_headwind_read_the_digest_hex_as_the_tag() -> None:
    ref = parse_image(f"app@{SHA_A}")

    assert ref.tag is None
    assert ref.digest == SHA_A
    assert ref.effective_tag == ""
    assert ref.repository == "docker.io/library/app"


# --- properties of a reference ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "effective_tag"),
    [
        pytest.param("nginx", "latest", id="nothing-means-latest"),
        pytest.param("nginx:1.25", "1.25", id="tag"),
        pytest.param(f"nginx@{SHA_A}", "", id="digest-only-has-no-tag"),
        pytest.param(f"nginx:1.25@{SHA_A}", "1.25", id="tag-and-digest"),
    ],
)
def test_effective_tag_is_what_the_runtime_pulls(text: str, effective_tag: str) -> None:
    assert parse_image(text).effective_tag == effective_tag


@pytest.mark.parametrize(
    ("text", "docker_hub"),
    [
        pytest.param("nginx", True, id="official"),
        pytest.param("Index.Docker.IO/team/app", True, id="alias-any-case"),
        pytest.param("ghcr.io/team/app", False, id="ghcr"),
        pytest.param("localhost:5000/nginx", False, id="local"),
    ],
)
def test_is_docker_hub_for_every_spelling_of_it(text: str, docker_hub: bool) -> None:
    assert parse_image(text).is_docker_hub is docker_hub


def test_pinned_means_a_digest() -> None:
    assert parse_image(f"app:1@{SHA_A}").pinned
    assert parse_image(f"app@{SHA_A}").pinned
    assert not parse_image("app:1").pinned


def test_an_uppercase_first_component_names_a_registry_whose_canonical_form_reads_as_docker_hub() -> None:
    # distribution's rule: namespaces are lower-case, so "MyOrg" can only be a host. Hosts compare
    # lower-cased, and "myorg/app" spelled that way is Docker Hub's: the one non-fixed point.
    ref = parse_image("MyOrg/app:1")

    assert (ref.registry, ref.path, ref.spelled_registry) == ("myorg", "app", "MyOrg")
    assert ref.with_tag("2") == "MyOrg/app:2"
    assert parse_image(ref.repository).repository == "docker.io/myorg/app"


# --- rewriting --------------------------------------------------------------------------------------

REWRITES = [
    pytest.param("nginx", "1.26", None, "nginx:1.26", id="untagged"),
    pytest.param("index.docker.io/team/app:1", "2", None, "index.docker.io/team/app:2", id="hub-alias-kept"),
    pytest.param("Registry.Example.com/app:1", "2", None, "Registry.Example.com/app:2", id="host-case-kept"),
    pytest.param("[::1]:5000/app:1", "2", None, "[::1]:5000/app:2", id="ipv6"),
    pytest.param(f"app:1.2@{SHA_A}", "1.3", None, "app:1.3", id="old-digest-dropped"),
    pytest.param(f"app:1.2@{SHA_A}", "1.3", SHA_B, f"app:1.3@{SHA_B}", id="new-digest"),
    pytest.param(f"app@{SHA_A}", "1.3", None, "app:1.3", id="digest-only-gets-a-tag"),
    pytest.param("  app:1  ", "2", None, "app:2", id="whitespace-dropped"),
]


@pytest.mark.parametrize(("text", "tag", "digest", "expected"), REWRITES)
def test_with_tag_changes_only_tag_and_digest(text: str, tag: str, digest: str | None, expected: str) -> None:
    assert parse_image(text).with_tag(tag, digest) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"app:1.2@{SHA_A}", f"app:1.2@{SHA_B}", id="tag-and-digest"),
        pytest.param("docker.io/library/app:1.2", f"docker.io/library/app:1.2@{SHA_B}", id="tag-only"),
        pytest.param(f"app@{SHA_A}", f"app@{SHA_B}", id="digest-only"),
        pytest.param("app", f"app@{SHA_B}", id="bare"),
    ],
)
def test_with_digest_pins_the_same_tag_to_new_content(text: str, expected: str) -> None:
    assert parse_image(text).with_digest(SHA_B) == expected


@pytest.mark.parametrize(
    ("tag", "digest", "problem"),
    [
        pytest.param("a b", None, "tag 'a b' has characters other than", id="bad-tag"),
        pytest.param("", None, "the tag after ':' is empty", id="empty-tag"),
        pytest.param("1.3", "sha256:short", "exactly 64 lowercase hex digits", id="bad-digest"),
    ],
)
def test_with_tag_refuses_what_would_not_parse(tag: str, digest: str | None, problem: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        parse_image("ghcr.io/team/app:1").with_tag(tag, digest)

    assert problem in caught.value.problem
    assert caught.value.reference.startswith(f"ghcr.io/team/app:{tag}")


def test_with_digest_refuses_a_bad_digest() -> None:
    with pytest.raises(InvalidReference, match="at least 32 hex digits"):
        parse_image("app:1").with_digest("md5:abc")


# --- tags and digests on their own ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("1.25", True),
        ("_", True),
        ("v1.2.3-alpine_3", True),
        ("t" * 128, True),
        ("t" * 129, False),
        ("", False),
        ("-1", False),
        (".1", False),
        ("a b", False),
        ("1.0\n", False),
        ("\u0663", False),  # an Arabic-Indic digit: Python's \d would take it, the grammar does not
    ],
    ids=repr,
)
def test_is_valid_tag(text: str, valid: bool) -> None:
    assert is_valid_tag(text) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        (SHA_A, True),
        ("sha384:" + "0" * 96, True),
        ("sha512:" + "0" * 128, True),
        ("sha512:" + "0" * 64, False),
        ("sha256:" + "a" * 63, False),
        ("sha256:" + "a" * 65, False),
        ("sha256:" + "A" * 64, False),
        ("blake3:" + "Ab" * 16, True),
        ("sha256+b64u.x_y-z:" + "f" * 32, True),
        ("x:" + "f" * 31, False),
        ("1sha:" + "f" * 32, False),
        ("sha256", False),
        (HEX_A, False),
        ("", False),
        (SHA_A + "\n", False),
    ],
    ids=lambda value: repr(value)[:24],
)
def test_is_valid_digest(text: str, valid: bool) -> None:
    assert is_valid_digest(text) is valid


# --- repository_of agrees with the parser -----------------------------------------------------------


def test_the_doctest_examples_hold() -> None:
    assert doctest.testmod(image).failed == 0


def test_repository_of_reads_an_uppercase_first_component_as_a_registry_like_the_parser() -> None:
    assert repository_of("MyOrg/app:1") == parse_image("MyOrg/app:1").repository == "myorg/app"
    assert repository_of("Docker.IO/nginx") == "docker.io/library/nginx"


# --- properties: references generated from the grammar ----------------------------------------------

HUB_ALIASES = ["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]

alnum_runs = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=6)
separators = st.sampled_from([".", "_", "__", "-", "---"])


@st.composite
def path_components(draw: st.DrawFn) -> str:
    parts = [draw(alnum_runs)]
    for _ in range(draw(st.integers(0, 2))):
        parts += [draw(separators), draw(alnum_runs)]
    return "".join(parts)


def _first_reads_as_a_domain(path: str) -> bool:
    first, slash, _ = path.partition("/")
    return bool(slash) and ("." in first or first == "localhost")


paths = st.lists(path_components(), min_size=1, max_size=3).map("/".join)
hub_paths = paths.filter(lambda path: not _first_reads_as_a_domain(path))

dns_labels = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
ports = st.integers(0, 65535).map(lambda port: f":{port}")
optional_ports = st.just("") | ports
dns_names = st.lists(dns_labels, min_size=2, max_size=4).map(".".join)
ipv4s = st.tuples(*[st.integers(0, 255)] * 4).map(lambda octets: ".".join(map(str, octets)))
ipv6s = st.ip_addresses(v=6).map(lambda address: f"[{address.exploded}]") | st.just("[::1]")
hub_aliases = st.sampled_from(HUB_ALIASES).flatmap(
    lambda host: st.sampled_from([host, host.upper(), host.title()])
)
# Domains whose canonical (lower-cased) spelling still reads as a domain.
canonical_domains = (
    st.tuples(dns_names | ipv4s | ipv6s | st.sampled_from(["localhost", "LocalHost"]), optional_ports).map(
        "".join
    )
    | st.tuples(dns_labels, ports).map("".join)
    | hub_aliases
)
# A single label without a port is a domain only when it has a capital letter (docker's rule).
capitalized_labels = dns_labels.filter(lambda label: label.lower() != label)

tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", fullmatch=True)
algorithms = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}(?:[-_+.][A-Za-z][A-Za-z0-9]{0,5}){0,2}", fullmatch=True)
digests = (
    st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda hex_: f"sha256:{hex_}")
    | st.text("0123456789abcdef", min_size=128, max_size=128).map(lambda hex_: f"sha512:{hex_}")
    | st.tuples(
        algorithms.filter(lambda name: name not in {"sha256", "sha384", "sha512"}),
        st.text(string.hexdigits, min_size=32, max_size=80),
    ).map(":".join)
)


@st.composite
def references(
    draw: st.DrawFn, domains: st.SearchStrategy[str] = canonical_domains | capitalized_labels
) -> str:
    domain = draw(st.none() | domains)
    name = f"{domain}/{draw(paths)}" if domain else draw(hub_paths)
    tag = draw(st.none() | tags)
    digest = draw(st.none() | digests)
    return name + (f":{tag}" if tag is not None else "") + (f"@{digest}" if digest is not None else "")


def _tail(ref: ImageRef) -> str:
    return (f":{ref.tag}" if ref.tag is not None else "") + (
        f"@{ref.digest}" if ref.digest is not None else ""
    )


@given(text=references(domains=canonical_domains))
def test_the_canonical_form_is_a_fixed_point(text: str) -> None:
    ref = parse_image(text)

    again = parse_image(ref.repository + _tail(ref))

    assert (again.registry, again.path, again.tag, again.digest) == (
        ref.registry,
        ref.path,
        ref.tag,
        ref.digest,
    )
    assert str(again) == ref.repository + _tail(ref)


@given(text=references(), tag=tags, digest=st.none() | digests)
def test_rewriting_keeps_the_original_spelling(text: str, tag: str, digest: str | None) -> None:
    ref = parse_image(text)

    rewritten = parse_image(ref.with_tag(tag, digest))

    assert (rewritten.spelled_registry, rewritten.spelled_path) == (ref.spelled_registry, ref.spelled_path)
    assert (rewritten.registry, rewritten.path, rewritten.tag, rewritten.digest) == (
        ref.registry,
        ref.path,
        tag,
        digest,
    )


@given(text=references(), digest=digests)
def test_pinning_keeps_the_spelling_and_the_tag(text: str, digest: str) -> None:
    ref = parse_image(text)

    pinned = parse_image(ref.with_digest(digest))

    assert pinned == ImageRef(ref.registry, ref.path, ref.tag, digest, ref.spelled_registry, ref.spelled_path)


whitespace = st.sampled_from(["", " ", "  ", "\t", "\n", " \r\n"])


@given(before=whitespace, text=references(), after=whitespace)
def test_a_reference_prints_as_written(before: str, text: str, after: str) -> None:
    assert str(parse_image(before + text + after)) == text


@given(text=references())
def test_the_repository_is_what_repository_of_says(text: str) -> None:
    assert parse_image(text).repository == repository_of(text)


reference_like_text = st.text(alphabet="aZ09.-_:/@[] \t", max_size=40)


@given(text=st.text() | reference_like_text)
def test_any_text_parses_or_raises_invalid_reference_and_nothing_else(text: str) -> None:
    try:
        ref = parse_image(text)
    except InvalidReference as error:
        assert error.reference == text
        assert error.problem
    else:
        assert str(ref) == text.strip()
        assert ref.repository == repository_of(text)


@given(text=st.text() | reference_like_text)
def test_repository_of_never_raises(text: str) -> None:
    assert isinstance(repository_of(text), str)
