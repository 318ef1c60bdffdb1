"""Admission validation: the emulator refuses what a kube-apiserver refuses, in the apiserver's words.

Expected messages are written out in full, copied from the apiserver's wording, so a change of wording
in the module shows up here. The tables hold objects a real apiserver accepts (they must stay valid, or
the emulator would be stricter than a cluster) and objects it refuses (each must name the bad field).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from headwind.sandbox.validation import (
    FieldError,
    invalid_message,
    prune_and_default,
    unknown_fields,
    validate_builtin,
    validate_crd,
    validate_custom,
    validate_metadata,
)

from .manifests import update_request, widget_crd, widget_schema

CRD_FILE = Path(__file__).resolve().parents[2] / "manifests" / "crds" / "updaterequest.yaml"

SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_RULE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_RULE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED_RULE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
CONFIG_KEY_RULE = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
MISMATCH = "`selector` does not match template `labels`"
EMPTY_SELECTOR = (
    "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}"
)
CONTAINER = "spec.template.spec.containers[0]"
CONTAINER_AT = "spec.template.spec.containers.0"  # the same container, as an edit() path

DELETE = object()


def edit(obj: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` with dotted paths (``spec.containers.0.image``) set, or removed with DELETE."""
    result = copy.deepcopy(obj)
    for dotted, value in changes.items():
        *parents, last = [int(part) if part.isdigit() else part for part in dotted.split(".")]
        target: Any = result
        for part in parents:
            target = target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = copy.deepcopy(value)
    return result


def messages(errors: list[FieldError]) -> list[str]:
    return [error.message() for error in errors]


# ---------------------------------------------------------------------------------------------------
# Built-in kinds

POD_SPEC: dict[str, Any] = {
    "restartPolicy": "Always",
    "containers": [{"name": "app", "image": "nginx:1.25", "ports": [{"name": "http", "containerPort": 80}]}],
}
TEMPLATE: dict[str, Any] = {"metadata": {"labels": {"app": "web"}}, "spec": POD_SPEC}
WORKLOAD: dict[str, Any] = {
    "metadata": {"name": "web"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": TEMPLATE},
}
JOB_SPEC: dict[str, Any] = {"template": {"spec": {**POD_SPEC, "restartPolicy": "Never"}}}
OBJECTS: dict[str, tuple[str, dict[str, Any]]] = {
    "Deployment": ("apps", WORKLOAD),
    "ReplicaSet": ("apps", WORKLOAD),
    "StatefulSet": ("apps", WORKLOAD),
    "DaemonSet": ("apps", edit(WORKLOAD, {"spec.replicas": DELETE})),
    "Job": ("batch", {"metadata": {"name": "migrate"}, "spec": JOB_SPEC}),
    "CronJob": (
        "batch",
        {
            "metadata": {"name": "nightly"},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": JOB_SPEC}},
        },
    ),
    "Pod": ("", {"metadata": {"name": "web-1"}, "spec": POD_SPEC}),
    "ConfigMap": ("", {"metadata": {"name": "settings"}, "data": {"app.conf": "x=1"}}),
    "Secret": ("", {"metadata": {"name": "token"}, "data": {"token": "c2VjcmV0"}}),
    "Namespace": ("", {"metadata": {"name": "team-a"}}),
    "Lease": ("coordination.k8s.io", {"metadata": {"name": "headwind-leader"}, "spec": {}}),
}


def case(kind: str, changes: dict[str, Any], *expected: str, behaviour: str) -> Any:
    group, base = OBJECTS[kind]
    return pytest.param(group, kind, edit(base, changes), list(expected), id=behaviour)


ACCEPTED = [
    *(case(kind, {}, behaviour=f"a_plain_{kind.lower()}") for kind in OBJECTS),
    case("Deployment", {"metadata": {"generateName": "web-"}}, behaviour="generate_name_instead_of_name"),
    case(
        "Deployment",
        {
            "spec.selector": {
                "matchExpressions": [
                    {"key": "app", "operator": "In", "values": ["web", "api"]},
                    {"key": "tier", "operator": "NotIn", "values": ["db"]},
                    {"key": "app", "operator": "Exists"},
                    {"key": "legacy", "operator": "DoesNotExist"},
                ]
            }
        },
        behaviour="match_expressions_that_select_the_template",
    ),
    case(
        "Deployment",
        {"metadata.labels": {"app.kubernetes.io/name": "web", "empty": ""}},
        behaviour="prefixed_label_keys_and_empty_label_values",
    ),
    case(
        "Deployment",
        {"metadata.annotations": {"Example.com/Note": "annotation keys are case-insensitive"}},
        behaviour="mixed_case_annotation_keys",
    ),
    case(
        "Deployment", {f"{CONTAINER_AT}.image": " "}, behaviour="a_blank_image_in_a_template_is_not_checked"
    ),
    case(
        "StatefulSet", {f"{CONTAINER_AT}.image": DELETE}, behaviour="statefulset_pod_specs_are_not_validated"
    ),
    case(
        "Pod",
        {"spec.containers.0.env": [{"name": "my.var-1"}, {"name": "has space"}], "spec.initContainers": []},
        behaviour="relaxed_environment_variable_names",
    ),
    case("CronJob", {"spec.schedule": "@hourly"}, behaviour="a_cron_descriptor"),
    case("CronJob", {"spec.schedule": "*/5 * * * 1-5"}, behaviour="a_five_field_schedule"),
    case(
        "Secret",
        {"data": {"wrapped": "YWJj\nZGVm", "padded": "YWI="}, "stringData": {"plain.txt": "hi"}},
        behaviour="base64_with_newlines_and_padding_and_string_data",
    ),
    case("ConfigMap", {"binaryData": {"logo.png": "iVBORw0K"}}, behaviour="binary_data_in_base64"),
]


@pytest.mark.parametrize(("group", "kind", "obj", "expected"), ACCEPTED)
def test_objects_a_real_apiserver_accepts_are_valid(
    group: str, kind: str, obj: dict[str, Any], expected: list[str]
) -> None:
    assert messages(validate_builtin(group, kind, obj)) == expected


REFUSED = [
    case(
        "Deployment",
        {"metadata": {}},
        "metadata.name: Required value: name or generateName is required",
        behaviour="a_name_is_required",
    ),
    case(
        "Deployment",
        {"metadata.name": "Bad_Name"},
        f'metadata.name: Invalid value: "Bad_Name": {SUBDOMAIN_RULE}',
        behaviour="names_are_dns_subdomains",
    ),
    case(
        "Namespace",
        {"metadata.name": "team.a"},
        'metadata.name: Invalid value: "team.a": must not contain dots',
        behaviour="namespace_names_are_dns_labels",
    ),
    case(
        "StatefulSet",
        {"metadata.name": "Db"},
        f'metadata.name: Invalid value: "Db": {LABEL_RULE}',
        behaviour="statefulset_names_are_dns_labels",
    ),
    case(
        "Deployment",
        {"metadata.labels": {"-app": "web"}},
        f'metadata.labels: Invalid value: "-app": name part {QUALIFIED_RULE}',
        behaviour="label_keys_are_qualified_names",
    ),
    case(
        "Deployment",
        {"metadata.labels": {"app": "-web"}},
        f'metadata.labels: Invalid value: "-web": {LABEL_VALUE_RULE}',
        behaviour="label_values_have_a_syntax",
    ),
    case(
        "Deployment",
        {"spec.selector": DELETE},
        "spec.selector: Required value",
        f'spec.template.metadata.labels: Invalid value: map[string]string{{"app":"web"}}: {MISMATCH}',
        behaviour="a_deployment_needs_a_selector",
    ),
    case(
        "Deployment",
        {"spec.selector": {}},
        f"spec.selector: Invalid value: {EMPTY_SELECTOR}: empty selector is invalid for deployment",
        behaviour="an_empty_selector_is_invalid",
    ),
    case(
        "StatefulSet",
        {"spec.selector": {"matchLabels": {}}},
        f"spec.selector: Invalid value: {EMPTY_SELECTOR}: empty selector is invalid for statefulset",
        behaviour="an_empty_statefulset_selector_is_invalid",
    ),
    case(
        "DaemonSet",
        {"spec.selector": DELETE},
        f'spec.template.metadata.labels: Invalid value: map[string]string{{"app":"web"}}: {MISMATCH}',
        behaviour="a_daemonset_without_selector_only_fails_the_match",
    ),
    case(
        "ReplicaSet",
        {"spec.template.metadata": {}},
        f"spec.template.metadata.labels: Invalid value: map[string]string(nil): {MISMATCH}",
        behaviour="a_template_without_labels_is_not_selected",
    ),
    case(
        "Deployment",
        {"spec.selector": {"matchExpressions": [{"key": "app", "operator": "Like", "values": ["w"]}]}},
        'spec.selector.matchExpressions[0].operator: Invalid value: "Like": not a valid selector operator',
        behaviour="selector_operators_are_checked",
    ),
    case(
        "Deployment",
        {"spec.replicas": -1},
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        behaviour="replicas_are_not_negative",
    ),
    case(
        "Deployment",
        {"spec.strategy": {"type": "Bogus"}},
        'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"Bogus", '
        'RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
        behaviour="deployment_strategy_types_are_an_enum",
    ),
    case(
        "Deployment",
        {"spec.strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}},
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
        behaviour="recreate_takes_no_rolling_update",
    ),
    case(
        "Deployment",
        {"spec.template.spec.containers": []},
        "spec.template.spec.containers: Required value",
        behaviour="a_pod_needs_containers",
    ),
    case(
        "Deployment",
        {f"{CONTAINER_AT}.image": ""},
        f"{CONTAINER}.image: Required value",
        behaviour="a_container_needs_an_image",
    ),
    case(
        "Deployment",
        {f"{CONTAINER_AT}.name": "App"},
        f'{CONTAINER}.name: Invalid value: "App": {LABEL_RULE}',
        behaviour="container_names_are_dns_labels",
    ),
    case(
        "Deployment",
        {"spec.template.spec.initContainers": [{"name": "app", "image": "busybox"}]},
        'spec.template.spec.initContainers[0].name: Duplicate value: "app"',
        behaviour="container_names_are_unique_across_init_containers",
    ),
    case(
        "Deployment",
        {f"{CONTAINER_AT}.ports.0.containerPort": 70000},
        f"{CONTAINER}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        behaviour="container_ports_are_in_range",
    ),
    case(
        "Deployment",
        {f"{CONTAINER_AT}.ports.0.name": "http--x"},
        f'{CONTAINER}.ports[0].name: Invalid value: "http--x": must not contain consecutive hyphens',
        behaviour="port_names_have_a_syntax",
    ),
    case(
        "Deployment",
        {f"{CONTAINER_AT}.env": [{"value": "x"}]},
        f"{CONTAINER}.env[0].name: Required value",
        behaviour="environment_variables_need_a_name",
    ),
    case(
        "Deployment",
        {"spec.template.spec.restartPolicy": "Never"},
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
        behaviour="workload_pods_always_restart",
    ),
    case(
        "Job",
        {"spec.template.spec.restartPolicy": DELETE},
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
        behaviour="a_job_must_choose_a_restart_policy",
    ),
    case(
        "Job",
        {"spec.template.spec.restartPolicy": "Sometimes"},
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"OnFailure", "Never"',
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: '
        '"OnFailure", "Never"',
        behaviour="an_unknown_job_restart_policy_is_unsupported_twice",
    ),
    case(
        "CronJob",
        {"spec.schedule": ""},
        "spec.schedule: Required value",
        behaviour="a_cronjob_needs_a_schedule",
    ),
    case(
        "CronJob",
        {"spec.schedule": "every day"},
        'spec.schedule: Invalid value: "every day": expected exactly 5 fields, found 2: [every day]',
        behaviour="a_schedule_has_five_fields",
    ),
    case(
        "CronJob",
        {"spec.jobTemplate.spec.template.spec.restartPolicy": "Always"},
        "spec.jobTemplate.spec.template.spec.restartPolicy: Required value: "
        'valid values: "OnFailure", "Never"',
        behaviour="cronjob_templates_are_checked_like_jobs",
    ),
    case(
        "CronJob",
        {"metadata.name": "c" * 53},
        f'metadata.name: Invalid value: "{"c" * 53}": must be no more than 52 characters',
        behaviour="cronjob_names_leave_room_for_the_job_suffix",
    ),
    case(
        "Pod",
        {"spec.containers.0.image": "nginx "},
        'spec.containers[0].image: Invalid value: "nginx ": must not have leading or trailing whitespace',
        behaviour="pod_images_are_not_padded",
    ),
    case(
        "Pod",
        {"spec.containers.0.imagePullPolicy": "Sometimes"},
        'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"IfNotPresent", "Never"',
        behaviour="pull_policies_are_an_enum",
    ),
    case(
        "ConfigMap",
        {"data": {"bad key": "x"}},
        f'data[bad key]: Invalid value: "bad key": {CONFIG_KEY_RULE}',
        behaviour="config_keys_are_file_names",
    ),
    case(
        "ConfigMap",
        {"data": {"..": "x"}},
        "data[..]: Invalid value: \"..\": must not be '..'",
        behaviour="config_keys_do_not_climb_out",
    ),
    case(
        "Secret",
        {"data.token": "not-base64!"},
        "data[token]: Invalid value: illegal base64 data at input byte 3",
        behaviour="secret_data_is_base64",
    ),
    case(
        "Lease",
        {"metadata.name": DELETE},
        "metadata.name: Required value: name or generateName is required",
        behaviour="a_lease_needs_a_name",
    ),
]


@pytest.mark.parametrize(("group", "kind", "obj", "expected"), REFUSED)
def test_objects_a_real_apiserver_refuses_name_each_bad_field(
    group: str, kind: str, obj: dict[str, Any], expected: list[str]
) -> None:
    assert messages(validate_builtin(group, kind, obj)) == expected


def test_deployment_whose_selector_misses_the_template_labels_is_invalid() -> None:
    obj = edit(WORKLOAD, {"spec.selector.matchLabels": {"app": "other"}})

    errors = validate_builtin("apps", "Deployment", obj)

    assert errors == [
        FieldError(
            "spec.template.metadata.labels", "Invalid value", f'map[string]string{{"app":"web"}}: {MISMATCH}'
        )
    ]
    assert invalid_message("Deployment.apps", "web", errors) == (
        f'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        f'map[string]string{{"app":"web"}}: {MISMATCH}'
    )


def test_kinds_without_rules_are_not_validated() -> None:
    assert validate_builtin("", "Service", {"metadata": {"name": "Not_Valid"}}) == []


def test_custom_resource_metadata_follows_the_object_meta_rules() -> None:
    assert messages(validate_metadata({"metadata": {"name": "ok", "labels": {"a": "b"}}})) == []
    assert messages(validate_metadata({"metadata": {"generateName": "Web-"}})) == [
        f'metadata.generateName: Invalid value: "Web-": {SUBDOMAIN_RULE}'
    ]


# ---------------------------------------------------------------------------------------------------
# Messages and causes


@pytest.mark.parametrize(
    ("error", "message", "cause_reason"),
    [
        (
            FieldError("spec.selector", "Required value"),
            "spec.selector: Required value",
            "FieldValueRequired",
        ),
        (
            FieldError("status.phase", "Unsupported value", '"Bogus": supported values: "Pending"'),
            'status.phase: Unsupported value: "Bogus": supported values: "Pending"',
            "FieldValueNotSupported",
        ),
        (FieldError("a", "Duplicate value", '"x"'), 'a: Duplicate value: "x"', "FieldValueDuplicate"),
    ],
    ids=["type_only", "type_and_detail", "duplicate"],
)
def test_a_field_error_reads_like_an_apiserver_cause(
    error: FieldError, message: str, cause_reason: str
) -> None:
    assert error.message() == message
    assert error.cause() == {
        "reason": cause_reason,
        "message": message.split(": ", 1)[1],
        "field": error.field,
    }


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ([], 'Deployment.apps "web" is invalid'),
        (
            [FieldError("spec.selector", "Required value")],
            'Deployment.apps "web" is invalid: spec.selector: Required value',
        ),
        (
            [FieldError("a", "Required value"), FieldError("b", "Forbidden", "no")],
            'Deployment.apps "web" is invalid: [a: Required value, b: Forbidden: no]',
        ),
        (
            [FieldError("a", "Required value"), FieldError("a", "Required value")],
            'Deployment.apps "web" is invalid: a: Required value',
        ),
    ],
    ids=["no_causes", "one_cause_unbracketed", "several_causes_bracketed", "repeated_causes_appear_once"],
)
def test_invalid_message_has_the_apiserver_shape(errors: list[FieldError], expected: str) -> None:
    assert invalid_message("Deployment.apps", "web", errors) == expected


# ---------------------------------------------------------------------------------------------------
# CustomResourceDefinitions

# The emulator tests' Widget, with a property of every kind the validation handles.
WIDGET_SCHEMA: dict[str, Any] = edit(
    widget_schema(
        size={"type": "integer", "minimum": 1, "maximum": 10},
        ratio={"type": "number"},
        name={"type": "string", "minLength": 1, "maxLength": 8, "pattern": "^[a-z]+$"},
        tags={"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
        labels={"type": "object", "additionalProperties": {"type": "string"}},
        port={"x-kubernetes-int-or-string": True},
        note={"type": "string", "nullable": True},
        extra={"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        free={"x-kubernetes-preserve-unknown-fields": True},
        when={"type": "string", "format": "date-time"},
    ),
    {"properties.status.properties.phase.enum": ["Ready", "Failed"]},
)
WIDGET_CRD: dict[str, Any] = edit(widget_crd(schema=WIDGET_SCHEMA), {"spec.names.listKind": "WidgetList"})
SCHEMA_PATH = "spec.versions[0].schema.openAPIV3Schema"
SPEC_PROPERTIES = "spec.versions.0.schema.openAPIV3Schema.properties.spec.properties"


@pytest.fixture(scope="module")
def update_request_crd() -> dict[str, Any]:
    crd: dict[str, Any] = yaml.safe_load(CRD_FILE.read_text())
    return crd


def schema_of(crd: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_the_update_request_crd_in_the_repository_is_valid(update_request_crd: dict[str, Any]) -> None:
    assert validate_crd(update_request_crd) == []


def test_unknown_status_phase_is_an_unsupported_value(update_request_crd: dict[str, Any]) -> None:
    schema = schema_of(update_request_crd)
    phases = schema["properties"]["status"]["properties"]["phase"]["enum"]
    obj = {**update_request(), "status": {"phase": "Bogus"}}

    errors = validate_custom(schema, prune_and_default(schema, obj))

    supported = ", ".join(f'"{phase}"' for phase in phases)
    assert messages(errors) == [f'status.phase: Unsupported value: "Bogus": supported values: {supported}']


def test_an_update_request_is_pruned_and_defaulted_by_the_crd_schema(
    update_request_crd: dict[str, Any],
) -> None:
    schema = schema_of(update_request_crd)
    obj = update_request(bogus="dropped", containerName=None)

    stored = prune_and_default(schema, obj)

    assert "bogus" not in stored["spec"] and "containerName" not in stored["spec"]
    assert stored["spec"]["targetRef"] == obj["spec"]["targetRef"]
    assert stored["metadata"] == obj["metadata"]
    assert unknown_fields(schema, obj) == ["spec.bogus"]
    assert validate_custom(schema, stored) == []


def test_an_update_request_without_its_required_fields_names_each_one(
    update_request_crd: dict[str, Any],
) -> None:
    schema = schema_of(update_request_crd)
    obj = update_request()
    del obj["spec"]["newImage"], obj["spec"]["targetRef"]["name"]

    assert messages(validate_custom(schema, obj)) == [
        "spec.targetRef.name: Required value",
        "spec.newImage: Required value",
    ]


CRD_CASES = [
    pytest.param({}, [], id="a_plain_crd_is_valid"),
    pytest.param(
        {f"{SPEC_PROPERTIES}.free": {}},
        [
            f"{SCHEMA_PATH}.properties[spec].properties[free].type: Required value: "
            "must not be empty for specified object fields"
        ],
        id="a_property_without_type_is_not_structural",
    ),
    pytest.param(
        {f"{SPEC_PROPERTIES}.tags.items": {}},
        [
            f"{SCHEMA_PATH}.properties[spec].properties[tags].items.type: Required value: "
            "must not be empty for specified array items"
        ],
        id="array_items_need_a_type",
    ),
    pytest.param(
        {f"{SPEC_PROPERTIES}.size.type": "int"},
        [
            f'{SCHEMA_PATH}.properties[spec].properties[size].type: Unsupported value: "int": '
            'supported values: "array", "boolean", "integer", "number", "object", "string"'
        ],
        id="types_are_openapi_types",
    ),
    pytest.param(
        {"spec.versions.0.schema.openAPIV3Schema.type": "string"},
        [f'{SCHEMA_PATH}.type: Invalid value: "string": must be object at the root'],
        id="the_root_is_an_object",
    ),
    pytest.param(
        {"spec.versions.0.schema": DELETE},
        [f"{SCHEMA_PATH}: Required value: schemas are required"],
        id="v1_crds_need_schemas",
    ),
    pytest.param(
        {"metadata.name": "gadgets.example.com"},
        ['metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group'],
        id="the_name_is_plural_dot_group",
    ),
    pytest.param(
        {"metadata.name": "widgets.example", "spec.group": "example"},
        ['spec.group: Invalid value: "example": should be a domain with at least one dot'],
        id="the_group_is_a_domain",
    ),
    pytest.param(
        {"spec.scope": "Global"},
        ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"'],
        id="scope_is_cluster_or_namespaced",
    ),
    pytest.param(
        {"metadata.name": "Widgets.example.com", "spec.names.plural": "Widgets"},
        [
            f'metadata.name: Invalid value: "Widgets.example.com": {SUBDOMAIN_RULE}',
            f'spec.names.plural: Invalid value: "Widgets": {DNS1035_RULE}',
        ],
        id="the_plural_is_lowercase",
    ),
    pytest.param(
        {"spec.names.kind": DELETE},
        ["spec.names.kind: Required value"],
        id="a_kind_is_required",
    ),
    pytest.param(
        {"spec.versions.0.storage": False},
        [
            "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: "
            "must have exactly one version marked as storage version"
        ],
        id="one_version_is_stored",
    ),
    pytest.param(
        {
            "spec.versions": [
                *WIDGET_CRD["spec"]["versions"],
                {**WIDGET_CRD["spec"]["versions"][0], "storage": False},
            ]
        },
        [
            "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: "
            "must contain unique version names"
        ],
        id="version_names_are_unique",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), CRD_CASES)
def test_crd_validation(changes: dict[str, Any], expected: list[str]) -> None:
    assert messages(validate_crd(edit(WIDGET_CRD, changes))) == expected


# ---------------------------------------------------------------------------------------------------
# Custom resources against their schema

WIDGET: dict[str, Any] = {
    "apiVersion": "example.com/v1",
    "kind": "Widget",
    "metadata": {"name": "w", "namespace": "default"},
    "spec": {
        "size": 3,
        "ratio": 2,
        "name": "abc",
        "tags": ["a"],
        "labels": {"team": "x"},
        "port": "http",
        "note": None,
        "extra": {"anything": [1, {"goes": True}]},
        "when": "2024-05-01T12:00:00Z",
    },
}


def type_error(path: str, actual: str, expected: str) -> str:
    return f'{path}: Invalid value: "{actual}": {path} in body must be of type {expected}: "{actual}"'


CUSTOM_CASES = [
    pytest.param({}, [], id="a_valid_widget"),
    pytest.param({"spec.size": 3.0}, [], id="a_whole_float_is_an_integer"),
    pytest.param({"spec.port": 8080}, [], id="int_or_string_takes_an_int"),
    pytest.param({"metadata": {"name": 5}}, [], id="metadata_is_left_to_the_metadata_rules"),
    pytest.param({"spec": DELETE}, [], id="an_absent_optional_object_is_fine"),
    pytest.param(
        {"spec.size": True}, [type_error("spec.size", "boolean", "integer")], id="integers_are_not_booleans"
    ),
    pytest.param(
        {"spec.size": 2.5}, [type_error("spec.size", "number", "integer")], id="integers_are_not_fractions"
    ),
    pytest.param(
        {"spec.ratio": "2"}, [type_error("spec.ratio", "string", "number")], id="numbers_are_not_strings"
    ),
    pytest.param({"spec.name": None}, [type_error("spec.name", "null", "string")], id="null_is_not_a_string"),
    pytest.param(
        {"spec.port": True}, [type_error("spec.port", "boolean", "integer,string")], id="int_or_string_only"
    ),
    pytest.param(
        {"spec.tags": [1]}, [type_error("spec.tags[0]", "integer", "string")], id="array_items_are_checked"
    ),
    pytest.param(
        {"spec.labels": {"team": 1}},
        [type_error("spec.labels.team", "integer", "string")],
        id="additional_properties_are_checked",
    ),
    pytest.param({"spec.size": DELETE}, ["spec.size: Required value"], id="required_fields"),
    pytest.param(
        {"spec.size": 0},
        ["spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"],
        id="minimum",
    ),
    pytest.param(
        {"spec.size": 11},
        ["spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10"],
        id="maximum",
    ),
    pytest.param(
        {"spec.name": ""},
        ['spec.name: Invalid value: "": spec.name in body should be at least 1 chars long'],
        id="min_length",
    ),
    pytest.param(
        {"spec.name": "abcdefghi"}, ["spec.name: Too long: may not be more than 8 bytes"], id="max_length"
    ),
    pytest.param(
        {"spec.name": "ab1"},
        ["spec.name: Invalid value: \"ab1\": spec.name in body should match '^[a-z]+$'"],
        id="pattern",
    ),
    pytest.param(
        {"spec.tags": []},
        ["spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items"],
        id="min_items",
    ),
    pytest.param(
        {"spec.tags": ["a", "b", "c"]}, ["spec.tags: Too many: 3: must have at most 2 items"], id="max_items"
    ),
    pytest.param(
        {"spec.when": "yesterday"},
        [type_error("spec.when", "yesterday", "date-time")],
        id="date_time_format",
    ),
    pytest.param(
        {"spec.color": "green"},
        ['spec.color: Unsupported value: "green": supported values: "red", "blue"'],
        id="enum",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), CUSTOM_CASES)
def test_custom_resource_validation(changes: dict[str, Any], expected: list[str]) -> None:
    assert messages(validate_custom(WIDGET_SCHEMA, edit(WIDGET, changes))) == expected


def test_without_a_schema_nothing_is_validated() -> None:
    assert validate_custom(None, {"spec": {"anything": 1}}) == []


# ---------------------------------------------------------------------------------------------------
# Pruning and defaulting

PRUNING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "replicas": {"type": "integer", "default": 1},
                "note": {"type": "string"},
                "comment": {"type": "string", "nullable": True},
                "template": {
                    "type": "object",
                    "properties": {"image": {"type": "string", "default": "nginx"}},
                },
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "weight": {"type": "integer", "default": 1},
                        },
                    },
                },
                "config": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"level": {"type": "integer", "default": 3}},
                },
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "embedded": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object"}},
                },
            },
        },
        "status": {"type": "object", "properties": {"phase": {"type": "string", "default": "Pending"}}},
    },
}
META: dict[str, Any] = {
    "apiVersion": "example.com/v1",
    "kind": "Thing",
    "metadata": {"name": "t", "odd": {"x": 1}},
}

PRUNING_CASES = [
    pytest.param({"spec": {"bogus": 1}}, {"spec": {"replicas": 1}}, id="unknown_fields_go_and_defaults_come"),
    pytest.param(
        {"extra": 1, "status": {}}, {"status": {"phase": "Pending"}}, id="unknown_top_level_fields_go"
    ),
    pytest.param({}, {}, id="absent_objects_are_not_created_for_their_defaults"),
    pytest.param(
        {"spec": {"template": {"junk": 1}, "items": [{"name": "a", "junk": 1}]}},
        {"spec": {"replicas": 1, "template": {"image": "nginx"}, "items": [{"name": "a", "weight": 1}]}},
        id="nested_objects_are_pruned_and_defaulted",
    ),
    pytest.param(
        {"spec": {"config": {"free": {"x": 1}}}},
        {"spec": {"replicas": 1, "config": {"free": {"x": 1}, "level": 3}}},
        id="preserved_objects_keep_unknown_fields",
    ),
    pytest.param(
        {"spec": {"labels": {"team": "a"}}},
        {"spec": {"replicas": 1, "labels": {"team": "a"}}},
        id="additional_properties_keep_their_keys",
    ),
    pytest.param(
        {"spec": {"note": None, "comment": None, "replicas": None}},
        {"spec": {"comment": None, "replicas": 1}},
        id="nulls_mean_unset_unless_nullable",
    ),
    pytest.param(
        {
            "spec": {
                "embedded": {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "p"},
                    "spec": {"x": 1},
                    "y": 2,
                }
            }
        },
        {
            "spec": {
                "replicas": 1,
                "embedded": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}},
            }
        },
        id="embedded_resources_keep_their_type_and_metadata",
    ),
]


@pytest.mark.parametrize(("body", "expected"), PRUNING_CASES)
def test_pruning_and_defaulting(body: dict[str, Any], expected: dict[str, Any]) -> None:
    obj = {**META, **body}
    original = copy.deepcopy(obj)

    assert prune_and_default(PRUNING_SCHEMA, obj) == {**META, **expected}
    assert obj == original


def test_without_a_schema_the_object_is_copied_unchanged() -> None:
    obj = {**META, "spec": {"anything": [1]}}

    stored = prune_and_default(None, obj)

    assert stored == obj and stored is not obj and stored["spec"] is not obj["spec"]
    assert unknown_fields(None, obj) == []


def test_a_default_carrying_unknown_fields_is_pruned_too() -> None:
    """The apiserver refuses such a CRD; if one slips through, the stored object is still a fixed point."""
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "limits": {
                        "type": "object",
                        "properties": {"cpu": {"type": "string"}},
                        "default": {"cpu": "1", "junk": 2},
                    }
                },
            }
        },
    }

    stored = prune_and_default(schema, {**META, "spec": {}})

    assert stored["spec"] == {"limits": {"cpu": "1"}}
    assert prune_and_default(schema, stored) == stored


def test_unknown_fields_are_listed_by_path() -> None:
    obj = {**META, "spec": {"bogus": 1, "items": [{"junk": 2}], "config": {"free": 1}}, "top": 3}

    assert unknown_fields(PRUNING_SCHEMA, obj) == ["spec.bogus", "spec.items[0].junk", "top"]


# ---------------------------------------------------------------------------------------------------
# Properties

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=12,
)
SPEC_KEYS = st.sampled_from(
    ["replicas", "note", "comment", "template", "items", "config", "labels", "embedded"]
)
OBJECTS_FOR_SCHEMAS = st.fixed_dictionaries(
    {"apiVersion": st.just("example.com/v1"), "kind": st.just("Thing"), "metadata": JSON},
    optional={
        "spec": st.dictionaries(SPEC_KEYS | st.text(max_size=4), JSON, max_size=6),
        "status": st.dictionaries(st.sampled_from(["phase", "other"]), JSON, max_size=2),
        "extra": JSON,
    },
)


@pytest.mark.parametrize("schema", [PRUNING_SCHEMA, WIDGET_SCHEMA], ids=["pruning_schema", "widget_schema"])
@settings(max_examples=150, deadline=None)
@given(obj=OBJECTS_FOR_SCHEMAS)
def test_prune_and_default_is_idempotent(schema: dict[str, Any], obj: dict[str, Any]) -> None:
    once = prune_and_default(schema, obj)

    assert prune_and_default(schema, once) == once
    assert unknown_fields(schema, once) == []


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(sorted(OBJECTS)),
    obj=st.dictionaries(st.sampled_from(["metadata", "spec", "data"]), JSON),
)
def test_validation_never_raises_on_arbitrary_json(kind: str, obj: dict[str, Any]) -> None:
    assert isinstance(validate_builtin(OBJECTS[kind][0], kind, obj), list)
    assert isinstance(validate_crd(obj), list)
    assert isinstance(validate_custom(WIDGET_SCHEMA, obj), list)
