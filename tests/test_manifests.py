"""The CRD manifests: valid CustomResourceDefinitions, and the UpdateRequest CRD is Headwind's.

There is no kube-apiserver here to reject a bad CRD, so the rules it applies are checked directly:
apiextensions.k8s.io/v1 requires *structural* schemas (every field typed, no ``$ref``, logical
junctors that only restrict, ``metadata`` restricted to name and generateName), one storage version,
and a name that is ``<plural>.<group>``. The UpdateRequest CRD must match Headwind's exactly (names,
short names, printer columns, required fields, enums) so that existing objects and kubectl habits
keep working after the switch; the one compatible extension is the ``RolledBack`` phase.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

CRDS = Path(__file__).resolve().parents[1] / "manifests" / "crds"
CRD_FILES = sorted(CRDS.glob("*.yaml"))

TYPES = {"object", "array", "string", "integer", "number", "boolean"}
FORMATS = {"int32", "int64", "float", "double", "byte", "date", "date-time", "password", ""}
PRINTER_COLUMN_TYPES = {"integer", "number", "string", "boolean", "date"}
JUNCTORS = ("allOf", "anyOf", "oneOf", "not")
SCHEMA_KEYWORDS = {
    "type",
    "format",
    "title",
    "description",
    "properties",
    "required",
    "items",
    "enum",
    "default",
    "nullable",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "multipleOf",
    "additionalProperties",
    "example",
    "externalDocs",
    *JUNCTORS,
}


def load(path: Path) -> dict[str, Any]:
    [document] = list(yaml.safe_load_all(path.read_text()))
    assert isinstance(document, dict)
    return document


def the_crd(file_name: str) -> dict[str, Any]:
    return load(CRDS / file_name)


def structural_problems(schema: Any, path: str, *, in_junctor: bool = False) -> Iterator[str]:
    """Everything that keeps ``schema`` from being a structural schema, as ``path: problem`` lines."""
    if not isinstance(schema, dict):
        yield f"{path}: a schema must be a mapping"
        return
    for key in schema:
        if key not in SCHEMA_KEYWORDS and not key.startswith("x-kubernetes-"):
            yield f"{path}: {key!r} is not allowed in a CRD schema"
    if schema.get("x-kubernetes-preserve-unknown-fields") is False:
        yield f"{path}: x-kubernetes-preserve-unknown-fields must be true or absent"
    if schema.get("uniqueItems"):
        yield f"{path}: uniqueItems is not allowed"
    if in_junctor:
        for key in ("type", "default", "description", "additionalProperties", "nullable"):
            if key in schema:
                yield f"{path}: {key!r} is not allowed inside allOf/anyOf/oneOf/not"
    else:
        exempt = schema.get("x-kubernetes-int-or-string") or schema.get(
            "x-kubernetes-preserve-unknown-fields"
        )
        if schema.get("type") not in TYPES and not exempt:
            yield f"{path}: needs a type, one of {sorted(TYPES)}"
    if schema.get("format", "") not in FORMATS:
        yield f"{path}: unknown format {schema['format']!r}"

    properties = schema.get("properties", {})
    if properties and schema.get("type", "object") != "object":
        yield f"{path}: properties on a non-object"
    if properties and "additionalProperties" in schema:
        yield f"{path}: properties and additionalProperties are mutually exclusive"
    for name in schema.get("required", []):
        if name not in properties:
            yield f"{path}: required field {name!r} is not among the properties"
    for name, sub in properties.items():
        yield from structural_problems(sub, f"{path}.{name}", in_junctor=in_junctor)

    additional = schema.get("additionalProperties")
    if additional is False:
        yield f"{path}: additionalProperties: false is not allowed"
    elif isinstance(additional, dict):
        yield from structural_problems(additional, f"{path}.*", in_junctor=in_junctor)

    if "items" in schema:
        if schema.get("type") != "array":
            yield f"{path}: items on a non-array"
        yield from structural_problems(schema["items"], f"{path}[]", in_junctor=in_junctor)
    elif schema.get("type") == "array" and not in_junctor:
        yield f"{path}: an array needs items"

    if schema.get("x-kubernetes-list-type") == "map":
        item = schema.get("items", {})
        for key in schema.get("x-kubernetes-list-map-keys", []):
            field = item.get("properties", {}).get(key, {})
            if key not in item.get("required", []) and "default" not in field:
                yield f"{path}: list map key {key!r} must be required or defaulted"

    if "enum" in schema and "default" in schema and schema["default"] not in schema["enum"]:
        yield f"{path}: default {schema['default']!r} is not in the enum"

    for junctor in JUNCTORS:
        if junctor in schema:
            subs = schema[junctor] if junctor != "not" else [schema[junctor]]
            for index, sub in enumerate(subs):
                yield from structural_problems(sub, f"{path}.{junctor}[{index}]", in_junctor=True)


def test_there_are_crd_manifests() -> None:
    assert {path.name for path in CRD_FILES} >= {"updaterequest.yaml", "helmrepository.yaml"}


@pytest.mark.parametrize("path", CRD_FILES, ids=lambda path: path.name)
def test_every_crd_manifest_is_a_valid_custom_resource_definition(path: Path) -> None:
    crd = load(path)

    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["kind"] == "CustomResourceDefinition"
    spec = crd["spec"]
    assert crd["metadata"]["name"] == f"{spec['names']['plural']}.{spec['group']}"
    assert spec["scope"] in {"Namespaced", "Cluster"}
    assert {"kind", "plural"} <= spec["names"].keys()
    assert spec["names"]["plural"] == spec["names"]["plural"].lower()
    assert [version["storage"] for version in spec["versions"]].count(True) == 1
    for version in spec["versions"]:
        assert version["served"] is True
        schema = version["schema"]["openAPIV3Schema"]
        assert schema["type"] == "object"
        assert set(schema.get("properties", {}).get("metadata", {}).get("properties", {})) <= {
            "name",
            "generateName",
        }
        assert list(structural_problems(schema, "openAPIV3Schema")) == []
        for column in version.get("additionalPrinterColumns", []):
            assert column["type"] in PRINTER_COLUMN_TYPES, column
            assert column["jsonPath"].startswith("."), column


# --- UpdateRequest: exactly Headwind's ---------------------------------------------------------------


@pytest.fixture
def updaterequest() -> dict[str, Any]:
    return the_crd("updaterequest.yaml")


@pytest.fixture
def updaterequest_schema(updaterequest: dict[str, Any]) -> dict[str, Any]:
    [version] = updaterequest["spec"]["versions"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def test_updaterequest_has_headwinds_identity(updaterequest: dict[str, Any]) -> None:
    spec = updaterequest["spec"]

    assert updaterequest["metadata"]["name"] == "updaterequests.headwind.sh"
    assert spec["group"] == "headwind.sh"
    assert spec["scope"] == "Namespaced"
    assert spec["names"] == {
        "kind": "UpdateRequest",
        "listKind": "UpdateRequestList",
        "plural": "updaterequests",
        "singular": "updaterequest",
        "shortNames": ["ur", "upd"],
    }
    [version] = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}


def test_updaterequest_has_headwinds_printer_columns(updaterequest: dict[str, Any]) -> None:
    [version] = updaterequest["spec"]["versions"]
    columns = [(c["name"], c["type"], c["jsonPath"]) for c in version["additionalPrinterColumns"]]

    assert columns == [
        ("Target", "string", ".spec.targetRef.name"),
        ("Container", "string", ".spec.containerName"),
        ("Current", "string", ".spec.currentImage"),
        ("New", "string", ".spec.newImage"),
        ("Policy", "string", ".spec.policy"),
        ("Phase", "string", ".status.phase"),
        ("Age", "date", ".metadata.creationTimestamp"),
    ]


def test_updaterequest_spec_has_headwinds_fields(updaterequest_schema: dict[str, Any]) -> None:
    spec = updaterequest_schema["properties"]["spec"]
    fields = spec["properties"]

    assert spec["required"] == ["targetRef", "updateType", "currentImage", "newImage", "policy"]
    assert set(fields) == {
        "targetRef",
        "updateType",
        "containerName",
        "currentImage",
        "newImage",
        "policy",
        "reason",
        "requireApproval",
        "expiresAt",
    }
    assert fields["targetRef"]["required"] == ["apiVersion", "kind", "name", "namespace"]
    assert {name: field["type"] for name, field in fields["targetRef"]["properties"].items()} == {
        "apiVersion": "string",
        "kind": "string",
        "name": "string",
        "namespace": "string",
    }
    assert fields["updateType"]["enum"] == ["image", "helmChart"]
    assert fields["policy"]["enum"] == ["major", "minor", "patch", "glob", "none"]
    assert (fields["requireApproval"]["type"], fields["requireApproval"]["default"]) == ("boolean", True)
    assert fields["expiresAt"]["format"] == "date-time"
    for name in ("containerName", "currentImage", "newImage", "reason"):
        assert fields[name]["type"] == "string"


def test_updaterequest_status_has_headwinds_fields_and_one_more_phase(
    updaterequest_schema: dict[str, Any],
) -> None:
    fields = updaterequest_schema["properties"]["status"]["properties"]
    headwind_phases = ["Pending", "Approved", "Rejected", "Completed", "Failed", "Expired"]

    assert set(fields) == {
        "phase",
        "approvedBy",
        "approvedAt",
        "rejectedBy",
        "rejectedAt",
        "message",
        "lastUpdated",
    }
    assert fields["phase"]["enum"] == [*headwind_phases, "RolledBack"]
    assert fields["phase"]["default"] == "Pending"
    for name in ("approvedAt", "rejectedAt", "lastUpdated"):
        assert fields[name]["format"] == "date-time"


# --- HelmRepository: Flux's API ----------------------------------------------------------------------


def test_helmrepository_is_fluxs_v1_api() -> None:
    crd = the_crd("helmrepository.yaml")
    spec = crd["spec"]
    [version] = spec["versions"]
    schema = version["schema"]["openAPIV3Schema"]["properties"]["spec"]

    assert crd["metadata"]["name"] == "helmrepositories.source.toolkit.fluxcd.io"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["kind"] == "HelmRepository"
    assert spec["names"]["shortNames"] == ["helmrepo"]
    assert (version["name"], version["storage"]) == ("v1", True)
    assert version["subresources"] == {"status": {}}
    assert schema["required"] == ["url"]
    assert schema["properties"]["type"]["enum"] == ["default", "oci"]
    assert schema["properties"]["secretRef"]["required"] == ["name"]
    assert {
        "url",
        "interval",
        "timeout",
        "secretRef",
        "certSecretRef",
        "passCredentials",
        "type",
        "provider",
        "suspend",
    } <= schema["properties"].keys()


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "object", "properties": {"a": {"description": "untyped"}}}, "needs a type"),
        ({"type": "object", "properties": {"a": {"$ref": "#/x", "type": "string"}}}, "'$ref' is not allowed"),
        ({"type": "array"}, "an array needs items"),
        ({"type": "object", "additionalProperties": False}, "additionalProperties: false"),
        ({"type": "object", "required": ["a"]}, "required field 'a'"),
        ({"type": "string", "anyOf": [{"type": "string"}]}, "not allowed inside allOf"),
        ({"type": "string", "enum": ["a"], "default": "b"}, "not in the enum"),
    ],
)
def test_the_structural_check_finds_what_the_apiserver_rejects(schema: dict[str, Any], problem: str) -> None:
    assert any(problem in line for line in structural_problems(schema, "s"))
