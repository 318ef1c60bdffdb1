"""CustomResourceDefinitions (``apiextensions.k8s.io/v1``): identity, names, versions, structural schemas.

Why this module exists: a CRD the emulator accepts becomes a served API (routes, discovery, validation
and pruning of its objects), so a CRD a cluster refuses must be refused here, or a test would exercise
an API that cannot exist. This is a port of ``apiextensions-apiserver``'s validation: the name must be
``<plural>.<group>``, the group a subdomain with at least one dot, version names unique with exactly one
storage version, and every version's schema structural: each node typed (or int-or-string, or
preserving unknown fields), never ``properties`` with ``additionalProperties``, no ``uniqueItems``, and
arrays with ``items``.

Non-obvious: an error about the whole version list prints it as Go prints the slice
(``[]apiextensions.CustomResourceDefinitionVersion{...}``); ``kind`` and ``listKind`` may have mixed
case but must otherwise be DNS-1035 labels. Rules beyond these (defaults that prune, CEL, list types)
are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .errors import FieldError, child, forbidden, index, invalid, required, unsupported
from .metadata import object_meta
from .names import DNS1035_LABEL, DNS1123_SUBDOMAIN, NameRule, subdomain_name
from .spelling import GoValue
from .values import as_list, as_map, as_str, enumerated

_CRD_SCOPES: Final = ("Cluster", "Namespaced")
_SCHEMA_TYPES: Final = ("array", "boolean", "integer", "number", "object", "string")
_MISSING_TYPE: Final = {
    "root": "must not be empty at the root",
    "item": "must not be empty for specified array items",
    "field": "must not be empty for specified object fields",
}
_CRD_NAME_FIELDS: Final = (("plural", False), ("singular", False), ("kind", True), ("listKind", True))
_SchemaRule = tuple[Callable[[Mapping[str, Any]], bool], Callable[[str], FieldError]]
_SCHEMA_RULES: Final[tuple[_SchemaRule, ...]] = (
    (
        lambda s: (
            bool(s.get("properties"))
            and (s.get("additionalProperties") is False or isinstance(s.get("additionalProperties"), Mapping))
        ),
        lambda p: forbidden(
            child(p, "additionalProperties"), "additionalProperties and properties are mutual exclusive"
        ),
    ),
    (
        lambda s: s.get("uniqueItems") is True,
        lambda p: forbidden(
            child(p, "uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ),
    ),
    (
        lambda s: s.get("x-kubernetes-preserve-unknown-fields") is False,
        lambda p: invalid(
            child(p, "x-kubernetes-preserve-unknown-fields"), False, "must be true or undefined"
        ),
    ),
    (
        lambda s: s.get("type") == "array" and not isinstance(s.get("items"), Mapping),
        lambda p: required(child(p, "items"), "must be specified"),
    ),
)


def validate_crd(crd: Mapping[str, Any]) -> list[FieldError]:
    """A CustomResourceDefinition: identity, versions, and structural (prunable) schemas."""
    spec = as_map(crd.get("spec"))
    names = as_map(spec.get("names"))
    expected_name = f"{as_str(names.get('plural'))}.{as_str(spec.get('group'))}"
    return [
        *object_meta(crd, _crd_name_rule(expected_name)),
        *_crd_group(as_str(spec.get("group"))),
        *enumerated(spec.get("scope"), "spec.scope", _CRD_SCOPES, required=True),
        *_crd_versions([as_map(version) for version in as_list(spec.get("versions"))]),
        *_crd_names(names),
    ]


def _crd_name_rule(expected: str) -> NameRule:
    def rule(name: str, prefix: bool) -> list[str]:
        errors = subdomain_name(name, prefix)
        return errors if name == expected else [*errors, 'must be spec.names.plural+"."+spec.group']

    return rule


def _crd_group(group: str) -> list[FieldError]:
    if not group:
        return [required("spec.group")]
    if errors := DNS1123_SUBDOMAIN.errors(group):
        return [invalid("spec.group", group, ",".join(errors))]
    return [] if "." in group else [invalid("spec.group", group, "should be a domain with at least one dot")]


def _crd_versions(versions: list[Mapping[str, Any]]) -> list[FieldError]:
    errors = [
        error
        for i, version in enumerate(versions)
        for error in _crd_version(version, index("spec.versions", i))
    ]
    names = [as_str(version.get("name")) for version in versions]
    shown = GoValue("[]apiextensions.CustomResourceDefinitionVersion" + ("{...}" if versions else "(nil)"))
    if len(set(names)) != len(names):
        errors.append(invalid("spec.versions", shown, "must contain unique version names"))
    if sum(version.get("storage") is True for version in versions) != 1:
        errors.append(
            invalid("spec.versions", shown, "must have exactly one version marked as storage version")
        )
    return errors


def _crd_version(version: Mapping[str, Any], path: str) -> list[FieldError]:
    name = as_str(version.get("name"))
    messages = DNS1035_LABEL.errors(name)
    errors = [invalid(child(path, "name"), name, ",".join(messages))] if messages else []
    schema = as_map(version.get("schema")).get("openAPIV3Schema")
    schema_path = child(path, "schema.openAPIV3Schema")
    if not isinstance(schema, Mapping):
        return [*errors, required(schema_path, "schemas are required")]
    return [*errors, *_structural_root(schema, schema_path)]


def _structural_root(schema: Mapping[str, Any], path: str) -> list[FieldError]:
    errors = (
        [forbidden(child(path, "nullable"), "nullable cannot be true at the root")]
        if schema.get("nullable")
        else []
    )
    kind = schema.get("type")
    if kind and kind != "object":
        errors.append(invalid(child(path, "type"), kind, "must be object at the root"))
    return [*errors, *_structural(schema, path, "root")]


def _structural(schema: Mapping[str, Any], path: str, level: str) -> list[FieldError]:
    """Every node has a known type (or is int-or-string / preserves unknown fields), recursively."""
    errors = [
        *_schema_type(schema, path, level),
        *(error(path) for broken, error in _SCHEMA_RULES if broken(schema)),
    ]
    for name, sub in as_map(schema.get("properties")).items():
        errors += _structural(as_map(sub), index(child(path, "properties"), name), "field")
    for key, sub_level in (("additionalProperties", "field"), ("items", "item")):
        sub = schema.get(key)
        if isinstance(sub, Mapping):
            errors += _structural(sub, child(path, key), sub_level)
    return errors


def _schema_type(schema: Mapping[str, Any], path: str, level: str) -> list[FieldError]:
    kind = schema.get("type")
    if kind:
        return [] if kind in _SCHEMA_TYPES else [unsupported(child(path, "type"), kind, _SCHEMA_TYPES)]
    exempt = (
        schema.get("x-kubernetes-int-or-string") is True
        or schema.get("x-kubernetes-preserve-unknown-fields") is True
    )
    return [] if exempt else [required(child(path, "type"), _MISSING_TYPE[level])]


def _crd_names(names: Mapping[str, Any]) -> list[FieldError]:
    errors = [required(child("spec.names", key)) for key in ("plural", "kind") if not as_str(names.get(key))]
    for key, mixed_case in _CRD_NAME_FIELDS:
        value = as_str(names.get(key))
        messages = DNS1035_LABEL.errors(value.lower() if mixed_case else value) if value else []
        if messages:
            prefix = "may have mixed case, but should otherwise match: " if mixed_case else ""
            errors.append(invalid(child("spec.names", key), value, prefix + ",".join(messages)))
    for key in ("shortNames", "categories"):
        for i, value in enumerate(as_list(names.get(key))):
            if messages := DNS1035_LABEL.errors(str(value)):
                errors.append(invalid(index(child("spec.names", key), i), value, ",".join(messages)))
    kind = as_str(names.get("kind"))
    if kind and kind == names.get("listKind"):
        errors.append(invalid("spec.names.listKind", kind, "kind and listKind may not be the same"))
    return errors
