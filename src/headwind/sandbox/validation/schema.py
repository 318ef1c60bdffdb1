"""Custom resources against their version's ``openAPIV3Schema``, in kube-openapi's words.

Why this module exists: the apiserver checks the operator's custom resources (UpdateRequests,
HelmRepositories) against their CRD's schema, and a test must meet the same refusals. This is a port of
the go-openapi validator as apiextensions-apiserver runs it, in its order (type; then string, number or
array constraints; enum; object properties) and with its messages (``spec.x in body must be of type
integer: "string"``).

Deliberate limits: the OpenAPI v3 subset that structural schemas use. No CEL
(``x-kubernetes-validations``), no list-type/map-keys semantics, no ``allOf``/``anyOf``/``oneOf``/``not``;
embedded resources are only type-checked; a ``pattern`` that Python's ``re`` cannot compile is not held
against the value. ``apiVersion``, ``kind`` and ``metadata`` belong to the apiserver, not to the schema:
they are skipped here, and ``metadata`` is left to :func:`~.metadata.validate_metadata`.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from .errors import (
    INVALID,
    FieldError,
    child,
    index,
    invalid,
    joined,
    required,
    too_long,
    too_many,
    unsupported,
)
from .spelling import go_number, go_quote
from .values import as_list, as_map, is_int, is_number

#: The apiserver's own top-level fields: a CRD's schema neither validates nor prunes them.
ROOT_KEYS: Final = frozenset({"apiVersion", "kind", "metadata"})
_JSON_TYPES: Final[tuple[tuple[type[Any], str], ...]] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (tuple, "array"),
)
_DATE_TIME: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?"
)
_BOUNDS: Final = (
    ("maximum", "exclusiveMaximum", operator.gt, operator.ge, "less than or equal to", "less than"),
    ("minimum", "exclusiveMinimum", operator.lt, operator.le, "greater than or equal to", "greater than"),
)


def validate_custom(schema: Mapping[str, Any] | None, obj: Mapping[str, Any]) -> list[FieldError]:
    """A custom resource against its version's schema; ``apiVersion``/``kind``/``metadata`` are skipped."""
    if schema is None:
        return []
    body = {key: value for key, value in obj.items() if key not in ROOT_KEYS}
    return _check(without_root_keys(schema), body, "")


def without_root_keys(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The root schema as it applies to the body: :data:`ROOT_KEYS` neither declared nor required."""
    trimmed = dict(schema)
    trimmed["properties"] = {k: v for k, v in as_map(schema.get("properties")).items() if k not in ROOT_KEYS}
    trimmed["required"] = [key for key in as_list(schema.get("required")) if key not in ROOT_KEYS]
    return trimmed


def _json_type(value: Any) -> str:
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "object")


def _type_matches(declared: str, value: Any, actual: str) -> bool:
    if declared == actual:
        return True
    if declared == "number":
        return actual == "integer"
    return declared == "integer" and actual == "number" and float(value).is_integer()


def _type_error(path: str, shown: str, expected: str) -> FieldError:
    detail = f"{path} in body must be of type {expected}: {go_quote(shown)}"
    return FieldError(path, INVALID, joined(go_quote(shown), detail))


def _check(schema: Mapping[str, Any], value: Any, path: str) -> list[FieldError]:
    """kube-openapi's validator order: type, string/format/number/array, enum, object."""
    if value is None:
        nullable = schema.get("nullable") is True or not schema.get("type")
        return [] if nullable else [_type_error(path, "null", str(schema["type"]))]
    actual = _json_type(value)
    errors = _check_type(schema, value, actual, path)
    deep = not errors and schema.get("x-kubernetes-embedded-resource") is not True
    checks = _VALUE_CHECKS.get(actual) if deep else None
    errors += checks(schema, value, path) if checks else []
    errors += _check_enum(schema, value, path)
    return [*errors, *_check_object(schema, value, path)] if deep and actual == "object" else errors


def _check_type(schema: Mapping[str, Any], value: Any, actual: str, path: str) -> list[FieldError]:
    declared = schema.get("type")
    if declared:
        return (
            [] if _type_matches(str(declared), value, actual) else [_type_error(path, actual, str(declared))]
        )
    if schema.get("x-kubernetes-int-or-string") is True and not (
        actual == "string" or _type_matches("integer", value, actual)
    ):
        return [_type_error(path, actual, "integer,string")]
    return []


def _check_string(schema: Mapping[str, Any], value: str, path: str) -> list[FieldError]:
    """Length and pattern stop at the first failure, as go-openapi's string validator does."""
    longest, shortest, pattern = schema.get("maxLength"), schema.get("minLength"), schema.get("pattern")
    errors: list[FieldError] = []
    if is_int(longest) and len(value) > longest:
        errors.append(too_long(path, longest))
    elif is_int(shortest) and len(value) < shortest:
        errors.append(invalid(path, value, f"{path} in body should be at least {shortest} chars long"))
    elif isinstance(pattern, str) and not _pattern_matches(pattern, value):
        errors.append(invalid(path, value, f"{path} in body should match '{pattern}'"))
    if schema.get("format") == "date-time" and value and not _DATE_TIME.fullmatch(value):
        errors.append(_type_error(path, value, "date-time"))
    return errors


def _pattern_matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:  # an ECMA construct Python does not know: do not refuse over it
        return True


def _check_number(schema: Mapping[str, Any], value: float, path: str) -> list[FieldError]:
    factor = schema.get("multipleOf")
    errors: list[FieldError] = []
    if is_number(factor) and factor > 0 and not (value / factor).is_integer():
        errors.append(invalid(path, value, f"{path} in body should be a multiple of {go_number(factor)}"))
    for key, exclusive_key, beyond, beyond_exclusive, inclusive_words, exclusive_words in _BOUNDS:
        bound = schema.get(key)
        exclusive = schema.get(exclusive_key) is True
        if is_number(bound) and (beyond_exclusive if exclusive else beyond)(value, bound):
            words = exclusive_words if exclusive else inclusive_words
            errors.append(invalid(path, value, f"{path} in body should be {words} {go_number(bound)}"))
    return errors


def _check_array(schema: Mapping[str, Any], value: list[Any], path: str) -> list[FieldError]:
    items, fewest, most = schema.get("items"), schema.get("minItems"), schema.get("maxItems")
    errors: list[FieldError] = []
    if isinstance(items, Mapping):
        errors += [error for i, item in enumerate(value) for error in _check(items, item, index(path, i))]
    if is_int(fewest) and len(value) < fewest:
        errors.append(invalid(path, len(value), f"{path} in body should have at least {fewest} items"))
    if is_int(most) and len(value) > most:
        errors.append(too_many(path, len(value), most))
    return errors


_VALUE_CHECKS: Final[Mapping[str, Callable[[Mapping[str, Any], Any, str], list[FieldError]]]] = {
    "string": _check_string,
    "integer": _check_number,
    "number": _check_number,
    "array": _check_array,
}


def _json_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return bool(left == right)


def _check_enum(schema: Mapping[str, Any], value: Any, path: str) -> list[FieldError]:
    options = as_list(schema.get("enum"))
    if not options or any(_json_equal(value, option) for option in options):
        return []
    shown = [
        option if isinstance(option, str) else json.dumps(option, separators=(",", ":")) for option in options
    ]
    return [unsupported(path, value, shown)]


def _check_object(schema: Mapping[str, Any], value: Mapping[str, Any], path: str) -> list[FieldError]:
    properties, extra = as_map(schema.get("properties")), schema.get("additionalProperties")
    errors: list[FieldError] = []
    if isinstance(extra, Mapping):
        for key, item in value.items():
            errors += [] if key in properties else _check(extra, item, child(path, str(key)))
    for key, sub in properties.items():
        errors += _check(as_map(sub), value[key], child(path, key)) if key in value else []
    return [
        *errors,
        *(required(child(path, str(key))) for key in as_list(schema.get("required")) if key not in value),
    ]
