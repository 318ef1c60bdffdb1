"""Registry credentials read from pull secrets, and matched to registries, as the kubelet does."""

from __future__ import annotations

import base64
import json
import pickle
from typing import Any

import pytest

from headwind.model.credentials import (
    Credential,
    InvalidDockerConfig,
    credential_for,
    parse_docker_config,
    registry_key,
)

PASSWORD = "s3cr3t:P@ss"  # with a colon: a password is everything after the first one


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def auth(username: str = "robot", password: str = PASSWORD) -> str:
    return b64(f"{username}:{password}")


def dockerconfigjson(auths: dict[str, Any]) -> dict[str, str]:
    return {".dockerconfigjson": b64(json.dumps({"auths": auths}))}


def dockercfg(entries: dict[str, Any]) -> dict[str, str]:
    return {".dockercfg": b64(json.dumps(entries))}


CONFIG_JSON = "kubernetes.io/dockerconfigjson"
CFG = "kubernetes.io/dockercfg"
ROBOT = {"ghcr.io": Credential("robot", PASSWORD)}


@pytest.mark.parametrize(
    ("secret_type", "data", "expected"),
    [
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"ghcr.io": {"username": "robot", "password": PASSWORD}}),
            ROBOT,
            id="dockerconfigjson-username-password",
        ),
        pytest.param(
            CONFIG_JSON, dockerconfigjson({"ghcr.io": {"auth": auth()}}), ROBOT, id="dockerconfigjson-auth"
        ),
        pytest.param(CFG, dockercfg({"ghcr.io": {"auth": auth()}}), ROBOT, id="legacy-dockercfg-auth"),
        pytest.param(
            CFG,
            dockercfg({"ghcr.io": {"username": "robot", "password": PASSWORD, "email": "r@example.com"}}),
            ROBOT,
            id="legacy-dockercfg-username-password",
        ),
        pytest.param(
            "Opaque", dockerconfigjson({"ghcr.io": {"auth": auth()}}), ROBOT, id="opaque-dockerconfigjson"
        ),
        pytest.param("Opaque", dockercfg({"ghcr.io": {"auth": auth()}}), ROBOT, id="opaque-dockercfg"),
        pytest.param("", dockercfg({"ghcr.io": {"auth": auth()}}), ROBOT, id="no-type-dockercfg"),
        pytest.param(
            "Opaque",
            {
                **dockerconfigjson({"ghcr.io": {"auth": auth()}}),
                **dockercfg({"ghcr.io": {"auth": auth("old")}}),
            },
            ROBOT,
            id="opaque-with-both-reads-dockerconfigjson",
        ),
        pytest.param(
            CONFIG_JSON,
            {
                **dockerconfigjson({"ghcr.io": {"auth": auth()}}),
                **dockercfg({"ghcr.io": {"auth": auth("old")}}),
            },
            ROBOT,
            id="typed-secret-reads-its-own-key",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"ghcr.io": {"auth": auth(), "username": "other", "password": "other"}}),
            ROBOT,
            id="auth-wins-over-username-password",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"ghcr.io": {"auth": "", "username": "robot", "password": PASSWORD}}),
            ROBOT,
            id="empty-auth-leaves-username-password",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson(
                {"ghcr.io": {"username": "robot", "password": PASSWORD, "identitytoken": "tok"}}
            ),
            ROBOT,
            id="identitytoken-beside-a-password-is-ignored",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"ghcr.io": {"identitytoken": "tok"}, "quay.io": {"registrytoken": "tok"}}),
            {},
            id="token-only-entries-are-skipped",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"ghcr.io": {}, "quay.io": {"email": "r@example.com", "auth": None}}),
            {},
            id="entries-without-credentials-are-skipped",
        ),
        pytest.param(CONFIG_JSON, dockerconfigjson({}), {}, id="no-entries"),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"": {"auth": auth()}, "https://": {"auth": auth()}}),
            {},
            id="keys-without-a-host-are-skipped",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"ghcr.io": {"auth": b64(":token")}}),
            {"ghcr.io": Credential("", "token")},
            id="empty-username",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"https://index.docker.io/v1/": {"auth": auth()}}),
            {"docker.io": Credential("robot", PASSWORD)},
            id="docker-hub-legacy-url",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"index.docker.io": {"auth": auth()}, "docker.io": {"auth": auth("second")}}),
            {"docker.io": Credential("robot", PASSWORD)},
            id="first-of-two-keys-for-one-registry-wins",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson(
                {
                    "http://LocalHost:5000/v2/": {"auth": auth("local")},
                    "localhost": {"auth": auth("bare")},
                    "ghcr.io/team-a": {"auth": auth()},
                }
            ),
            {
                "localhost:5000": Credential("local", PASSWORD),
                "localhost": Credential("bare", PASSWORD),
                "ghcr.io/team-a": Credential("robot", PASSWORD),
            },
            id="ports-schemes-and-paths",
        ),
    ],
)
def test_parse_docker_config_reads_every_secret_form(
    secret_type: str, data: dict[str, str], expected: dict[str, Credential]
) -> None:
    assert parse_docker_config(secret_type, data) == expected


def test_every_credential_names_its_source() -> None:
    data = dockerconfigjson({"ghcr.io": {"auth": auth()}, "quay.io": {"username": "u", "password": "p"}})
    parsed = parse_docker_config(CONFIG_JSON, data, source="secret demo/regcred")
    assert {credential.source for credential in parsed.values()} == {"secret demo/regcred"}


def raw(value: str | bytes, key: str = ".dockerconfigjson") -> dict[str, str]:
    return {key: b64(value)}


@pytest.mark.parametrize(
    ("secret_type", "data", "problem"),
    [
        pytest.param(
            "Opaque",
            {"password": b64(PASSWORD)},
            "has no '.dockerconfigjson' or '.dockercfg' key",
            id="no-key",
        ),
        pytest.param(
            CONFIG_JSON,
            dockercfg({"ghcr.io": {"auth": auth()}}),
            "has no '.dockerconfigjson' key",
            id="wrong-key",
        ),
        pytest.param(
            CFG,
            dockerconfigjson({"ghcr.io": {"auth": auth()}}),
            "has no '.dockercfg' key",
            id="wrong-legacy-key",
        ),
        pytest.param(CONFIG_JSON, {".dockerconfigjson": PASSWORD}, "is not base64", id="not-base64"),
        pytest.param(
            CONFIG_JSON, {".dockerconfigjson": "é" + b64(PASSWORD)}, "is not base64", id="not-ascii"
        ),
        pytest.param(CONFIG_JSON, {".dockerconfigjson": ""}, "is empty", id="empty"),
        pytest.param(
            CONFIG_JSON, raw(b'{"auths": "\xff' + PASSWORD.encode() + b'"}'), "not UTF-8", id="not-utf8"
        ),
        pytest.param(
            CONFIG_JSON, raw(f'{{"auths": {{"ghcr.io": "{PASSWORD}"'), "is not JSON", id="truncated-json"
        ),
        pytest.param(CONFIG_JSON, raw(PASSWORD), "is not JSON", id="not-json"),
        pytest.param(CONFIG_JSON, raw("[" * 100_000), "nested too deeply", id="nested-too-deeply"),
        pytest.param(CONFIG_JSON, raw(json.dumps([PASSWORD])), "JSON but not an object", id="json-list"),
        pytest.param(
            CONFIG_JSON,
            raw(json.dumps({"ghcr.io": {"auth": auth()}})),
            "has no 'auths' object",
            id="legacy-shape-in-dockerconfigjson",
        ),
        pytest.param(
            CONFIG_JSON, raw(json.dumps({"auths": [PASSWORD]})), "has an 'auths' that is not", id="auths-list"
        ),
        pytest.param(
            CONFIG_JSON, dockerconfigjson({"ghcr.io": PASSWORD}), "entry for 'ghcr.io'", id="entry-string"
        ),
        pytest.param(
            CFG,
            dockercfg({"username": "robot", "password": PASSWORD}),
            "entry for 'username'",
            id="flat-credentials",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"ghcr.io": {"username": "robot", "password": [PASSWORD]}}),
            "'password' that is not a string",
            id="password-not-a-string",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"ghcr.io": {"auth": f"robot:{PASSWORD}"}}),
            "'auth' that is not base64",
            id="auth-not-base64",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"ghcr.io": {"auth": b64(PASSWORD.replace(":", ""))}}),
            "username:password",
            id="auth-without-colon",
        ),
        pytest.param(
            CONFIG_JSON,
            dockerconfigjson({"ghcr.io": {"auth": b64(b"robot:\xff" + PASSWORD.encode())}}),
            "'auth' that is not base64 of UTF-8 text",
            id="auth-not-utf8",
        ),
    ],
)
def test_a_broken_secret_says_what_is_wrong_and_never_shows_the_password(
    secret_type: str, data: dict[str, str], problem: str
) -> None:
    with pytest.raises(InvalidDockerConfig) as raised:
        parse_docker_config(secret_type, data, source="secret demo/regcred")
    message = str(raised.value)
    assert message.startswith("secret demo/regcred: ")
    assert problem in message
    secrets = [PASSWORD, PASSWORD.replace(":", ""), auth(), *data.values()]
    for secret in filter(None, secrets):
        assert secret not in message
        assert secret not in repr(raised.value)
    # No decoding error rides along in the chain: its .doc or .object would be the secret itself.
    error = raised.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_invalid_docker_config_survives_pickling() -> None:
    error = InvalidDockerConfig("the value of '.dockercfg' is empty", "secret demo/regcred")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.problem, copy.source) == (str(error), error.problem, error.source)


@pytest.mark.parametrize(
    ("server", "registry"),
    [
        ("https://index.docker.io/v1/", "docker.io"),
        ("index.docker.io", "docker.io"),
        ("docker.io", "docker.io"),
        ("registry-1.docker.io", "docker.io"),
        ("https://registry.hub.docker.com", "docker.io"),
        ("HTTPS://Index.Docker.IO/v1/", "docker.io"),
        ("ghcr.io", "ghcr.io"),
        ("GHCR.io/", "ghcr.io"),
        ("https://ghcr.io/v2/team/app", "ghcr.io"),
        ("http://registry.example.com:5000", "registry.example.com:5000"),
        ("registry:5000/v1/", "registry:5000"),
        ("localhost:5000", "localhost:5000"),
        ("[::1]:5000", "[::1]:5000"),
        ("  quay.io  ", "quay.io"),
        ("", ""),
        ("https://", ""),
        ("/v1/", ""),
    ],
)
def test_registry_key_normalizes_like_the_kubelet(server: str, registry: str) -> None:
    assert registry_key(server) == registry


HUB = Credential("hub", "hub-password")
LOCAL = Credential("local", "local-password")


@pytest.mark.parametrize(
    ("registry", "config", "expected"),
    [
        ("docker.io", {"docker.io": HUB}, HUB),
        ("docker.io", {"https://index.docker.io/v1/": HUB}, HUB),
        ("index.docker.io", {"docker.io": HUB}, HUB),
        ("localhost:5000", {"localhost:5000": LOCAL}, LOCAL),
        ("localhost:5000", {"localhost": LOCAL}, None),
        ("localhost", {"localhost:5000": LOCAL}, None),
        ("registry.example.com:443", {"registry.example.com": LOCAL}, None),
        ("GHCR.IO", {"ghcr.io": LOCAL}, LOCAL),
        ("ghcr.io", {"docker.io": HUB}, None),
        ("evil.ghcr.io", {"ghcr.io": LOCAL}, None),
        ("ghcr.io", {"*.ghcr.io": LOCAL}, None),
        ("docker.io", {"index.docker.io": HUB, "docker.io": LOCAL}, HUB),
        ("docker.io", {}, None),
        ("", {"": HUB}, None),
    ],
)
def test_credential_for_matches_host_and_port_exactly(
    registry: str, config: dict[str, Credential], expected: Credential | None
) -> None:
    assert credential_for(registry, config) is expected


def test_credential_for_finds_what_parse_docker_config_read_for_an_image_registry() -> None:
    config = parse_docker_config(
        CONFIG_JSON, dockerconfigjson({"https://index.docker.io/v1/": {"auth": auth()}})
    )
    assert credential_for("docker.io", config) == Credential("robot", PASSWORD)


def test_a_credential_never_shows_its_password() -> None:
    credential = Credential("robot", PASSWORD, source="secret demo/regcred")
    assert PASSWORD not in repr(credential)
    assert PASSWORD not in str(credential)
    assert "robot" in repr(credential) and "secret demo/regcred" in repr(credential)


def test_the_fingerprint_is_stable_and_changes_with_the_password() -> None:
    credential = Credential("robot", PASSWORD, source="secret demo/regcred")
    same = Credential("robot", PASSWORD, source="--pull-secret")
    rotated = Credential("robot", PASSWORD + "2")
    assert credential.fingerprint == same.fingerprint
    assert credential.fingerprint != rotated.fingerprint
    assert credential.fingerprint != Credential("robot2", PASSWORD).fingerprint
    assert len(credential.fingerprint) == 16
    assert PASSWORD not in credential.fingerprint and "robot" not in credential.fingerprint


def test_a_key_with_a_path_serves_only_repositories_under_it_and_the_longest_wins() -> None:
    config = {
        "ghcr.io": Credential("anyone", "p0"),
        "ghcr.io/team-a": Credential("a", "p1"),
        "ghcr.io/team-a/special": Credential("special", "p2"),
        "ghcr.io/team-b": Credential("b", "p3"),
    }

    def user(path: str) -> str | None:
        found = credential_for("ghcr.io", config, path)
        return found.username if found else None

    assert user("team-a/app") == "a"
    assert user("team-a/special/app") == "special"
    assert user("team-b/app") == "b"
    assert user("team-ab/app") == "anyone"  # a prefix of whole path components, not of text
    assert user("other/app") == "anyone"
    assert credential_for("ghcr.io", {"ghcr.io/team-a": Credential("a", "p1")}, "team-b/app") is None
