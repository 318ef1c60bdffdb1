"""``ValidateObjectMeta``: the name, labels and annotations every object is checked for.

Why this module exists: metadata rules are the same for every kind, built-in, CRD or custom resource,
except for the syntax of the name, so they are written once here and take that syntax as a
:data:`~.names.NameRule`. A name or a ``generateName`` is required; label keys are qualified names and
values label values; annotation keys are checked lowercased, as Go does, and all annotations together
may hold at most 256 KiB.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .errors import FieldError, invalid, required, too_long
from .names import LABEL_VALUE, NameRule, qualified_name_errors, subdomain_name
from .values import as_map, as_str

_ANNOTATIONS_LIMIT: Final = 256 * 1024


def validate_metadata(obj: Mapping[str, Any]) -> list[FieldError]:
    """``metadata`` of a custom resource: a DNS-subdomain name, label and annotation syntax."""
    return object_meta(obj, subdomain_name)


def object_meta(obj: Mapping[str, Any], name_rule: NameRule) -> list[FieldError]:
    meta = as_map(obj.get("metadata"))
    return [
        *_names(meta, name_rule),
        *check_labels(meta.get("labels"), "metadata.labels"),
        *check_annotations(meta.get("annotations"), "metadata.annotations"),
    ]


def _names(meta: Mapping[str, Any], name_rule: NameRule) -> list[FieldError]:
    generate, name = as_str(meta.get("generateName")), as_str(meta.get("name"))
    errors = [
        invalid("metadata.generateName", generate, m) for m in (name_rule(generate, True) if generate else [])
    ]
    if name:
        return [*errors, *(invalid("metadata.name", name, m) for m in name_rule(name, False))]
    return errors if generate else [*errors, required("metadata.name", "name or generateName is required")]


def check_labels(labels: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for key, value in as_map(labels).items():
        errors += [invalid(path, key, message) for message in qualified_name_errors(str(key))]
        if not isinstance(value, str):
            errors.append(invalid(path, value, "must be a string"))
        else:
            errors += [invalid(path, value, message) for message in LABEL_VALUE.errors(value)]
    return errors


def check_annotations(annotations: Any, path: str) -> list[FieldError]:
    entries = as_map(annotations)
    errors = [invalid(path, key, m) for key in entries for m in qualified_name_errors(str(key).lower())]
    errors += [
        invalid(path, value, "must be a string") for value in entries.values() if not isinstance(value, str)
    ]
    size = sum(len(str(key).encode()) + len(str(value).encode()) for key, value in entries.items())
    return [*errors, too_long(path, _ANNOTATIONS_LIMIT)] if size > _ANNOTATIONS_LIMIT else errors
