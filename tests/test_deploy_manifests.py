"""The install manifests (``manifests/deploy/`` and ``manifests/kustomization.yaml``).

What is checked, and how, given that there is no cluster here:

- Every file parses, and every field of every object is one the Kubernetes API knows: each object
  goes through the client's typed models and back, which drops unknown (misspelled) fields, so a
  difference is a typo a cluster would reject or, worse, silently ignore.
- ``kubectl kustomize manifests/`` renders all of it, the Namespace and the CRD first.
- Everything the sandbox serves is applied to it through kubernetes-asyncio: CRDs first, then the
  Namespace, then the rest, and the Deployment rolls out. The sandbox serves no
  ``rbac.authorization.k8s.io``, so the RBAC objects are not applied; instead their rules are
  translated into the sandbox's permission table and the operator itself runs under exactly those
  permissions: it must sync every informer and win the Lease without a single 403, and without the
  Role it must not win the Lease.
- The Deployment is wired the way ``headwind.model.config`` expects: its env loads as valid settings,
  the probes hit ``/healthz`` and ``/readyz`` on the metrics port, the container ports are the
  settings' ports, the Services' ports equal them, and no service link can shadow a port variable.
- The ClusterRole grants every (group, resource, verb) the code uses today and exactly the planned
  table, no more; the Role grants only the Lease verbs, in the operator's namespace.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_asyncio import client, config
from kubernetes_asyncio.utils import create_from_dict

from headwind.adapters.kube.informer import InformerSettings
from headwind.adapters.kube.pods import LEADER_LABEL
from headwind.adapters.kube.resources import WORKLOAD_SPECS
from headwind.app.runtime import OPTIONAL_KINDS, Operator
from headwind.model.config import VARIABLES_BY_NAME, Settings, load_settings
from headwind.model.workloads import ObjectKey
from headwind.sandbox.auth import Permission, User
from headwind.sandbox.emulator import Emulator

from .sandbox.manifests import deployment, helm_release_crd
from .support import require_tool
from .waiting import eventually

MANIFESTS = Path(__file__).resolve().parents[1] / "manifests"
DEPLOY = MANIFESTS / "deploy"
DEPLOY_FILES = sorted(DEPLOY.glob("*.yaml"))
NAMESPACE = "headwind-system"
RBAC_GROUP = "rbac.authorization.k8s.io"
POD_NAME = "headwind-7d9c5b6f4-x2x7q"  # what metadata.name resolves to in one replica

Grant = tuple[str, str, str]  # (API group, resource, verb)


def grants(group: str, resources: Iterable[str], verbs: Iterable[str]) -> set[Grant]:
    return {(group, resource, verb) for resource in resources for verb in verbs}


READ = ("get", "list", "watch")
WORKLOAD_VERBS = (*READ, "patch", "update")

# What the operator does today. Informers list and watch every kind they cache (the workloads,
# UpdateRequests and Flux's two kinds, taken from the code so a new informer must be granted);
# discovery needs no grant. The Lease is in the Role: see LEASE.
USED_TODAY: set[Grant] = {
    (spec.group, spec.plural, verb)
    for spec in (*WORKLOAD_SPECS.values(), *OPTIONAL_KINDS)
    for verb in ("list", "watch")
}

# headwind.adapters.kube.lease: read_namespaced_lease, create_namespaced_lease and
# replace_namespaced_lease, in the operator's namespace.
LEASE: set[Grant] = grants("coordination.k8s.io", ["leases"], ["get", "create", "update"])
OWN_POD_LABEL: set[Grant] = grants("", ["pods"], ["patch"])  # the leader labels its own pod

# What the house plan's features need, cluster-wide: the ClusterRole must grant exactly this.
PLANNED: set[Grant] = (
    grants("apps", ["deployments", "statefulsets", "daemonsets"], WORKLOAD_VERBS)  # image updates
    | grants("batch", ["cronjobs"], WORKLOAD_VERBS)
    | grants("apps", ["replicasets"], READ)  # rollout health
    | grants("", ["pods"], READ)
    | grants("", ["events"], ["create", "patch"])  # Events on updated workloads
    | grants("events.k8s.io", ["events"], ["create", "patch"])
    | grants("", ["secrets"], READ)  # registry credentials from imagePullSecrets
    | grants("", ["serviceaccounts"], ["get"])
    | grants("headwind.sh", ["updaterequests"], [*READ, "create", "update", "patch", "delete"])
    | grants("headwind.sh", ["updaterequests/status"], ["get", "update", "patch"])
    | grants("helm.toolkit.fluxcd.io", ["helmreleases"], WORKLOAD_VERBS)
    | grants("source.toolkit.fluxcd.io", ["helmrepositories"], READ)
    | grants("authentication.k8s.io", ["tokenreviews"], ["create"])  # API and UI authentication
    | grants("authorization.k8s.io", ["subjectaccessreviews"], ["create"])
)

# Services Headwind (Rust) creates, and the container port each serves.
SERVICES = {
    "headwind-webhook": "webhook",
    "headwind-api": "api",
    "headwind-ui": "ui",
    "headwind-metrics": "metrics",
}
PORT_SETTINGS = {"webhook": "webhook_port", "api": "api_port", "ui": "ui_port", "metrics": "metrics_port"}


def documents(path: Path) -> list[dict[str, Any]]:
    found = [document for document in yaml.safe_load_all(path.read_text()) if document is not None]
    assert all(isinstance(document, dict) for document in found), path
    return found


def deploy_objects() -> list[dict[str, Any]]:
    return [obj for path in DEPLOY_FILES for obj in documents(path)]


def the(kind: str, name: str | None = None) -> dict[str, Any]:
    [obj] = [o for o in deploy_objects() if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    return obj


def pod_spec() -> dict[str, Any]:
    spec: dict[str, Any] = the("Deployment")["spec"]["template"]["spec"]
    return spec


def container() -> dict[str, Any]:
    [only] = pod_spec()["containers"]
    assert isinstance(only, dict)
    return only


def container_ports() -> dict[str, int]:
    return {port["name"]: port["containerPort"] for port in container()["ports"]}


def pod_env(pod_name: str = POD_NAME) -> dict[str, str]:
    """The container's environment as the kubelet builds it in one pod (no optional Secret present)."""
    field_values = {"metadata.namespace": NAMESPACE, "metadata.name": pod_name}
    env: dict[str, str] = {}
    for variable in container()["env"]:
        if "value" in variable:
            env[variable["name"]] = variable["value"]
            continue
        source = variable["valueFrom"]
        if "fieldRef" in source:
            env[variable["name"]] = field_values[source["fieldRef"]["fieldPath"]]
        else:
            assert source["secretKeyRef"]["optional"] is True, variable  # absent Secret: unset
    return env


def granted(rules: Iterable[dict[str, Any]]) -> Iterator[Grant]:
    for rule in rules:
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule, rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    yield group, resource, verb


def subject_name(subject: dict[str, Any]) -> str:
    if subject["kind"] == "ServiceAccount":
        return f"system:serviceaccount:{subject['namespace']}:{subject['name']}"
    return str(subject["name"])


# --- the files ---------------------------------------------------------------------------------------


def test_the_deploy_directory_holds_the_operators_objects() -> None:
    kinds = sorted((obj["kind"], obj["metadata"]["name"]) for obj in deploy_objects())

    assert kinds == [
        ("ClusterRole", "headwind"),
        ("ClusterRoleBinding", "headwind"),
        ("Deployment", "headwind"),
        ("Namespace", NAMESPACE),
        ("Role", "headwind-leader-election"),
        ("RoleBinding", "headwind-leader-election"),
        ("Service", "headwind-api"),
        ("Service", "headwind-metrics"),
        ("Service", "headwind-ui"),
        ("Service", "headwind-webhook"),
        ("ServiceAccount", "headwind"),
    ]


@pytest.mark.parametrize("path", [*DEPLOY_FILES, MANIFESTS / "kustomization.yaml"], ids=lambda p: p.name)
def test_every_manifest_parses(path: Path) -> None:
    for obj in documents(path):
        assert {"apiVersion", "kind"} <= obj.keys(), path


def test_namespaced_objects_live_in_headwind_system() -> None:
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
    for obj in deploy_objects():
        expected = None if obj["kind"] in cluster_scoped else NAMESPACE
        assert obj["metadata"].get("namespace") == expected, obj["metadata"]


async def test_every_field_is_one_the_kubernetes_api_knows() -> None:
    """The typed models drop what they do not know: a round trip that changes an object found a typo."""

    class Response:
        def __init__(self, obj: dict[str, Any]) -> None:
            self.data = json.dumps(obj)

    async with client.ApiClient() as api:
        for obj in deploy_objects():
            version = obj["apiVersion"].rpartition("/")[2]
            model = api.deserialize(Response(obj), f"{version.capitalize()}{obj['kind']}")
            assert api.sanitize_for_serialization(model) == obj, obj["metadata"]["name"]


def test_the_kustomization_installs_the_updaterequest_crd_and_every_deploy_file() -> None:
    [kustomization] = documents(MANIFESTS / "kustomization.yaml")
    resources = kustomization["resources"]

    assert kustomization["kind"] == "Kustomization"
    # Flux's HelmRepository CRD stays out: where Flux runs, its own definition must not be replaced.
    assert set(resources) == {
        "crds/updaterequest.yaml",
        *(f"deploy/{path.name}" for path in DEPLOY_FILES),
    }


def test_kubectl_kustomize_renders_everything_namespace_and_crd_first() -> None:
    kubectl = require_tool("kubectl", why="renders manifests/kustomization.yaml as `kubectl apply -k` would")
    rendered = subprocess.run(
        [kubectl, "kustomize", str(MANIFESTS)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    objects = [obj for obj in yaml.safe_load_all(rendered) if obj]
    expected = [*documents(MANIFESTS / "crds" / "updaterequest.yaml"), *deploy_objects()]

    assert sorted(json.dumps(obj, sort_keys=True) for obj in objects) == sorted(
        json.dumps(obj, sort_keys=True) for obj in expected
    )
    assert [obj["kind"] for obj in objects[:2]] == ["Namespace", "CustomResourceDefinition"]


# --- the Deployment, as config.py reads it ----------------------------------------------------------


def test_the_pods_environment_is_a_valid_configuration() -> None:
    settings = load_settings(pod_env())

    assert settings.warnings() == ()
    assert settings.namespace == NAMESPACE
    assert settings.lease_namespace == NAMESPACE  # the Role's namespace
    assert settings.identity == POD_NAME
    assert settings.leader_election is True
    assert settings.log_format == "json"
    assert the("Deployment")["spec"]["replicas"] >= 2  # a standby, which leader election allows


def test_the_container_ports_are_the_configured_ports() -> None:
    settings = load_settings(pod_env())

    assert {name: getattr(settings, field) for name, field in PORT_SETTINGS.items()} == container_ports()


def test_the_probes_check_health_on_the_metrics_port() -> None:
    spec = container()
    metrics = container_ports()["metrics"]
    probes = {
        name: (spec[name]["httpGet"]["path"], spec[name]["httpGet"]["port"])
        for name in ("startupProbe", "livenessProbe", "readinessProbe")
    }

    assert {name: path for name, (path, _) in probes.items()} == {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }
    for _, port in probes.values():
        assert port in ("metrics", metrics)
    startup = spec["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60  # generous


def test_no_service_link_can_shadow_a_port_variable() -> None:
    # The trap is real: each Service's link variable is one of our port variables...
    links = {name.upper().replace("-", "_") + "_PORT" for name in SERVICES}
    assert links <= VARIABLES_BY_NAME.keys()
    # ...so service links are off, and nothing in the spec sets a port variable to a non-port.
    assert pod_spec()["enableServiceLinks"] is False
    for name in links & pod_env().keys():
        assert pod_env()[name].isdigit(), name


def test_termination_waits_longer_than_the_shutdown_grace() -> None:
    settings = load_settings(pod_env())

    assert pod_spec()["terminationGracePeriodSeconds"] > settings.shutdown_grace + 5


def test_the_pod_meets_the_restricted_pod_security_standard() -> None:
    pod, box = pod_spec()["securityContext"], container()["securityContext"]

    assert the("Namespace")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert (pod["runAsNonRoot"], pod["runAsUser"], pod["seccompProfile"]) == (
        True,
        65532,
        {"type": "RuntimeDefault"},
    )
    assert box["allowPrivilegeEscalation"] is False
    assert box["readOnlyRootFilesystem"] is True
    assert box["capabilities"] == {"drop": ["ALL"]}
    # The image writes only under /tmp (its HOME), which must then be a volume.
    assert [m["mountPath"] for m in container()["volumeMounts"]] == ["/tmp"]
    assert [set(volume) for volume in pod_spec()["volumes"]] == [{"name", "emptyDir"}]


def test_the_image_resources_and_scrape_annotations() -> None:
    template = the("Deployment")["spec"]["template"]

    assert container()["image"] == "ghcr.io/headwind-sh/headwind-python:0.1.0"
    assert container()["args"] == ["run"]
    assert container()["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    assert template["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(container_ports()["metrics"]),
        "prometheus.io/path": "/metrics",
    }


def test_each_service_keeps_headwinds_name_on_the_port_its_server_listens_on() -> None:
    pod_labels = the("Deployment")["spec"]["template"]["metadata"]["labels"]
    ports = container_ports()

    for name, port_name in SERVICES.items():
        spec = the("Service", name)["spec"]
        [port] = spec["ports"]
        selector = {key: value for key, value in spec["selector"].items() if key != LEADER_LABEL}
        assert selector.items() <= pod_labels.items(), name
        assert (port["name"], port["targetPort"]) == (port_name, port_name), name
        assert port["port"] == ports[port_name], name  # port == targetPort, unlike Headwind's 80


# --- RBAC --------------------------------------------------------------------------------------------


def test_the_clusterrole_grants_what_the_code_uses_today() -> None:
    assert USED_TODAY - set(granted(the("ClusterRole")["rules"])) == set()


def test_the_clusterrole_grants_exactly_the_planned_permissions() -> None:
    rules = the("ClusterRole")["rules"]

    assert not any("*" in rule[key] for rule in rules for key in ("apiGroups", "resources", "verbs"))
    assert set(granted(rules)) == PLANNED
    assert USED_TODAY <= PLANNED


def test_the_webhook_service_selects_only_the_leader() -> None:
    assert the("Service", "headwind-webhook")["spec"]["selector"][LEADER_LABEL] == "true"
    assert all(
        LEADER_LABEL not in the("Service", name)["spec"]["selector"]
        for name in SERVICES
        if "webhook" not in name
    )


def test_the_role_grants_only_the_lease_and_the_pod_label_in_the_operators_namespace() -> None:
    role = the("Role")

    assert role["metadata"]["namespace"] == load_settings(pod_env()).lease_namespace
    assert set(granted(role["rules"])) == LEASE | OWN_POD_LABEL


def test_both_bindings_bind_the_deployments_service_account() -> None:
    account = the("ServiceAccount")["metadata"]
    subject = {"kind": "ServiceAccount", "name": account["name"], "namespace": account["namespace"]}

    assert pod_spec()["serviceAccountName"] == account["name"]
    for kind, role_kind in (("ClusterRoleBinding", "ClusterRole"), ("RoleBinding", "Role")):
        binding = the(kind)
        assert binding["subjects"] == [subject], kind
        assert binding["roleRef"] == {
            "apiGroup": RBAC_GROUP,
            "kind": role_kind,
            "name": the(role_kind)["metadata"]["name"],
        }


# --- against the sandbox -----------------------------------------------------------------------------

OPERATOR_TOKEN = "headwind-service-account-token"
OPERATOR_USER = User(
    f"system:serviceaccount:{NAMESPACE}:headwind",
    ("system:serviceaccounts", f"system:serviceaccounts:{NAMESPACE}", "system:authenticated"),
)
FAST_INFORMERS = InformerSettings(recheck_interval=0.2, backoff_base=0.01, backoff_cap=0.1)


async def apply_in_order(kube: client.ApiClient, emulator: Emulator) -> list[dict[str, Any]]:
    """Create every manifest the sandbox serves, as `kubectl create` would: CRDs, the Namespace, the
    rest. Returns the objects it could not create because the sandbox does not serve their group."""
    groups = {group.name for group in (await client.ApisApi(kube).get_api_versions()).groups}
    crds = [obj for path in sorted((MANIFESTS / "crds").glob("*.yaml")) for obj in documents(path)]
    rest = sorted(deploy_objects(), key=lambda obj: obj["kind"] != "Namespace")
    unserved = []
    for obj in [*crds, *rest]:
        group = obj["apiVersion"].rpartition("/")[0]
        if group and group not in groups:
            unserved.append(obj)
            continue
        await create_from_dict(kube, obj)
        await emulator.wait_idle()
    return unserved


async def test_the_manifests_apply_to_the_sandbox_and_the_operator_rolls_out(
    emulator: Emulator, kube: client.ApiClient
) -> None:
    unserved = await apply_in_order(kube, emulator)

    # The sandbox serves no RBAC API (yet): the permission tests below cover those objects instead.
    assert {obj["apiVersion"] for obj in unserved} <= {f"{RBAC_GROUP}/v1"}
    apps, core = client.AppsV1Api(kube), client.CoreV1Api(kube)
    services = await core.list_namespaced_service(NAMESPACE)
    assert sorted(service.metadata.name for service in services.items) == sorted(SERVICES)
    await core.read_namespaced_service_account("headwind", NAMESPACE)
    operator = await apps.read_namespaced_deployment("headwind", NAMESPACE)
    assert operator.spec.template.spec.enable_service_links is False
    assert (operator.status.replicas, operator.status.ready_replicas) == (2, 2)


def grant_the_manifests_rbac(emulator: Emulator) -> None:
    """Translate the ClusterRole/Role and their bindings into the sandbox's permission table."""
    emulator.access.tokens[OPERATOR_TOKEN] = OPERATOR_USER
    for binding_kind in ("ClusterRoleBinding", "RoleBinding"):
        binding = the(binding_kind)
        role = the(binding["roleRef"]["kind"], binding["roleRef"]["name"])
        namespaces = (binding["metadata"]["namespace"],) if binding_kind == "RoleBinding" else ("*",)
        for subject in binding["subjects"]:
            for rule in role["rules"]:
                emulator.access.grant(
                    subject_name(subject),
                    Permission(
                        tuple(rule["verbs"]), tuple(rule["apiGroups"]), tuple(rule["resources"]), namespaces
                    ),
                )


async def start_as_the_service_account(
    emulator: Emulator, tmp_path: Path
) -> tuple[Operator, client.ApiClient]:
    """The operator with the Deployment's configuration, authenticated as its ServiceAccount."""
    kubeconfig = emulator.write_kubeconfig(tmp_path / "operator.kubeconfig", token=OPERATOR_TOKEN)
    api = await config.new_client_from_config(config_file=str(kubeconfig))
    fast: dict[str, Any] = {
        "bind_address": "127.0.0.1",
        "webhook_port": 0,
        "api_port": 0,
        "ui_port": 0,
        "metrics_port": 0,
        "lease_duration": 1.0,
        "lease_renew_deadline": 0.6,
        "lease_retry_period": 0.1,
        "shutdown_grace": 2.0,
    }
    settings: Settings = dataclasses.replace(load_settings(pod_env()), **fast)
    operator = Operator(settings, api, informer_settings=FAST_INFORMERS)
    await operator.start()
    return operator, api


def forbidden(emulator: Emulator) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in emulator.faults.requests
        if r.user == OPERATOR_USER.name and r.status == 403
    ]


async def test_the_operator_runs_under_exactly_the_manifests_permissions(
    emulator: Emulator, kube: client.ApiClient, tmp_path: Path
) -> None:
    await apply_in_order(kube, emulator)
    await create_from_dict(kube, helm_release_crd())
    grant_the_manifests_rbac(emulator)
    operator, api = await start_as_the_service_account(emulator, tmp_path)
    try:
        await operator.wait_synced(10)
        assert all(informer.served for informer in operator.informers.values())
        await eventually(
            lambda: operator.elector is not None and operator.elector.is_leader, what="the Lease"
        )
        lease = await client.CoordinationV1Api(kube).read_namespaced_lease("headwind-leader", NAMESPACE)
        assert lease.spec.holder_identity == POD_NAME
        await client.AppsV1Api(kube).create_namespaced_deployment("default", deployment("web"))
        key = ObjectKey("Deployment", "default", "web")
        await eventually(
            lambda: any(decision.key == key for decision in operator.dispatcher.recent), what="a decision"
        )
        assert forbidden(emulator) == []
    finally:
        await operator.shutdown()
        await api.close()


async def test_without_the_role_the_operator_cannot_take_the_lease(
    emulator: Emulator, kube: client.ApiClient, tmp_path: Path
) -> None:
    await apply_in_order(kube, emulator)
    grant_the_manifests_rbac(emulator)
    assert emulator.access.permissions is not None
    emulator.access.permissions[OPERATOR_USER.name] = [
        p for p in emulator.access.permissions[OPERATOR_USER.name] if p.namespaces == ("*",)
    ]
    operator, api = await start_as_the_service_account(emulator, tmp_path)
    try:
        await operator.wait_synced(10)  # the ClusterRole alone is enough to watch
        await eventually(lambda: bool(forbidden(emulator)), what="a 403")
        leases = f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases"
        pods = f"PATCH /api/v1/namespaces/{NAMESPACE}/pods/"
        refused = forbidden(emulator)
        assert all(leases in request or request.startswith(pods) for request in refused), refused
        assert operator.elector is not None and not operator.elector.is_leader
    finally:
        await operator.shutdown()
        await api.close()
