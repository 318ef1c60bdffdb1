"""The sandbox defaults built-in objects the way kube-apiserver does (SetDefaults_* and admission)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from headwind.sandbox.defaults import apply_defaults

_MISSING = object()


def at(obj: Any, path: str) -> Any:
    """The value at a dotted path (list indices as numbers), or ``_MISSING``."""
    for part in path.split("."):
        if isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        elif isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            return _MISSING
    return obj


def defaulted(group: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(obj)
    apply_defaults(group, kind, result)
    return result


def pod_spec(**extra: Any) -> dict[str, Any]:
    return {"containers": [{"name": "app", "image": "nginx:1.25"}], **extra}


def template(**extra: Any) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec(**extra)}


def deployment(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web"}, "spec": {"template": template(), **spec}}


def with_spec(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "x"}, "spec": {"template": template(), **spec}}


def pod(**extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web-1"}, "spec": pod_spec(**extra)}


def cronjob() -> dict[str, Any]:
    return {
        "metadata": {"name": "nightly"},
        "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template()}}},
    }


# --------------------------------------------------------------------------------------------------
# Workload defaults
# --------------------------------------------------------------------------------------------------

WORKLOAD_DEFAULTS = [
    ("apps", "Deployment", deployment(), "spec.replicas", 1),
    (
        "apps",
        "Deployment",
        deployment(),
        "spec.strategy",
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
    ),
    ("apps", "Deployment", deployment(), "spec.revisionHistoryLimit", 10),
    ("apps", "Deployment", deployment(), "spec.progressDeadlineSeconds", 600),
    ("apps", "ReplicaSet", with_spec(), "spec.replicas", 1),
    ("apps", "StatefulSet", with_spec(), "spec.replicas", 1),
    ("apps", "StatefulSet", with_spec(), "spec.podManagementPolicy", "OrderedReady"),
    (
        "apps",
        "StatefulSet",
        with_spec(),
        "spec.updateStrategy",
        {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
    ),
    ("apps", "StatefulSet", with_spec(), "spec.revisionHistoryLimit", 10),
    (
        "apps",
        "StatefulSet",
        with_spec(),
        "spec.persistentVolumeClaimRetentionPolicy",
        {"whenDeleted": "Retain", "whenScaled": "Retain"},
    ),
    (
        "apps",
        "DaemonSet",
        with_spec(),
        "spec.updateStrategy",
        {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
    ),
    ("apps", "DaemonSet", with_spec(), "spec.revisionHistoryLimit", 10),
    ("batch", "Job", with_spec(), "spec.parallelism", 1),
    ("batch", "Job", with_spec(), "spec.completions", 1),
    ("batch", "Job", with_spec(), "spec.backoffLimit", 6),
    ("batch", "Job", with_spec(), "spec.completionMode", "NonIndexed"),
    ("batch", "Job", with_spec(), "spec.suspend", False),
    ("batch", "Job", with_spec(), "spec.podReplacementPolicy", "TerminatingOrFailed"),
    ("batch", "CronJob", cronjob(), "spec.concurrencyPolicy", "Allow"),
    ("batch", "CronJob", cronjob(), "spec.suspend", False),
    ("batch", "CronJob", cronjob(), "spec.successfulJobsHistoryLimit", 3),
    ("batch", "CronJob", cronjob(), "spec.failedJobsHistoryLimit", 1),
    ("", "Secret", {"metadata": {"name": "s"}}, "type", "Opaque"),
    ("", "Secret", {"metadata": {"name": "s"}, "type": ""}, "type", "Opaque"),
    ("", "Namespace", {"metadata": {"name": "prod"}}, "spec.finalizers", ["kubernetes"]),
    ("", "Namespace", {"metadata": {"name": "prod"}}, "status.phase", "Active"),
    (
        "",
        "Namespace",
        {"metadata": {"name": "prod"}},
        "metadata.labels",
        {"kubernetes.io/metadata.name": "prod"},
    ),
    ("", "PersistentVolumeClaim", {"metadata": {"name": "data"}}, "spec.volumeMode", "Filesystem"),
]


@pytest.mark.parametrize(("group", "kind", "obj", "path", "expected"), WORKLOAD_DEFAULTS)
def test_missing_fields_get_the_apiserver_default(
    group: str, kind: str, obj: dict[str, Any], path: str, expected: Any
) -> None:
    assert at(defaulted(group, kind, obj), path) == expected


@pytest.mark.parametrize(
    ("group", "kind", "obj", "path", "kept"),
    [
        ("apps", "Deployment", deployment(replicas=0), "spec.replicas", 0),
        ("apps", "Deployment", deployment(progressDeadlineSeconds=30), "spec.progressDeadlineSeconds", 30),
        (
            "apps",
            "Deployment",
            deployment(strategy={"rollingUpdate": {"maxSurge": 0}}),
            "spec.strategy.rollingUpdate.maxSurge",
            0,
        ),
        (
            "apps",
            "DaemonSet",
            with_spec(updateStrategy={"type": "OnDelete"}),
            "spec.updateStrategy",
            {"type": "OnDelete"},
        ),
        (
            "apps",
            "StatefulSet",
            with_spec(podManagementPolicy="Parallel"),
            "spec.podManagementPolicy",
            "Parallel",
        ),
        ("batch", "Job", with_spec(suspend=True, backoffLimit=0), "spec.backoffLimit", 0),
        ("batch", "Job", with_spec(suspend=True), "spec.suspend", True),
        ("batch", "CronJob", {"spec": {"concurrencyPolicy": "Forbid"}}, "spec.concurrencyPolicy", "Forbid"),
        ("", "Secret", {"type": "kubernetes.io/tls"}, "type", "kubernetes.io/tls"),
        ("", "Namespace", {"metadata": {"name": "gone"}, "spec": {"finalizers": []}}, "spec.finalizers", []),
    ],
)
def test_values_the_client_sent_are_kept(
    group: str, kind: str, obj: dict[str, Any], path: str, kept: Any
) -> None:
    assert at(defaulted(group, kind, obj), path) == kept


def test_recreate_deployment_gets_no_rolling_update_block() -> None:
    result = defaulted("apps", "Deployment", deployment(strategy={"type": "Recreate"}))
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_deployment_with_null_fields_is_defaulted_like_missing_ones() -> None:
    result = defaulted("apps", "Deployment", deployment(replicas=None, strategy=None))
    assert result["spec"]["replicas"] == 1 and result["spec"]["strategy"]["type"] == "RollingUpdate"


@pytest.mark.parametrize(
    ("update_strategy", "expected"),
    [
        ({"type": "RollingUpdate"}, {"type": "RollingUpdate"}),
        (
            {"type": "RollingUpdate", "rollingUpdate": {}},
            {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        ),
        ({"rollingUpdate": {"partition": 2}}, {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}),
        ({"type": "OnDelete"}, {"type": "OnDelete"}),
    ],
)
def test_statefulset_partition_is_only_filled_in_an_existing_or_defaulted_rolling_update(
    update_strategy: dict[str, Any], expected: dict[str, Any]
) -> None:
    result = defaulted("apps", "StatefulSet", with_spec(updateStrategy=update_strategy))
    assert result["spec"]["updateStrategy"] == expected


def test_statefulset_volume_claim_templates_are_defaulted() -> None:
    claim = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}
    result = defaulted("apps", "StatefulSet", with_spec(volumeClaimTemplates=[claim]))
    assert at(result, "spec.volumeClaimTemplates.0.spec.volumeMode") == "Filesystem"
    assert at(result, "spec.volumeClaimTemplates.0.status.phase") == "Pending"


@pytest.mark.parametrize(
    ("spec", "completions", "parallelism"),
    [
        ({}, 1, 1),
        ({"parallelism": 3}, _MISSING, 3),
        ({"completions": 5}, 5, 1),
        ({"completions": 5, "parallelism": 2}, 5, 2),
    ],
)
def test_job_completions_default_to_one_only_when_parallelism_is_unset_too(
    spec: dict[str, Any], completions: Any, parallelism: int
) -> None:
    result = defaulted("batch", "Job", with_spec(**spec))
    assert at(result, "spec.completions") == completions
    assert result["spec"]["parallelism"] == parallelism


def test_job_with_backoff_limit_per_index_gets_an_unbounded_backoff_limit() -> None:
    result = defaulted("batch", "Job", with_spec(backoffLimitPerIndex=1, completionMode="Indexed"))
    assert result["spec"]["backoffLimit"] == 2**31 - 1


def test_job_with_pod_failure_policy_replaces_only_failed_pods() -> None:
    policy = {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}
    result = defaulted("batch", "Job", with_spec(podFailurePolicy=policy))
    assert result["spec"]["podReplacementPolicy"] == "Failed"
    assert at(result, "spec.podFailurePolicy.rules.0.onPodConditions.0.status") == "True"


@pytest.mark.parametrize(
    ("metadata", "labels"),
    [
        ({"name": "x"}, {"app": "web"}),
        ({"name": "x", "labels": {}}, {"app": "web"}),
        ({"name": "x", "labels": {"team": "a"}}, {"team": "a"}),
    ],
)
def test_job_without_labels_takes_the_template_labels(
    metadata: dict[str, Any], labels: dict[str, str]
) -> None:
    result = defaulted("batch", "Job", {"metadata": metadata, "spec": {"template": template()}})
    assert result["metadata"]["labels"] == labels


def test_cronjob_job_template_gets_pod_defaults_but_not_job_defaults() -> None:
    result = defaulted("batch", "CronJob", cronjob())
    job_spec = result["spec"]["jobTemplate"]["spec"]
    assert job_spec["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    assert "backoffLimit" not in job_spec and "completions" not in job_spec


# --------------------------------------------------------------------------------------------------
# Pod spec defaults (every pod template) and Pod-only defaults
# --------------------------------------------------------------------------------------------------

POD_SPEC_DEFAULTS = {
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "ClusterFirst",
    "securityContext": {},
    "schedulerName": "default-scheduler",
}
CONTAINER_DEFAULTS = {
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
    "resources": {},
    "imagePullPolicy": "IfNotPresent",
}
TEMPLATE_PATHS = [
    ("apps", "Deployment", deployment(), "spec.template.spec"),
    ("apps", "ReplicaSet", with_spec(), "spec.template.spec"),
    ("apps", "StatefulSet", with_spec(), "spec.template.spec"),
    ("apps", "DaemonSet", with_spec(), "spec.template.spec"),
    ("batch", "Job", with_spec(), "spec.template.spec"),
    ("batch", "CronJob", cronjob(), "spec.jobTemplate.spec.template.spec"),
    ("", "PodTemplate", {"template": template()}, "template.spec"),
    ("", "Pod", pod(), "spec"),
]


@pytest.mark.parametrize(("group", "kind", "obj", "path"), TEMPLATE_PATHS)
def test_every_pod_spec_gets_pod_spec_and_container_defaults(
    group: str, kind: str, obj: dict[str, Any], path: str
) -> None:
    spec = at(defaulted(group, kind, obj), path)
    assert {key: spec[key] for key in POD_SPEC_DEFAULTS} == POD_SPEC_DEFAULTS
    container = spec["containers"][0]
    assert {key: container[key] for key in CONTAINER_DEFAULTS} == CONTAINER_DEFAULTS


@pytest.mark.parametrize(("group", "kind", "obj", "path"), TEMPLATE_PATHS[:-1])
def test_pod_templates_do_not_get_pod_only_defaults(
    group: str, kind: str, obj: dict[str, Any], path: str
) -> None:
    spec = at(defaulted(group, kind, obj), path)
    for pod_only in ("enableServiceLinks", "serviceAccountName", "priority", "tolerations"):
        assert pod_only not in spec


def test_pod_gets_service_links_account_priority_and_default_tolerations() -> None:
    spec = defaulted("", "Pod", pod())["spec"]
    assert spec["enableServiceLinks"] is True
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "default"
    assert (spec["priority"], spec["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    assert [(t["key"], t["tolerationSeconds"]) for t in spec["tolerations"]] == [
        ("node.kubernetes.io/not-ready", 300),
        ("node.kubernetes.io/unreachable", 300),
    ]


@pytest.mark.parametrize(
    ("given_fields", "expected"),
    [
        ({"serviceAccountName": "robot"}, "robot"),
        ({"serviceAccount": "legacy"}, "legacy"),
        ({"serviceAccountName": "robot", "serviceAccount": "legacy"}, "robot"),
    ],
)
def test_service_account_alias_mirrors_service_account_name(
    given_fields: dict[str, str], expected: str
) -> None:
    in_template = deployment()
    in_template["spec"]["template"]["spec"].update(given_fields)
    pod_spec_result = defaulted("", "Pod", pod(**given_fields))["spec"]
    template_result = defaulted("apps", "Deployment", in_template)["spec"]["template"]["spec"]
    for spec in (pod_spec_result, template_result):
        assert spec["serviceAccountName"] == spec["serviceAccount"] == expected


@pytest.mark.parametrize(
    ("class_name", "priority"),
    [("system-node-critical", 2000001000), ("system-cluster-critical", 2000000000)],
)
def test_builtin_priority_classes_resolve_to_their_priority(class_name: str, priority: int) -> None:
    assert defaulted("", "Pod", pod(priorityClassName=class_name))["spec"]["priority"] == priority


def test_custom_priority_class_is_left_for_the_caller_to_resolve() -> None:
    assert "priority" not in defaulted("", "Pod", pod(priorityClassName="batch-low"))["spec"]


@pytest.mark.parametrize(
    "toleration",
    [
        {"operator": "Exists"},
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    ],
)
def test_existing_tolerations_suppress_the_matching_default(toleration: dict[str, Any]) -> None:
    tolerations = defaulted("", "Pod", pod(tolerations=[toleration]))["spec"]["tolerations"]
    expected = 1 if "key" not in toleration else 2
    assert tolerations[0] == toleration and len(tolerations) == expected


def test_pod_requests_default_to_limits() -> None:
    container = {
        "name": "app",
        "image": "x:1",
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}},
    }
    result = defaulted("", "Pod", {"spec": {"containers": [container]}})
    assert result["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}


def test_templates_do_not_copy_limits_into_requests() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}}
    result = defaulted("apps", "Deployment", obj)
    assert "requests" not in result["spec"]["template"]["spec"]["containers"][0]["resources"]


def test_host_network_pod_exposes_container_ports_on_the_host() -> None:
    spec = pod_spec(hostNetwork=True)
    spec["containers"][0]["ports"] = [{"containerPort": 8080}]
    result = defaulted("", "Pod", {"spec": spec})
    assert result["spec"]["containers"][0]["ports"] == [
        {"containerPort": 8080, "hostPort": 8080, "protocol": "TCP"}
    ]


# --------------------------------------------------------------------------------------------------
# Containers, probes, volumes
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("docker.io/library/nginx:latest", "Always"),
        ("localhost:5000/app", "Always"),
        ("registry.example.com:443/team/app", "Always"),
        ("[::1]:5000/app", "Always"),
        ("app:latest@sha256:" + "a" * 64, "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("localhost:5000/app:v2", "IfNotPresent"),
        ("app@sha256:" + "a" * 64, "IfNotPresent"),
        ("ghcr.io/org/app:latest-rc", "IfNotPresent"),
        ("", "IfNotPresent"),
        ("Uppercase/App", "IfNotPresent"),
        ("a" * 64, "IfNotPresent"),
        ("app@sha256:tooshort", "IfNotPresent"),
    ],
)
def test_image_pull_policy_follows_the_image_reference(image: str, policy: str) -> None:
    result = defaulted("", "Pod", {"spec": {"containers": [{"name": "c", "image": image}]}})
    assert result["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_latest_tag_defaults_to_always_pull() -> None:
    result = defaulted("", "Pod", {"spec": {"containers": [{"name": "c", "image": "redis:latest"}]}})
    assert result["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_explicit_image_pull_policy_is_kept() -> None:
    container = {"name": "c", "image": "redis", "imagePullPolicy": "Never"}
    assert (
        defaulted("", "Pod", {"spec": {"containers": [container]}})["spec"]["containers"][0][
            "imagePullPolicy"
        ]
        == "Never"
    )


@pytest.mark.parametrize("list_name", ["initContainers", "containers", "ephemeralContainers"])
def test_every_kind_of_container_is_defaulted(list_name: str) -> None:
    result = defaulted(
        "",
        "Pod",
        {
            "spec": {
                list_name: [
                    {
                        "name": "c",
                        "image": "x:1",
                        "ports": [{"containerPort": 53, "protocol": "UDP"}, {"containerPort": 80}],
                    }
                ]
            }
        },
    )
    container = result["spec"][list_name][0]
    assert container["terminationMessagePolicy"] == "File"
    assert [port["protocol"] for port in container["ports"]] == ["UDP", "TCP"]


PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


@pytest.mark.parametrize("probe_name", ["livenessProbe", "readinessProbe", "startupProbe"])
def test_probes_get_timing_defaults_and_http_get_scheme(probe_name: str) -> None:
    container = {
        "name": "c",
        "image": "x:1",
        probe_name: {"httpGet": {"port": 8080}, "periodSeconds": 0, "failureThreshold": 5},
    }
    probe = defaulted("", "Pod", {"spec": {"containers": [container]}})["spec"]["containers"][0][probe_name]
    assert probe == {
        **PROBE_DEFAULTS,
        "failureThreshold": 5,
        "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
    }


def test_grpc_probe_service_and_lifecycle_http_get_are_defaulted() -> None:
    container = {
        "name": "c",
        "image": "x:1",
        "readinessProbe": {"grpc": {"port": 9090}},
        "lifecycle": {"preStop": {"httpGet": {"port": 80, "path": "/drain", "scheme": "HTTPS"}}},
    }
    result = defaulted("", "Pod", {"spec": {"containers": [container]}})["spec"]["containers"][0]
    assert result["readinessProbe"]["grpc"] == {"port": 9090, "service": ""}
    assert result["lifecycle"]["preStop"]["httpGet"] == {"port": 80, "path": "/drain", "scheme": "HTTPS"}


def test_env_field_refs_default_their_api_version() -> None:
    env = [
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "X", "value": "1"},
    ]
    result = defaulted("", "Pod", {"spec": {"containers": [{"name": "c", "image": "x:1", "env": env}]}})
    assert result["spec"]["containers"][0]["env"] == [
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName", "apiVersion": "v1"}}},
        {"name": "X", "value": "1"},
    ]


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        (
            {"name": "v", "secret": {"secretName": "s"}},
            {"name": "v", "secret": {"secretName": "s", "defaultMode": 420}},
        ),
        (
            {"name": "v", "configMap": {"name": "c"}},
            {"name": "v", "configMap": {"name": "c", "defaultMode": 420}},
        ),
        (
            {"name": "v", "configMap": {"name": "c", "defaultMode": 256}},
            {"name": "v", "configMap": {"name": "c", "defaultMode": 256}},
        ),
        ({"name": "v"}, {"name": "v", "emptyDir": {}}),
        ({"name": "v", "hostPath": {"path": "/x"}}, {"name": "v", "hostPath": {"path": "/x", "type": ""}}),
        (
            {"name": "v", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
            {
                "name": "v",
                "projected": {
                    "defaultMode": 420,
                    "sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 3600}}],
                },
            },
        ),
        (
            {
                "name": "v",
                "downwardAPI": {"items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name"}}]},
            },
            {
                "name": "v",
                "downwardAPI": {
                    "defaultMode": 420,
                    "items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v1"}}],
                },
            },
        ),
        (
            {"name": "v", "persistentVolumeClaim": {"claimName": "d"}},
            {"name": "v", "persistentVolumeClaim": {"claimName": "d"}},
        ),
    ],
)
def test_volumes_get_their_source_defaults(volume: dict[str, Any], expected: dict[str, Any]) -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["volumes"] = [volume]
    result = defaulted("apps", "Deployment", obj)
    assert result["spec"]["template"]["spec"]["volumes"] == [expected]


# --------------------------------------------------------------------------------------------------
# What is left alone
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "kind", "obj"),
    [
        ("", "ConfigMap", {"metadata": {"name": "c"}}),
        ("", "ServiceAccount", {"metadata": {"name": "robot"}}),
        ("", "Event", {"metadata": {"name": "e"}, "reason": "Started"}),
        ("example.com", "Widget", {"spec": {"replicas": None}}),
        ("", "Deployment", deployment()),
    ],
)
def test_kinds_without_defaults_are_left_untouched(group: str, kind: str, obj: dict[str, Any]) -> None:
    assert defaulted(group, kind, obj) == obj


def test_unknown_fields_survive_defaulting() -> None:
    obj = deployment(paused=True, futureField={"x": [1, 2]})
    obj["spec"]["template"]["spec"]["containers"][0]["x-extension"] = "kept"
    result = defaulted("apps", "Deployment", obj)
    assert result["spec"]["futureField"] == {"x": [1, 2]} and result["spec"]["paused"] is True
    assert result["spec"]["template"]["spec"]["containers"][0]["x-extension"] == "kept"


def test_core_group_may_be_spelled_core() -> None:
    assert defaulted("core", "Secret", {})["type"] == "Opaque"


def test_default_values_are_not_shared_between_objects() -> None:
    first, second = defaulted("", "Pod", pod()), defaulted("", "Pod", pod())
    first["spec"]["securityContext"]["runAsUser"] = 1000
    first["spec"]["tolerations"].clear()
    assert second["spec"]["securityContext"] == {} and len(second["spec"]["tolerations"]) == 2


@pytest.mark.parametrize(
    ("group", "kind", "obj"), [(g, k, o) for g, k, o, _, _ in WORKLOAD_DEFAULTS] + [("", "Pod", pod())]
)
def test_applying_defaults_twice_changes_nothing(group: str, kind: str, obj: dict[str, Any]) -> None:
    once = defaulted(group, kind, obj)
    assert defaulted(group, kind, once) == once


# --------------------------------------------------------------------------------------------------
# Property: idempotence on arbitrary Deployments
# --------------------------------------------------------------------------------------------------

_images = st.sampled_from(
    ["nginx", "nginx:latest", "nginx:1.25", "localhost:5000/app", "app@sha256:" + "b" * 64, ""]
)
_maybe_int = st.one_of(st.none(), st.integers(min_value=0, max_value=5))
_strategies = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"type": st.sampled_from(["", "RollingUpdate", "Recreate"])}),
    st.fixed_dictionaries(
        {"type": st.just("RollingUpdate")},
        optional={
            "rollingUpdate": st.fixed_dictionaries(
                {}, optional={"maxSurge": _maybe_int, "maxUnavailable": st.just("50%")}
            )
        },
    ),
)
_containers = st.lists(
    st.fixed_dictionaries(
        {"name": st.just("c"), "image": _images},
        optional={
            "imagePullPolicy": st.sampled_from(["", "Never", "Always"]),
            "ports": st.lists(
                st.fixed_dictionaries(
                    {"containerPort": st.integers(1, 65535)}, optional={"protocol": st.just("UDP")}
                ),
                max_size=2,
            ),
            "readinessProbe": st.fixed_dictionaries(
                {"httpGet": st.fixed_dictionaries({"port": st.just(80)})},
                optional={"periodSeconds": _maybe_int},
            ),
            "resources": st.just({"limits": {"cpu": "1"}}),
        },
    ),
    min_size=1,
    max_size=3,
)
_pod_specs = st.fixed_dictionaries(
    {"containers": _containers},
    optional={
        "initContainers": _containers,
        "restartPolicy": st.sampled_from(["", "Always", "OnFailure"]),
        "serviceAccount": st.sampled_from(["", "robot"]),
        "volumes": st.lists(
            st.sampled_from([{"name": "a"}, {"name": "b", "secret": {"secretName": "s"}}]), max_size=2
        ),
    },
)
_deployments = st.fixed_dictionaries(
    {"metadata": st.just({"name": "web"})},
    optional={
        "spec": st.fixed_dictionaries(
            {},
            optional={
                "replicas": _maybe_int,
                "revisionHistoryLimit": _maybe_int,
                "progressDeadlineSeconds": _maybe_int,
                "strategy": _strategies,
                "template": st.fixed_dictionaries({}, optional={"spec": _pod_specs}),
            },
        )
    },
)


@given(_deployments)
def test_apply_defaults_is_idempotent_on_deployments(obj: dict[str, Any]) -> None:
    apply_defaults("apps", "Deployment", obj)
    once = copy.deepcopy(obj)
    apply_defaults("apps", "Deployment", obj)
    assert obj == once
    assert obj["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
