"""``headwind registry tags|digest`` and ``policy test --image``, as processes, against a real registry."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client

from headwind.sandbox.emulator import Emulator
from tests.registry.pusher import OCI_INDEX, Pusher
from tests.registry.server import RunningRegistry


async def headwind(*args: str) -> tuple[int, str, str]:
    """The ``headwind`` command as a process, without blocking the loop the registry fixtures run in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEADWIND_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "headwind",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**env, "HEADWIND_REGISTRY_RETRIES": "0"},
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def pull_secret(name: str, host: str, username: str, password: str) -> dict[str, Any]:
    config = {"auths": {host: {"username": username, "password": password}}}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


async def test_tags_lists_a_repository_one_tag_per_line(registry: RunningRegistry, pusher: Pusher) -> None:
    for tag in ("1.0.0", "1.1.0", "latest"):
        await pusher.push_image("team/app", tag)

    status, out, err = await headwind("registry", "tags", f"{registry.host}/team/app:1.0.0")

    assert status == 0, err
    assert sorted(out.split()) == ["1.0.0", "1.1.0", "latest"]
    assert f"3 tags of {registry.host}/team/app in 1 page(s)" in err


async def test_digest_prints_the_digest_and_each_platform(registry: RunningRegistry, pusher: Pusher) -> None:
    index = await pusher.push_index("team/multi", "2.0.0")

    status, out, err = await headwind(
        "registry", "digest", f"{registry.host}/team/multi:2.0.0", "--platforms"
    )

    assert status == 0, err
    assert out.splitlines() == [
        f"{index.digest} {OCI_INDEX}",
        *(f"{platform} {digest}" for platform, digest in sorted(index.children.items())),
    ]


async def test_a_private_registry_is_read_with_the_namespaces_pull_secret(
    basic_registry: RunningRegistry, emulator: Emulator, kube: client.ApiClient, tmp_path: Path
) -> None:
    async with basic_registry.pusher() as pusher:
        await pusher.push_image("team/app", "1.0.0")
    await client.CoreV1Api(kube).create_namespaced_secret(
        "default", pull_secret("regcred", basic_registry.host, "ci", "ci-pass")
    )
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    image = f"{basic_registry.host}/team/app"

    anonymous = await headwind("registry", "tags", image)
    with_secret = await headwind(
        "registry",
        "tags",
        image,
        "--namespace",
        "default",
        "--pull-secret",
        "regcred",
        "--kubeconfig",
        str(kubeconfig),
    )

    assert anonymous[0] == 1
    assert f"{basic_registry.host}/team/app" in anonymous[2] and "unauthorized" in anonymous[2].lower()
    assert with_secret[0] == 0, with_secret[2]
    assert with_secret[1].split() == ["1.0.0"]


async def test_policy_test_takes_candidates_from_the_registry(
    registry: RunningRegistry, pusher: Pusher
) -> None:
    for tag in ("1.0.0", "1.0.1", "1.1.0", "2.0.0", "latest"):
        await pusher.push_image("team/app", tag)

    status, out, err = await headwind(
        "policy", "test", "--policy", "minor", "--image", f"{registry.host}/team/app:1.0.0"
    )

    assert status == 0, err
    lines = out.splitlines()
    assert lines[-1] == "selected: 1.1.0"
    assert not any(line.startswith("latest") for line in lines)  # dropped early: minor never picks it


async def test_policy_test_with_the_digest_policy_asks_for_the_current_tags_digest(
    registry: RunningRegistry, pusher: Pusher
) -> None:
    first = await pusher.push_image("team/app", "stable")
    second = await pusher.push_image("team/app", "stable")

    status, out, _ = await headwind(
        "policy", "test", "--policy", "digest", "--image", f"{registry.host}/team/app:stable@{first.digest}"
    )

    assert status == 0
    assert out.splitlines()[-1] == f"selected: stable@{second.digest}"


async def test_a_missing_repository_exits_1_naming_it(registry: RunningRegistry) -> None:
    status, out, err = await headwind("registry", "digest", f"{registry.host}/team/nothing:1.0")

    assert status == 1
    assert out == ""
    assert f"{registry.host}/team/nothing" in err


async def test_an_invalid_reference_exits_2() -> None:
    status, _, err = await headwind("registry", "tags", "Not A Reference")

    assert status == 2
    assert "invalid image reference 'Not A Reference'" in err


async def test_an_unreachable_cluster_exits_1_with_a_message_not_a_traceback(
    registry: RunningRegistry, tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "gone", "cluster": {"server": "http://127.0.0.1:1"}}],
                "users": [{"name": "me", "user": {"token": "x"}}],
                "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "me"}}],
                "current-context": "gone",
            }
        )
    )

    status, out, err = await headwind(
        "registry",
        "tags",
        f"{registry.host}/team/app",
        "--namespace",
        "default",
        "--kubeconfig",
        str(kubeconfig),
    )

    assert status == 1
    assert out == ""
    assert "Traceback" not in err
    assert "pull secrets" in err
