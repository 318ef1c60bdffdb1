"""Authentication and authorization: tokens, 401/403, TokenReview, SubjectAccessReview, TLS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from headwind.sandbox.auth import Permission, User

from ..support import client_session, status_message

READER = User("reader", ("readers", "system:authenticated"))


@pytest.mark.parametrize(
    ("settings", "token"),
    [
        pytest.param({}, "not-a-token", id="an-unknown-token"),
        pytest.param({"allow_anonymous": False}, None, id="anonymous-when-anonymous-access-is-refused"),
        pytest.param({"tls": True}, None, id="anonymous-over-tls-by-default"),
    ],
)
async def test_a_request_without_a_credential_the_emulator_accepts_is_401(
    make_emulator: Any, tmp_path: Path, settings: dict[str, Any], token: str | None
) -> None:
    emulator = await make_emulator(**settings)
    async with client_session(emulator, tmp_path, token=token) as api_client:
        with pytest.raises(ApiException) as raised:
            await client.CoreV1Api(api_client).list_namespace()
    assert raised.value.status == 401


async def test_the_permission_table_answers_403_with_the_apiservers_wording(
    make_emulator: Any, tmp_path: Path
) -> None:
    emulator = await make_emulator(tokens={"reader-token": READER})
    emulator.access.grant(
        "readers", Permission(verbs=("get", "list", "watch"), groups=("",), resources=("configmaps",))
    )
    async with client_session(emulator, tmp_path, token="reader-token") as api_client:
        core = client.CoreV1Api(api_client)
        assert (await core.list_namespaced_config_map("default")).items == []
        with pytest.raises(ApiException) as raised:
            await core.create_namespaced_config_map("default", {"metadata": {"name": "x"}})
    assert raised.value.status == 403
    assert 'User "reader" cannot create resource "configmaps"' in status_message(raised.value)


async def test_token_review_authenticates_from_the_token_table(make_emulator: Any, tmp_path: Path) -> None:
    emulator = await make_emulator(
        tokens={"admin": User("admin", ("system:masters",)), "reader-token": READER}
    )
    async with client_session(emulator, tmp_path, token="admin") as api_client:
        reviews = client.AuthenticationV1Api(api_client)
        known = await reviews.create_token_review({"spec": {"token": "reader-token"}})
        unknown = await reviews.create_token_review({"spec": {"token": "nope"}})
    assert known.status.authenticated is True
    assert known.status.user.username == "reader"
    assert "readers" in known.status.user.groups
    assert unknown.status.authenticated is False


async def test_subject_access_review_answers_from_the_permission_table(
    make_emulator: Any, tmp_path: Path
) -> None:
    emulator = await make_emulator(tokens={"admin": User("admin", ("system:masters",))})
    emulator.access.grant(
        "alice", Permission(verbs=("patch",), groups=("headwind.sh",), resources=("updaterequests/status",))
    )

    def review(user: str, verb: str, subresource: str = "status") -> dict[str, Any]:
        return {
            "spec": {
                "user": user,
                "resourceAttributes": {
                    "verb": verb,
                    "group": "headwind.sh",
                    "resource": "updaterequests",
                    "subresource": subresource,
                    "namespace": "default",
                },
            }
        }

    async with client_session(emulator, tmp_path, token="admin") as api_client:
        reviews = client.AuthorizationV1Api(api_client)
        allowed = await reviews.create_subject_access_review(review("alice", "patch"))
        denied = await reviews.create_subject_access_review(review("alice", "delete"))
        stranger = await reviews.create_subject_access_review(review("bob", "patch"))
    assert allowed.status.allowed is True
    assert denied.status.allowed is False
    assert stranger.status.allowed is False


async def test_tls_with_the_generated_ca_and_a_token(make_emulator: Any, tmp_path: Path) -> None:
    emulator = await make_emulator(tls=True)
    assert emulator.url.startswith("https://")
    async with client_session(emulator, tmp_path) as api_client:
        namespaces = await client.CoreV1Api(api_client).list_namespace()
    assert "default" in {ns.metadata.name for ns in namespaces.items}
