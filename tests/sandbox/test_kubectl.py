"""The real kubectl against an in-process emulator: the second real client, and a fidelity check.

kubectl does its own discovery, builds its own strategic merge patches, and runs its own rollout
logic against the Deployment status the simulated controllers write. If the emulator answers in a
way a cluster would not, these tests fail on what a user would see: an exit status, a line of output.

kubectl runs as a subprocess through ``asyncio.create_subprocess_exec``, never a blocking call,
because the emulator serves from this test's event loop. Each run gets its own kubeconfig and
discovery cache directory, so nothing touches ``$HOME/.kube``. The emulator keeps the default
manual clock: a progress deadline passes only when a test advances it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from headwind.sandbox.auth import Permission, User
from headwind.sandbox.clock import ScaledClock
from headwind.sandbox.emulator import Emulator

from ..conftest import EmulatorFactory
from ..support import require_tool
from ..waiting import eventually
from .manifests import configmap, deployment, namespace, update_request

CRDS = Path(__file__).resolve().parents[2] / "manifests" / "crds"
KUBECTL_TIMEOUT = 30.0
DEPLOYMENTS = "deployments.apps"
REPLICASETS = "replicasets.apps"
PODS = "pods"
REVISION = "deployment.kubernetes.io/revision"


@dataclass(frozen=True)
class Outcome:
    """What a person running kubectl sees."""

    status: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


@dataclass(frozen=True)
class Kubectl:
    """kubectl pointed at one emulator through its own kubeconfig and cache directory."""

    binary: str
    kubeconfig: Path
    cache_dir: Path

    async def run(self, *args: str, stdin: str | None = None, timeout: float = KUBECTL_TIMEOUT) -> Outcome:
        process = await asyncio.create_subprocess_exec(
            self.binary,
            "--kubeconfig",
            str(self.kubeconfig),
            "--cache-dir",
            str(self.cache_dir),
            "--request-timeout",
            "20s",
            *args,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            stdout, stderr = await asyncio.wait_for(
                process.communicate(stdin.encode() if stdin is not None else None), timeout
            )
        except TimeoutError:
            process.kill()
            await process.wait()
            raise AssertionError(f"kubectl {' '.join(args)} did not finish within {timeout}s") from None
        assert process.returncode is not None
        return Outcome(process.returncode, stdout.decode(), stderr.decode())

    async def ok(self, *args: str, stdin: str | None = None) -> Outcome:
        """Run kubectl and fail the test, showing its stderr, unless it exits 0."""
        outcome = await self.run(*args, stdin=stdin)
        assert outcome.status == 0, f"kubectl {' '.join(args)} exited {outcome.status}: {outcome.stderr}"
        return outcome

    async def fails(self, *args: str, stdin: str | None = None) -> Outcome:
        """Run kubectl and fail the test, showing its output, unless it exits 1 (kubectl's error status)."""
        outcome = await self.run(*args, stdin=stdin)
        assert outcome.status == 1, f"kubectl {' '.join(args)} exited {outcome.status}: {outcome.stdout}"
        return outcome

    async def apply(self, *objects: dict[str, Any]) -> Outcome:
        manifest = "\n".join(json.dumps(obj) for obj in objects)
        return await self.ok("apply", "--validate=false", "-f", "-", stdin=manifest)


def kubectl_for(emulator: Emulator, directory: Path, *, token: str | None = None) -> Kubectl:
    binary = require_tool("kubectl", why="the kubectl tests drive the emulator with the real kubectl")
    directory.mkdir(parents=True, exist_ok=True)
    if token is None:
        kubeconfig = emulator.write_kubeconfig(directory / "kubeconfig")
    else:
        kubeconfig = emulator.write_kubeconfig(directory / "kubeconfig", token=token)
    return Kubectl(binary, kubeconfig, directory / "kcache")


@pytest.fixture
def kubectl(emulator: Emulator, tmp_path: Path) -> Kubectl:
    return kubectl_for(emulator, tmp_path / "kubectl")


# -- arranging and observing through the emulator ----------------------------------------------


def stored(emulator: Emulator, storage: str, name: str, namespace: str = "default") -> dict[str, Any]:
    obj = emulator.store.get(storage, namespace, name)
    assert obj is not None, f"{storage} {namespace}/{name} does not exist"
    return obj


def containers(emulator: Emulator, name: str) -> dict[str, str]:
    """Container name -> image of a Deployment's pod template."""
    spec = stored(emulator, DEPLOYMENTS, name)["spec"]["template"]["spec"]
    return {c["name"]: c["image"] for c in spec["containers"]}


def replica_sets_of(emulator: Emulator, name: str) -> list[dict[str, Any]]:
    uid = stored(emulator, DEPLOYMENTS, name)["metadata"]["uid"]
    return [
        rs
        for rs in emulator.store.items(REPLICASETS, "default")
        if any(ref.get("uid") == uid for ref in rs["metadata"].get("ownerReferences") or ())
    ]


def revisions_by_image(emulator: Emulator, name: str) -> dict[str, str]:
    """Image of the first container -> the revision of the ReplicaSet running it."""
    return {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs["metadata"]["annotations"][REVISION]
        for rs in replica_sets_of(emulator, name)
    }


def table(outcome: Outcome) -> list[list[str]]:
    """kubectl's column output as rows of cells, without the header."""
    return [line.split() for line in outcome.lines[1:] if line.strip()]


async def rolled_out(emulator: Emulator, kubectl: Kubectl, *objects: dict[str, Any]) -> None:
    """Apply Deployments through kubectl and let their simulated rollouts finish."""
    await kubectl.apply(*objects)
    await emulator.wait_idle()


async def set_image(emulator: Emulator, kubectl: Kubectl, name: str, image: str) -> None:
    outcome = await kubectl.ok("set", "image", f"deployment/{name}", f"app={image}")
    assert outcome.stdout.strip() == f"deployment.apps/{name} image updated"
    await emulator.wait_idle()


# -- get ---------------------------------------------------------------------------------------


async def test_get_all_namespaces_selects_by_label_across_namespaces(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    for name in ("shop", "blog"):
        emulator.apply(namespace(name))
    emulator.apply(configmap("web-config", namespace="shop", labels={"app": "web", "tier": "front"}))
    emulator.apply(configmap("web-config", namespace="blog", labels={"app": "web", "tier": "back"}))
    emulator.apply(configmap("api-config", namespace="shop", labels={"app": "api"}))
    emulator.apply(configmap("unlabelled", namespace="default"))

    by_name = await kubectl.ok("get", "configmaps", "-A", "-l", "app=web", "-o", "name")
    assert by_name.lines == ["configmap/web-config", "configmap/web-config"]

    where = '{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}'
    located = await kubectl.ok("get", "cm", "--all-namespaces", "-l", "app=web", "-o", f"jsonpath={where}")
    assert sorted(located.lines) == ["blog/web-config", "shop/web-config"]

    set_based = await kubectl.ok(
        "get", "cm", "-A", "-l", "app in (web,api),tier!=back", "-o", f"jsonpath={where}"
    )
    assert sorted(set_based.lines) == ["shop/api-config", "shop/web-config"]

    tiers = await kubectl.ok(
        "get", "cm", "-A", "-l", "tier", "-o", "jsonpath={.items[*].metadata.labels.tier}"
    )
    assert sorted(tiers.stdout.split()) == ["back", "front"]


async def test_get_with_a_selector_matching_nothing_says_no_resources_found(kubectl: Kubectl) -> None:
    outcome = await kubectl.ok("get", "deploy", "-l", "app=nothing")
    assert outcome.stdout == ""
    assert "No resources found in default namespace." in outcome.stderr


@pytest.mark.parametrize(
    ("command", "message"),
    [
        pytest.param(("get", "deploy", "ghost"), 'deployments.apps "ghost" not found', id="get"),
        pytest.param(("delete", "configmap", "ghost"), 'configmaps "ghost" not found', id="delete"),
    ],
)
async def test_get_or_delete_of_a_missing_object_is_not_found(
    kubectl: Kubectl, command: tuple[str, ...], message: str
) -> None:
    outcome = await kubectl.fails(*command)
    assert message in outcome.stderr


# -- apply -------------------------------------------------------------------------------------


async def test_apply_creates_then_configures_then_leaves_a_deployment_unchanged(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    created = await kubectl.apply(deployment("web", "nginx:1.25.3"))
    assert created.stdout.strip() == "deployment.apps/web created"
    assert (
        "kubectl.kubernetes.io/last-applied-configuration"
        in stored(emulator, DEPLOYMENTS, "web")["metadata"]["annotations"]
    )

    configured = await kubectl.apply(deployment("web", "nginx:1.26.0"))
    assert configured.stdout.strip() == "deployment.apps/web configured"
    assert containers(emulator, "web") == {"app": "nginx:1.26.0"}
    assert stored(emulator, DEPLOYMENTS, "web")["metadata"]["generation"] == 2

    await emulator.wait_idle()
    before = stored(emulator, DEPLOYMENTS, "web")
    unchanged = await kubectl.apply(deployment("web", "nginx:1.26.0"))
    assert unchanged.stdout.strip() == "deployment.apps/web unchanged"
    assert (
        stored(emulator, DEPLOYMENTS, "web")["metadata"]["resourceVersion"]
        == before["metadata"]["resourceVersion"]
    )


async def test_apply_removes_a_field_that_left_the_manifest(emulator: Emulator, kubectl: Kubectl) -> None:
    labelled = deployment("web", labels={"app": "web", "team": "blue"})
    await kubectl.apply(labelled)
    await kubectl.apply(deployment("web"))
    assert stored(emulator, DEPLOYMENTS, "web")["metadata"]["labels"] == {"app": "web"}


async def test_apply_of_our_crds_serves_update_requests_by_name_and_short_name(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    crds = await kubectl.ok("apply", "--validate=false", "-f", str(CRDS))
    assert sorted(crds.lines) == [
        "customresourcedefinition.apiextensions.k8s.io/helmrepositories.source.toolkit.fluxcd.io created",
        "customresourcedefinition.apiextensions.k8s.io/updaterequests.headwind.sh created",
    ]
    empty = await kubectl.ok("get", "ur")
    assert "No resources found in default namespace." in empty.stderr

    request = update_request("web-nginx-1-26-0")
    created = await kubectl.apply(request)
    assert created.stdout.strip() == "updaterequest.headwind.sh/web-nginx-1-26-0 created"

    for name in (
        "ur",
        "upd",
        "updaterequest",
        "updaterequests.headwind.sh",
        "updaterequests.v1alpha1.headwind.sh",
    ):
        listed = await kubectl.ok("get", name, "-o", "name")
        assert listed.lines == ["updaterequest.headwind.sh/web-nginx-1-26-0"], name

    read_back = await kubectl.ok(
        "get", "ur", "web-nginx-1-26-0", "-o", "jsonpath={.spec.newImage} {.spec.requireApproval}"
    )
    assert read_back.stdout == "nginx:1.26.0 true"  # requireApproval comes from the CRD's schema default

    again = await kubectl.ok("apply", "--validate=false", "-f", str(CRDS))
    assert all(line.endswith(" unchanged") for line in again.lines), again.stdout


async def test_apply_of_an_update_request_is_configured_on_change_and_validated_against_the_crd(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    await kubectl.ok("apply", "--validate=false", "-f", str(CRDS / "updaterequest.yaml"))
    await kubectl.apply(update_request("web-update", policy="minor"))

    configured = await kubectl.apply(update_request("web-update", policy="patch"))
    assert configured.stdout.strip() == "updaterequest.headwind.sh/web-update configured"
    stored_request = emulator.store.get("updaterequests.headwind.sh", "default", "web-update")
    assert stored_request is not None
    assert stored_request["spec"]["policy"] == "patch"

    rejected = await kubectl.fails(
        "apply",
        "--validate=false",
        "-f",
        "-",
        stdin=json.dumps(update_request("bad-policy", policy="sometimes")),
    )
    assert "spec.policy" in rejected.stderr
    assert 'Unsupported value: "sometimes"' in rejected.stderr
    assert emulator.store.get("updaterequests.headwind.sh", "default", "bad-policy") is None


# -- patch -------------------------------------------------------------------------------------


def two_containers(name: str = "web") -> dict[str, Any]:
    return deployment(
        name,
        containers=[
            {"name": "app", "image": "nginx:1.25.3"},
            {"name": "sidecar", "image": "envoyproxy/envoy:v1.29.0"},
        ],
    )


async def test_strategic_patch_of_one_container_keeps_the_other(emulator: Emulator, kubectl: Kubectl) -> None:
    await kubectl.apply(two_containers())
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.26.0"}]}}}}

    outcome = await kubectl.ok("patch", "deployment", "web", "--type=strategic", "-p", json.dumps(patch))

    assert outcome.stdout.strip() == "deployment.apps/web patched"
    assert containers(emulator, "web") == {"app": "nginx:1.26.0", "sidecar": "envoyproxy/envoy:v1.29.0"}


async def test_strategic_patch_is_what_kubectl_patch_sends_by_default(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    await kubectl.apply(two_containers())
    patch = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "sidecar", "image": "envoyproxy/envoy:v1.30.0"}]}}
        }
    }

    await kubectl.ok("patch", "deploy/web", "-p", json.dumps(patch))

    assert containers(emulator, "web") == {"app": "nginx:1.25.3", "sidecar": "envoyproxy/envoy:v1.30.0"}


async def test_merge_patch_replaces_lists_and_deletes_keys_set_to_null(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    await kubectl.apply(two_containers())
    await kubectl.ok("label", "deploy/web", "team=blue")
    patch = {
        "metadata": {"labels": {"team": None, "tier": "front"}},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.26.0"}]}}},
    }

    outcome = await kubectl.ok("patch", "deployment", "web", "--type=merge", "-p", json.dumps(patch))

    assert outcome.stdout.strip() == "deployment.apps/web patched"
    assert containers(emulator, "web") == {"app": "nginx:1.26.0"}
    assert stored(emulator, DEPLOYMENTS, "web")["metadata"]["labels"] == {"app": "web", "tier": "front"}


async def test_json_patch_applies_when_its_test_holds_and_changes_nothing_when_it_fails(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    await kubectl.apply(deployment("web", replicas=1))
    guarded = [
        {"op": "test", "path": "/spec/replicas", "value": 1},
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "add", "path": "/metadata/annotations/headwind.sh~1policy", "value": "minor"},
    ]

    applied = await kubectl.ok("patch", "deployment", "web", "--type=json", "-p", json.dumps(guarded))

    assert applied.stdout.strip() == "deployment.apps/web patched"
    web = stored(emulator, DEPLOYMENTS, "web")
    assert web["spec"]["replicas"] == 3
    assert web["metadata"]["annotations"]["headwind.sh/policy"] == "minor"
    version = web["metadata"]["resourceVersion"]

    refused = await kubectl.fails("patch", "deployment", "web", "--type=json", "-p", json.dumps(guarded))

    assert refused.stderr.startswith("The request is invalid")  # kubectl's wording for a 422
    assert stored(emulator, DEPLOYMENTS, "web")["metadata"]["resourceVersion"] == version
    assert stored(emulator, DEPLOYMENTS, "web")["spec"]["replicas"] == 3


async def test_patch_that_changes_nothing_reports_no_change(kubectl: Kubectl) -> None:
    await kubectl.apply(deployment("web", replicas=2))
    outcome = await kubectl.ok("patch", "deploy", "web", "--type=merge", "-p", '{"spec":{"replicas":2}}')
    assert outcome.stdout.strip() == "deployment.apps/web patched (no change)"


# -- rollout -----------------------------------------------------------------------------------


async def test_rollout_status_succeeds_for_a_healthy_image(emulator: Emulator, kubectl: Kubectl) -> None:
    await kubectl.apply(deployment("web", "nginx:1.25.3", replicas=2))

    outcome = await kubectl.ok("rollout", "status", "deploy/web", "--timeout=20s")

    assert outcome.lines[-1] == 'deployment "web" successfully rolled out'
    status = stored(emulator, DEPLOYMENTS, "web")["status"]
    assert status["availableReplicas"] == status["updatedReplicas"] == 2


async def test_rollout_status_fails_when_an_unhealthy_image_exceeds_its_progress_deadline(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    await rolled_out(emulator, kubectl, deployment("web", "nginx:1.25.3"))
    await set_image(emulator, kubectl, "web", "nginx:1.26.0-bad")

    waiting = asyncio.create_task(kubectl.run("rollout", "status", "deploy/web", "--timeout=20s"))
    await eventually(
        lambda: emulator.store.watcher_count(DEPLOYMENTS) > 0 or waiting.done(),
        timeout=10,
        what="kubectl to watch the deployment",
    )
    assert not waiting.done(), "kubectl rollout status ended before the progress deadline"
    await emulator.advance(601)
    outcome = await asyncio.wait_for(waiting, KUBECTL_TIMEOUT)

    assert outcome.status == 1
    assert 'deployment "web" exceeded its progress deadline' in outcome.stderr
    assert "Waiting for deployment" in outcome.stdout
    conditions = {c["type"]: c for c in stored(emulator, DEPLOYMENTS, "web")["status"]["conditions"]}
    assert conditions["Progressing"]["reason"] == "ProgressDeadlineExceeded"


async def test_rollout_status_fails_at_once_when_a_scaled_clock_passed_the_deadline(
    make_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    emulator = await make_emulator(clock=ScaledClock(0.001))
    kubectl = kubectl_for(emulator, tmp_path / "kubectl")
    await kubectl.apply(deployment("canary", "nginx:1.26.0-bad"))
    await eventually(
        lambda: any(
            c.get("reason") == "ProgressDeadlineExceeded"
            for c in (stored(emulator, DEPLOYMENTS, "canary").get("status") or {}).get("conditions") or ()
        ),
        timeout=3,  # 600 simulated seconds at 0.001 take 0.6 s
        what="the canary's progress deadline to pass",
    )

    outcome = await kubectl.fails("rollout", "status", "deployment/canary", "--timeout=20s")

    assert 'error: deployment "canary" exceeded its progress deadline' in outcome.stderr


async def test_rollout_history_lists_a_revision_per_image_change(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    await rolled_out(emulator, kubectl, deployment("web", "nginx:1.25.3"))
    await set_image(emulator, kubectl, "web", "nginx:1.25.4")
    await set_image(emulator, kubectl, "web", "nginx:1.26.0")

    history = await kubectl.ok("rollout", "history", "deploy/web")

    assert history.lines[0].strip() == "deployment.apps/web"
    assert history.lines[1].split() == ["REVISION", "CHANGE-CAUSE"]
    assert [line.split()[0] for line in history.lines[2:] if line.strip()] == ["1", "2", "3"]

    second = await kubectl.ok("rollout", "history", "deploy/web", "--revision=2")
    assert "nginx:1.25.4" in second.stdout
    assert "revision #2" in second.stdout
    assert revisions_by_image(emulator, "web") == {
        "nginx:1.25.3": "1",
        "nginx:1.25.4": "2",
        "nginx:1.26.0": "3",
    }


async def test_rollout_undo_restores_the_previous_image_and_reuses_its_replica_set(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    await rolled_out(emulator, kubectl, deployment("web", "nginx:1.25.3", replicas=2))
    await set_image(emulator, kubectl, "web", "nginx:1.26.0")
    first_replica_set = {
        rs["metadata"]["name"]
        for rs in replica_sets_of(emulator, "web")
        if rs["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25.3"
    }

    undone = await kubectl.ok("rollout", "undo", "deploy/web")
    assert undone.stdout.strip() == "deployment.apps/web rolled back"
    await emulator.wait_idle()

    assert containers(emulator, "web") == {"app": "nginx:1.25.3"}
    assert len(replica_sets_of(emulator, "web")) == 2, "the rollback reuses the first ReplicaSet"
    assert revisions_by_image(emulator, "web") == {"nginx:1.25.3": "3", "nginx:1.26.0": "2"}
    assert {
        rs["metadata"]["name"]
        for rs in replica_sets_of(emulator, "web")
        if rs["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25.3"
    } == first_replica_set
    assert stored(emulator, DEPLOYMENTS, "web")["metadata"]["annotations"][REVISION] == "3"
    status = await kubectl.ok("rollout", "status", "deploy/web", "--timeout=20s")
    assert status.lines[-1] == 'deployment "web" successfully rolled out'
    history = await kubectl.ok("rollout", "history", "deploy/web")
    assert [line.split()[0] for line in history.lines[2:] if line.strip()] == ["2", "3"]


async def test_rollout_undo_to_a_named_revision(emulator: Emulator, kubectl: Kubectl) -> None:
    await rolled_out(emulator, kubectl, deployment("web", "nginx:1.25.3"))
    await set_image(emulator, kubectl, "web", "nginx:1.25.4")
    await set_image(emulator, kubectl, "web", "nginx:1.26.0")

    await kubectl.ok("rollout", "undo", "deploy/web", "--to-revision=1")
    await emulator.wait_idle()

    assert containers(emulator, "web") == {"app": "nginx:1.25.3"}
    assert revisions_by_image(emulator, "web")["nginx:1.25.3"] == "4"


# -- delete, scale -----------------------------------------------------------------------------


async def test_delete_of_a_deployment_garbage_collects_its_replica_sets_and_pods(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    await rolled_out(emulator, kubectl, deployment("web", replicas=2), deployment("api"))
    assert len(emulator.store.items(PODS, "default")) == 3

    deleted = await kubectl.ok("delete", "deployment", "web")
    assert deleted.stdout.strip() == 'deployment.apps "web" deleted'
    await emulator.wait_idle()

    gone = await kubectl.ok("get", "deploy,rs,pods", "-l", "app=web", "-o", "name")
    assert gone.stdout == ""
    left = await kubectl.ok("get", "deploy,rs,pods", "-o", "name")
    assert [line.split("/")[0] for line in left.lines] == ["deployment.apps", "replicaset.apps", "pod"]
    assert all("/api" in line for line in left.lines)


async def test_scale_changes_replicas_through_the_scale_subresource(
    emulator: Emulator, kubectl: Kubectl
) -> None:
    await rolled_out(emulator, kubectl, deployment("web", replicas=1))

    scaled = await kubectl.ok("scale", "deployment/web", "--replicas=3")
    assert scaled.stdout.strip() == "deployment.apps/web scaled"
    await emulator.wait_idle()

    assert stored(emulator, DEPLOYMENTS, "web")["spec"]["replicas"] == 3
    pods = await kubectl.ok("get", "pods", "-l", "app=web", "-o", "name")
    assert len(pods.lines) == 3
    assert emulator.faults.matching("PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale") or (
        emulator.faults.matching("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale")
    )

    guarded = await kubectl.fails("scale", "deployment/web", "--current-replicas=2", "--replicas=5")
    assert "Expected replicas to be 2, was 3" in guarded.stderr


# -- auth, discovery, version ------------------------------------------------------------------


async def test_auth_can_i_answers_from_the_permission_table(
    make_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    # kubectl sends tokens only over https, so a named user needs TLS.
    emulator = await make_emulator(tls=True, tokens={"alice-token": User("alice")})
    emulator.access.grant("alice", Permission(verbs=("get", "list"), groups=("",), resources=("pods",)))
    kubectl = kubectl_for(emulator, tmp_path / "alice", token="alice-token")

    allowed = await kubectl.run("auth", "can-i", "list", "pods")
    denied = await kubectl.run("auth", "can-i", "delete", "pods")
    elsewhere = await kubectl.run("auth", "can-i", "create", "deployments.apps", "-n", "kube-system")

    assert (allowed.status, allowed.stdout.strip()) == (0, "yes")
    assert (denied.status, denied.stdout.split()[0]) == (1, "no")
    assert (elsewhere.status, elsewhere.stdout.split()[0]) == (1, "no")


async def test_get_raw_version_returns_the_server_version(kubectl: Kubectl) -> None:
    outcome = await kubectl.ok("get", "--raw", "/version")
    version = json.loads(outcome.stdout)
    assert version["major"] == "1"
    assert version["gitVersion"].startswith("v1.")


async def test_api_resources_lists_short_names_including_our_crds(kubectl: Kubectl) -> None:
    await kubectl.ok("apply", "--validate=false", "-f", str(CRDS))

    outcome = await kubectl.ok("api-resources")
    rows = {row[0]: row for row in table(outcome)}

    assert outcome.lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert rows["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert rows["updaterequests"] == [
        "updaterequests",
        "ur,upd",
        "headwind.sh/v1alpha1",
        "true",
        "UpdateRequest",
    ]
    assert rows["namespaces"] == ["namespaces", "ns", "v1", "false", "Namespace"]


# -- TLS and tokens ----------------------------------------------------------------------------


async def test_kubectl_over_tls_uses_the_kubeconfig_ca_and_token(
    make_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    emulator = await make_emulator(tls=True)
    assert emulator.url.startswith("https://")
    admin = kubectl_for(emulator, tmp_path / "admin")
    intruder = kubectl_for(emulator, tmp_path / "intruder", token="not-a-sandbox-token")

    namespaces = await admin.ok("get", "namespaces", "-o", "name")
    who = await admin.ok("auth", "can-i", "delete", "namespaces")
    refused = await intruder.fails("get", "namespaces")

    assert "namespace/default" in namespaces.lines
    assert who.stdout.strip() == "yes"
    # then "(Unauthorized)" from kubectl 1.20; newer ones explain "the server has asked for credentials"
    assert "error: You must be logged in to the server" in refused.stderr
