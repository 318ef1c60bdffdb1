"""Pull credentials found the way the kubelet finds them, read from the sandbox API through a real client."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from kubernetes_asyncio import client
from structlog.testing import capture_logs

from headwind.adapters.kube import pullsecrets
from headwind.adapters.kube.client import ApiError
from headwind.adapters.kube.pullsecrets import PullSecrets
from headwind.model.credentials import Credential
from headwind.sandbox.emulator import Emulator

from ..sandbox.manifests import namespace

REGISTRY = "registry.example.com"


class FakeClock:
    """Seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def auth_entry(username: str, password: str) -> dict[str, str]:
    return {"auth": base64.b64encode(f"{username}:{password}".encode()).decode()}


def encoded(document: Any) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def pull_secret(
    name: str, password: str, *, registry: str = REGISTRY, username: str = "robot"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": encoded({"auths": {registry: auth_entry(username, password)}})},
    }


def service_account(name: str, *secrets: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name},
        "imagePullSecrets": [{"name": secret} for secret in secrets],
    }


@pytest.fixture
async def core(kube: client.ApiClient, emulator: Emulator) -> client.CoreV1Api:
    """The core API, with namespaces ``demo`` and ``other`` (and their ``default`` ServiceAccounts)."""
    api = client.CoreV1Api(kube)
    for name in ("demo", "other"):
        await api.create_namespace(namespace(name))
    await emulator.wait_idle()
    return api


def secret_gets(emulator: Emulator, namespace: str, name: str) -> int:
    return len(emulator.faults.matching("GET", rf"^/api/v1/namespaces/{namespace}/secrets/{name}$"))


def password_of(credential: Credential | None) -> str | None:
    return credential.password if credential is not None else None


async def test_a_pod_spec_secret_is_used(kube: client.ApiClient, core: client.CoreV1Api) -> None:
    await core.create_namespaced_secret("demo", pull_secret("regcred", "pod-password"))
    secrets = PullSecrets(kube)

    credential = await secrets.credential(
        "demo", REGISTRY, secret_names=["regcred"], service_account="default"
    )

    assert credential == Credential("robot", "pod-password")
    assert credential is not None and credential.source == "secret demo/regcred"


async def test_a_named_service_accounts_secret_is_used_not_the_default_ones(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("builder-cred", "builder-password"))
    await core.create_namespaced_secret("demo", pull_secret("default-cred", "default-password"))
    await core.create_namespaced_service_account("demo", service_account("builder", "builder-cred"))
    await core.patch_namespaced_service_account(
        "default", "demo", {"imagePullSecrets": [{"name": "default-cred"}]}
    )
    secrets = PullSecrets(kube)

    credential = await secrets.credential("demo", REGISTRY, secret_names=[], service_account="builder")
    by_default = await secrets.credential("demo", REGISTRY, secret_names=[], service_account="")

    assert password_of(credential) == "builder-password"
    assert password_of(by_default) == "default-password"


async def test_the_pod_spec_secret_wins_over_the_service_account(
    kube: client.ApiClient, core: client.CoreV1Api, emulator: Emulator
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("pod-cred", "pod-password"))
    await core.create_namespaced_secret("demo", pull_secret("sa-cred", "sa-password"))
    await core.create_namespaced_service_account("demo", service_account("builder", "sa-cred"))

    credential = await PullSecrets(kube).credential(
        "demo", REGISTRY, secret_names=["pod-cred"], service_account="builder"
    )

    assert password_of(credential) == "pod-password"
    assert secret_gets(emulator, "demo", "sa-cred") == 0


async def test_the_service_account_is_searched_only_when_the_pod_spec_names_no_secret(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    # As the ServiceAccount admission plugin does: an account's secrets reach a pod only when the
    # pod spec names none, so a pod spec naming other secrets pulls without the account's.
    await core.create_namespaced_secret("demo", pull_secret("ghcr-cred", "ghcr-password", registry="ghcr.io"))
    await core.create_namespaced_secret("demo", pull_secret("sa-cred", "sa-password"))
    await core.create_namespaced_service_account("demo", service_account("builder", "ghcr-cred", "sa-cred"))
    secrets = PullSecrets(kube)

    named = await secrets.credential("demo", REGISTRY, secret_names=["ghcr-cred"], service_account="builder")
    unnamed = await secrets.credential("demo", REGISTRY, secret_names=[], service_account="builder")
    ghcr = await secrets.credential("demo", "ghcr.io", secret_names=[], service_account="builder")

    assert named is None
    assert password_of(unnamed) == "sa-password"
    assert password_of(ghcr) == "ghcr-password"


async def test_no_secret_for_the_registry_means_anonymous(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("regcred", "pod-password"))

    credential = await PullSecrets(kube).credential(
        "demo", "ghcr.io", secret_names=["regcred"], service_account="default"
    )

    assert credential is None


async def test_a_rotated_secret_is_used_on_the_next_call(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("regcred", "old-password"))
    secrets = PullSecrets(kube, ttl=0)
    before = await secrets.credential("demo", REGISTRY, secret_names=["regcred"], service_account="default")

    await core.patch_namespaced_secret(
        "regcred", "demo", {"data": pull_secret("regcred", "new-password")["data"]}
    )
    after = await secrets.credential("demo", REGISTRY, secret_names=["regcred"], service_account="default")

    assert password_of(before) == "old-password"
    assert password_of(after) == "new-password"
    assert before is not None and after is not None and before.fingerprint != after.fingerprint


async def test_a_secret_in_another_namespace_is_never_used(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    await core.create_namespaced_secret("other", pull_secret("regcred", "other-password"))
    secrets = PullSecrets(kube)

    in_other = await secrets.credential(
        "other", REGISTRY, secret_names=["regcred"], service_account="default"
    )
    with capture_logs() as logs:
        in_demo = await secrets.credential(
            "demo", REGISTRY, secret_names=["regcred"], service_account="default"
        )

    assert password_of(in_other) == "other-password"
    assert in_demo is None
    assert [(log["object"], log["reason"]) for log in logs] == [("Secret demo/regcred", "not found")]


async def test_same_named_secrets_in_two_namespaces_each_answer_for_their_own(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("regcred", "demo-password"))
    await core.create_namespaced_secret("other", pull_secret("regcred", "other-password"))
    secrets = PullSecrets(kube)

    found = [
        password_of(
            await secrets.credential(ns, REGISTRY, secret_names=["regcred"], service_account="default")
        )
        for ns in ("demo", "other", "demo")
    ]

    assert found == ["demo-password", "other-password", "demo-password"]


async def test_a_missing_secret_is_skipped_with_a_warning_and_the_next_one_used(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("second", "second-password"))

    with capture_logs() as logs:
        credential = await PullSecrets(kube).credential(
            "demo", REGISTRY, secret_names=["gone", "second"], service_account="default"
        )

    assert password_of(credential) == "second-password"
    assert [(log["log_level"], log["object"], log["reason"]) for log in logs] == [
        ("warning", "Secret demo/gone", "not found")
    ]


async def test_a_malformed_secret_is_skipped_with_a_warning_that_never_shows_the_password(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    broken = pull_secret("broken", "leaked-password")
    broken["type"] = "Opaque"
    broken["data"] = {
        ".dockerconfigjson": encoded({"registry.example.com": auth_entry("robot", "leaked-password")})
    }
    await core.create_namespaced_secret("demo", broken)
    await core.create_namespaced_secret("demo", pull_secret("good", "good-password"))

    with capture_logs() as logs:
        credential = await PullSecrets(kube).credential(
            "demo", REGISTRY, secret_names=["broken", "good"], service_account="default"
        )

    assert password_of(credential) == "good-password"
    [warning] = logs
    assert warning["log_level"] == "warning"
    assert warning["object"] == "Secret demo/broken"
    assert "has no 'auths' object" in warning["reason"]
    assert "leaked-password" not in repr(logs)
    assert broken["data"][".dockerconfigjson"] not in repr(logs)


async def test_a_forbidden_secret_is_skipped_with_a_warning(
    kube: client.ApiClient, core: client.CoreV1Api, emulator: Emulator
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("locked", "locked-password"))
    await core.create_namespaced_secret("demo", pull_secret("open", "open-password"))
    emulator.faults.fail_next("GET", r"/secrets/locked$", 403)

    with capture_logs() as logs:
        credential = await PullSecrets(kube).credential(
            "demo", REGISTRY, secret_names=["locked", "open"], service_account="default"
        )

    assert password_of(credential) == "open-password"
    [warning] = logs
    assert warning["object"] == "Secret demo/locked"
    assert warning["reason"].startswith("forbidden: headwind may not get secrets in namespace demo")


async def test_a_missing_service_account_is_skipped_with_a_warning(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    with capture_logs() as logs:
        credential = await PullSecrets(kube).credential(
            "demo", REGISTRY, secret_names=[], service_account="ghost"
        )

    assert credential is None
    assert [(log["object"], log["reason"]) for log in logs] == [("ServiceAccount demo/ghost", "not found")]


async def test_other_api_errors_propagate_and_are_not_cached(
    kube: client.ApiClient, core: client.CoreV1Api, emulator: Emulator
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("regcred", "pod-password"))
    emulator.faults.fail_next("GET", r"/secrets/regcred$", 503)
    secrets = PullSecrets(kube)

    with pytest.raises(ApiError) as raised:
        await secrets.credential("demo", REGISTRY, secret_names=["regcred"], service_account="default")
    retried = await secrets.credential("demo", REGISTRY, secret_names=["regcred"], service_account="default")

    assert raised.value.status == 503
    assert password_of(retried) == "pod-password"


async def test_a_legacy_dockercfg_secret_is_read(kube: client.ApiClient, core: client.CoreV1Api) -> None:
    legacy = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "legacy"},
        "type": "kubernetes.io/dockercfg",
        "data": {".dockercfg": encoded({f"https://{REGISTRY}": auth_entry("old-robot", "legacy-password")})},
    }
    await core.create_namespaced_secret("demo", legacy)

    credential = await PullSecrets(kube).credential(
        "demo", REGISTRY, secret_names=["legacy"], service_account="default"
    )

    assert credential == Credential("old-robot", "legacy-password")


async def test_a_docker_hub_alias_key_answers_for_docker_io(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    await core.create_namespaced_secret(
        "demo", pull_secret("hub", "hub-password", registry="https://index.docker.io/v1/")
    )

    credential = await PullSecrets(kube).credential(
        "demo", "docker.io", secret_names=["hub"], service_account=""
    )

    assert password_of(credential) == "hub-password"


async def test_a_secret_is_fetched_once_per_ttl(
    kube: client.ApiClient, core: client.CoreV1Api, emulator: Emulator
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("regcred", "old-password"))
    clock = FakeClock()
    secrets = PullSecrets(kube, ttl=5.0, clock=clock)

    async def current() -> str | None:
        found = await secrets.credential(
            "demo", REGISTRY, secret_names=["regcred"], service_account="default"
        )
        return password_of(found)

    first = await current()
    await core.patch_namespaced_secret(
        "regcred", "demo", {"data": pull_secret("regcred", "new-password")["data"]}
    )
    clock.now += 4.9
    within_ttl = await current()
    gets_within_ttl = secret_gets(emulator, "demo", "regcred")
    clock.now += 0.1
    after_ttl = await current()

    assert (first, within_ttl, after_ttl) == ("old-password", "old-password", "new-password")
    assert gets_within_ttl == 1
    assert secret_gets(emulator, "demo", "regcred") == 2


async def test_a_missing_secret_is_asked_for_again_only_after_the_ttl(
    kube: client.ApiClient, core: client.CoreV1Api, emulator: Emulator
) -> None:
    clock = FakeClock()
    secrets = PullSecrets(kube, ttl=5.0, clock=clock)

    async def current() -> str | None:
        found = await secrets.credential("demo", REGISTRY, secret_names=["late"], service_account="default")
        return password_of(found)

    before = await current()
    await core.create_namespaced_secret("demo", pull_secret("late", "late-password"))
    within_ttl = await current()
    clock.now += 5.0
    after_ttl = await current()

    assert (before, within_ttl, after_ttl) == (None, None, "late-password")
    assert secret_gets(emulator, "demo", "late") == 2


async def test_an_unchanged_secret_is_parsed_once(
    kube: client.ApiClient, core: client.CoreV1Api, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("regcred", "pod-password"))
    parsed: list[str] = []
    real_parse = pullsecrets.parse_docker_config

    def counting_parse(*args: Any, **kwargs: Any) -> dict[str, Credential]:
        parsed.append(kwargs["source"])
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(pullsecrets, "parse_docker_config", counting_parse)
    secrets = PullSecrets(kube, ttl=0)

    for _ in range(3):
        await secrets.credential("demo", REGISTRY, secret_names=["regcred"], service_account="default")

    assert secret_gets(emulator, "demo", "regcred") == 3
    assert parsed == ["secret demo/regcred"]


async def test_concurrent_searches_share_one_get(
    kube: client.ApiClient, core: client.CoreV1Api, emulator: Emulator
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("regcred", "pod-password"))
    secrets = PullSecrets(kube, ttl=60.0)

    found = await asyncio.gather(
        *(
            secrets.credential("demo", REGISTRY, secret_names=["regcred"], service_account="default")
            for _ in range(5)
        )
    )

    assert {password_of(credential) for credential in found} == {"pod-password"}
    assert secret_gets(emulator, "demo", "regcred") == 1


async def test_a_service_accounts_pull_secrets_are_cached_like_secrets(
    kube: client.ApiClient, core: client.CoreV1Api, emulator: Emulator
) -> None:
    await core.create_namespaced_secret("demo", pull_secret("first", "first-password"))
    await core.create_namespaced_secret("demo", pull_secret("second", "second-password"))
    await core.create_namespaced_service_account("demo", service_account("builder", "first"))
    clock = FakeClock()
    secrets = PullSecrets(kube, ttl=5.0, clock=clock)

    async def current() -> str | None:
        found = await secrets.credential("demo", REGISTRY, secret_names=[], service_account="builder")
        return password_of(found)

    before = await current()
    await core.patch_namespaced_service_account("builder", "demo", {"imagePullSecrets": [{"name": "second"}]})
    within_ttl = await current()
    clock.now += 5.0
    after_ttl = await current()

    assert (before, within_ttl, after_ttl) == ("first-password", "first-password", "second-password")
    assert len(emulator.faults.matching("GET", r"^/api/v1/namespaces/demo/serviceaccounts/builder$")) == 2


async def test_one_secret_can_hold_a_credential_per_organisation_of_a_registry(
    kube: client.ApiClient, core: client.CoreV1Api
) -> None:
    auths = {"ghcr.io/team-a": auth_entry("a", "a-password"), "ghcr.io/team-b": auth_entry("b", "b-password")}
    secret = pull_secret("orgs", "unused")
    secret["data"] = {".dockerconfigjson": encoded({"auths": auths})}
    await core.create_namespaced_secret("demo", secret)
    secrets = PullSecrets(kube)

    def ask(path: str) -> Any:
        return secrets.credential("demo", "ghcr.io", secret_names=["orgs"], service_account="", path=path)

    assert password_of(await ask("team-a/app")) == "a-password"
    assert password_of(await ask("team-b/app")) == "b-password"
    assert await ask("team-c/app") is None
