"""``headwind sandbox`` end to end: the command a newcomer runs first, as a real process.

The sandbox's output is a contract (``Sandbox ready``, then ``KUBECONFIG=<absolute path>``) that
scripts wait on, so these tests start ``python -m headwind sandbox`` exactly as a user would, wait
for that line with a deadline, and then use what it announced: the kubeconfig, through
kubernetes-asyncio and kubectl. They also pin how it fails and stops: exit status 1 with one line
for a port in use, 2 for bad arguments, 0 after SIGTERM or Ctrl-C.

Processes run through ``asyncio.create_subprocess_exec`` and are killed on the way out of every
test, whatever happened.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from .support import operator_port_env, require_tool
from .waiting import eventually

READY_TIMEOUT = 20.0
EXIT_TIMEOUT = 5.0
SYSTEM_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}
POLICY = "headwind.sh/policy"


@dataclass
class Sandbox:
    """A running ``headwind sandbox`` process and what it announced."""

    process: asyncio.subprocess.Process
    kubeconfig: Path
    before_ready: list[str]

    async def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Send a signal and wait for the exit; returns (status, rest of stdout, stderr)."""
        self.process.send_signal(signum)
        stdout, stderr = await asyncio.wait_for(self.process.communicate(), EXIT_TIMEOUT)
        assert self.process.returncode is not None
        return self.process.returncode, stdout.decode(), stderr.decode()


StartSandbox = Callable[..., Awaitable[Sandbox]]
Spawn = Callable[..., Awaitable[asyncio.subprocess.Process]]


def sandbox_command(*args: str, kubeconfig: Path | None, operator: bool = False) -> list[str]:
    command = [sys.executable, "-m", "headwind", "sandbox", "--port", "0", "--time-scale", "0.01"]
    if kubeconfig is not None:
        command += ["--kubeconfig", str(kubeconfig)]
    if not operator:
        command.append("--no-operator")
    return [*command, *args]


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Spawn]:
    """Start ``headwind`` processes (in ``tmp_path`` unless told otherwise); all are killed after the test."""
    processes: list[asyncio.subprocess.Process] = []

    async def start(
        command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=cwd or tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        processes.append(process)
        return process

    try:
        yield start
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()


@pytest.fixture
def start_sandbox(spawn: Spawn, tmp_path: Path) -> StartSandbox:
    """Start a sandbox and wait (with a deadline) until it announces that it is ready."""

    async def start(*args: str, kubeconfig: Path | None = None, operator: bool = False) -> Sandbox:
        kubeconfig = kubeconfig if kubeconfig is not None else tmp_path / "kubeconfig"
        env = operator_port_env() if operator else None
        process = await spawn(sandbox_command(*args, kubeconfig=kubeconfig, operator=operator), env=env)
        return await ready(process)

    return start


async def ready(process: asyncio.subprocess.Process) -> Sandbox:
    """Read stdout until ``Sandbox ready``; then the next line must be ``KUBECONFIG=<path>``."""
    assert process.stdout is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    seen: list[str] = []

    async def line() -> str:
        assert process.stdout is not None
        try:
            raw = await asyncio.wait_for(process.stdout.readline(), max(deadline - loop.time(), 0.01))
        except TimeoutError:
            raise AssertionError(
                f"no 'Sandbox ready' within {READY_TIMEOUT}s; stdout so far: {seen}"
            ) from None
        if not raw:
            assert process.stderr is not None
            stderr = (await process.stderr.read()).decode()
            raise AssertionError(
                f"the sandbox exited with {await process.wait()} before it was ready: {stderr}"
            )
        return raw.decode().rstrip("\n")

    while (text := await line()) != "Sandbox ready":
        seen.append(text)
    announced = await line()
    assert announced.startswith("KUBECONFIG="), announced
    return Sandbox(process, Path(announced.removeprefix("KUBECONFIG=")), seen)


async def kube_client(kubeconfig: Path) -> client.ApiClient:
    return await config.new_client_from_config(config_file=str(kubeconfig))


def names(items: list[Any]) -> set[str]:
    return {item.metadata.name for item in items}


# -- starting and announcing -------------------------------------------------------------------


async def test_sandbox_announces_ready_and_the_absolute_path_of_the_kubeconfig_it_wrote(
    spawn: Spawn, tmp_path: Path
) -> None:
    work = tmp_path / "project"
    work.mkdir()
    process = await spawn(sandbox_command("--no-seed", kubeconfig=None), cwd=work)

    sandbox = await ready(process)

    assert sandbox.before_ready == []
    assert sandbox.kubeconfig.is_absolute()
    assert sandbox.kubeconfig == work / ".headwind-sandbox" / "kubeconfig"
    assert sandbox.kubeconfig.is_file()
    assert sandbox.kubeconfig.stat().st_mode & 0o077 == 0, "the kubeconfig may hold a token: owner only"
    server = yaml.safe_load(sandbox.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    assert server.startswith("http://127.0.0.1:")


async def test_sandbox_writes_the_kubeconfig_where_it_is_told_relative_to_its_directory(
    spawn: Spawn, tmp_path: Path
) -> None:
    process = await spawn(sandbox_command("--no-seed", kubeconfig=Path("state/kube.yaml")))

    sandbox = await ready(process)

    assert sandbox.kubeconfig == tmp_path / "state" / "kube.yaml"
    assert sandbox.kubeconfig.is_file()


async def test_sandbox_seeds_the_demo_namespace_with_annotated_workloads(start_sandbox: StartSandbox) -> None:
    sandbox = await start_sandbox()
    api_client = await kube_client(sandbox.kubeconfig)
    try:
        apps, batch = client.AppsV1Api(api_client), client.BatchV1Api(api_client)
        deployments = (await apps.list_namespaced_deployment("demo")).items
        stateful_sets = (await apps.list_namespaced_stateful_set("demo")).items
        daemon_sets = (await apps.list_namespaced_daemon_set("demo")).items
        cron_jobs = (await batch.list_namespaced_cron_job("demo")).items
    finally:
        await api_client.close()

    assert names(deployments) == {"web", "api", "canary"}
    assert names(stateful_sets) == {"cache"}
    assert names(daemon_sets) == {"agent"}
    assert names(cron_jobs) == {"report"}
    workloads: list[Any] = [*deployments, *stateful_sets, *daemon_sets, *cron_jobs]
    policies = {w.metadata.name: (w.metadata.annotations or {}).get(POLICY) for w in workloads}
    assert all(policies.values()), f"every demo workload carries {POLICY}: {policies}"
    assert policies["canary"] == "none"


async def test_sandbox_with_no_seed_has_no_demo_namespace(start_sandbox: StartSandbox) -> None:
    sandbox = await start_sandbox("--no-seed")
    api_client = await kube_client(sandbox.kubeconfig)
    try:
        core = client.CoreV1Api(api_client)
        listed = await core.list_namespace()
        with pytest.raises(ApiException) as missing:
            await core.read_namespace("demo")
        deployments = await client.AppsV1Api(api_client).list_deployment_for_all_namespaces()
    finally:
        await api_client.close()

    assert names(listed.items) == SYSTEM_NAMESPACES
    assert missing.value.status == 404
    assert deployments.items == []


async def test_kubectl_lists_the_demo_deployments_of_a_running_sandbox(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    kubectl = require_tool("kubectl", why="the sandbox promises that kubectl works against it")
    sandbox = await start_sandbox()

    process = await asyncio.create_subprocess_exec(
        kubectl, "--kubeconfig", str(sandbox.kubeconfig), "--cache-dir", str(tmp_path / "kcache"),
        "get", "deploy", "-n", "demo", "-o", "name",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, stderr.decode()
    assert sorted(stdout.decode().split()) == [
        "deployment.apps/api",
        "deployment.apps/canary",
        "deployment.apps/web",
    ]


async def test_sandbox_runs_the_operator_beside_the_emulator_until_it_is_ready(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = await start_sandbox(operator=True)
    assert sandbox.process.stdout is not None
    announced: list[str] = []
    while not announced or announced[-1] != "Stop with Ctrl-C.":
        raw = await asyncio.wait_for(sandbox.process.stdout.readline(), READY_TIMEOUT)
        assert raw, f"the sandbox stopped announcing: {announced}"
        announced.append(raw.decode().rstrip("\n"))
    [ready_line] = [line for line in announced if line.startswith("Ready when:")]
    readyz = ready_line.split()[2]

    async def is_ready() -> bool:
        async with aiohttp.ClientSession() as session, session.get(readyz) as response:
            return response.status == 200

    await eventually(is_ready, timeout=READY_TIMEOUT, what=f"{readyz} to answer 200")
    assert any(line.startswith("Operator:") and "running" in line for line in announced)
    assert any(line.startswith("Web UI:") for line in announced)
    status, _, _ = await sandbox.stop()
    assert status == 0


async def test_sandbox_with_tls_writes_a_kubeconfig_with_its_ca_and_a_token(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = await start_sandbox("--no-seed", "--tls")
    written = yaml.safe_load(sandbox.kubeconfig.read_text())
    cluster = written["clusters"][0]["cluster"]
    user = written["users"][0]["user"]

    api_client = await kube_client(sandbox.kubeconfig)
    try:
        listed = await client.CoreV1Api(api_client).list_namespace()
    finally:
        await api_client.close()

    assert cluster["server"].startswith("https://127.0.0.1:")
    assert cluster["certificate-authority-data"]
    assert user["token"]
    assert names(listed.items) == SYSTEM_NAMESPACES


# -- stopping and failing ----------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
async def test_a_stop_signal_ends_the_sandbox_cleanly(start_sandbox: StartSandbox, signum: int) -> None:
    sandbox = await start_sandbox()

    status, stdout, stderr = await sandbox.stop(signum)

    assert status == 0
    assert stdout.splitlines()[-1] == "Sandbox stopped"
    assert "Traceback" not in stderr


async def test_a_port_in_use_is_a_one_line_error_with_exit_status_1(spawn: Spawn, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = sandbox_command("--no-seed", kubeconfig=tmp_path / "kubeconfig")
        command[command.index("--port") + 1] = str(port)
        process = await spawn(command)
        stdout, stderr = await asyncio.wait_for(process.communicate(), READY_TIMEOUT)

    assert process.returncode == 1
    lines = stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert f"127.0.0.1:{port}" in lines[0]
    assert "Sandbox ready" not in stdout.decode()
    assert not (tmp_path / "kubeconfig").exists()


async def test_an_invalid_unhealthy_images_regex_is_a_usage_error(spawn: Spawn, tmp_path: Path) -> None:
    process = await spawn(sandbox_command("--unhealthy-images", "(", kubeconfig=tmp_path / "kubeconfig"))

    stdout, stderr = await asyncio.wait_for(process.communicate(), READY_TIMEOUT)

    assert process.returncode == 2
    assert "not a valid regular expression" in stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert stdout == b""
