"""Connecting (kubeconfig, KUBECONFIG, in-cluster), discovery of optional resources, and API errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes_asyncio import client

from headwind.adapters.kube.client import ApiError, KubeConnectError, connect, get_json, retry_after_of
from headwind.adapters.kube.resources import DEPLOYMENTS, HELM_RELEASES, UPDATE_REQUESTS, is_served
from headwind.sandbox.emulator import Emulator


async def version_of(api: client.ApiClient) -> str:
    try:
        return str((await get_json(api, "/version"))["gitVersion"])
    finally:
        await api.close()


async def test_connects_with_a_kubeconfig_path_and_leaves_the_global_configuration_alone(
    emulator: Emulator, tmp_path: Path
) -> None:
    default_host = client.Configuration.get_default_copy().host
    path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    assert (await version_of(await connect(path, environ={}))).endswith("headwind-sandbox")
    assert client.Configuration.get_default_copy().host == default_host


async def test_kubeconfig_in_the_environment_wins_over_in_cluster_settings(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    environ = {"KUBECONFIG": f"{tmp_path / 'missing'}:{path}", "KUBERNETES_SERVICE_HOST": "10.0.0.1"}
    assert await version_of(await connect(environ=environ))


async def test_an_unknown_context_is_a_clear_error(emulator: Emulator, tmp_path: Path) -> None:
    path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    with pytest.raises(KubeConnectError, match=r"kubeconfig .* \(context 'elsewhere'\)"):
        await connect(path, "elsewhere", environ={})


async def test_a_missing_kubeconfig_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KubeConnectError, match="no such file"):
        await connect(tmp_path / "nope", environ={})


async def test_without_any_settings_the_error_says_what_was_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(KubeConnectError, match=r"KUBERNETES_SERVICE_HOST is not set.*KUBECONFIG is not set"):
        await connect(environ={})


async def test_in_cluster_without_a_service_account_is_a_clear_error() -> None:
    if Path("/var/run/secrets/kubernetes.io/serviceaccount/token").exists():
        pytest.skip("running inside a pod: the service account exists")
    environ = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    with pytest.raises(KubeConnectError, match="in-cluster service account"):
        await connect(environ=environ)


async def test_discovery_says_which_resources_are_served(kube: client.ApiClient, emulator: Emulator) -> None:
    assert await is_served(kube, DEPLOYMENTS)
    assert not await is_served(kube, HELM_RELEASES)
    assert not await is_served(kube, UPDATE_REQUESTS)
    emulator.faults.fail_next("GET", r"^/apis/apps/v1$", 503)
    with pytest.raises(ApiError) as raised:
        await is_served(kube, DEPLOYMENTS)
    assert raised.value.status == 503


async def test_api_errors_carry_status_reason_and_retry_after(
    kube: client.ApiClient, emulator: Emulator
) -> None:
    emulator.faults.fail_next("GET", r"/configmaps", 429, retry_after=2)
    with pytest.raises(ApiError) as raised:
        await get_json(kube, "/api/v1/namespaces/default/configmaps")
    error = raised.value
    assert (error.status, error.reason, error.retry_after) == (429, "TooManyRequests", 2.0)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("-1", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", None),
    ],
)
def test_retry_after_accepts_seconds_and_dates(header: str | None, seconds: float | None) -> None:
    assert retry_after_of(header) == seconds
