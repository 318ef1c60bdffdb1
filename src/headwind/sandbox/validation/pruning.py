"""What the apiserver stores of a custom resource: unknown fields pruned, nulls dropped, defaults applied.

Why this module exists: a client reads back what was stored, not what it sent, so a field that a CRD's
schema does not declare must vanish here as it does on a cluster (and ``fieldValidation=Strict`` must
name it). These are ports of the structural-schema algorithms of apiextensions-apiserver: pruning,
``PruneNonNullableNullsWithoutDefaults`` and defaulting.

Non-obvious: under ``x-kubernetes-preserve-unknown-fields`` unknown fields stay but known ones are
still pruned inside; an embedded resource keeps its ``apiVersion``, ``kind`` and ``metadata``; the three
steps run twice, so that what a default brought along is pruned too and the stored object is a fixed
point.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from .errors import child, index
from .schema import ROOT_KEYS, without_root_keys
from .values import as_map

_NO_KEYS: Final[frozenset[str]] = frozenset()


def prune_and_default(schema: Mapping[str, Any] | None, obj: Mapping[str, Any]) -> dict[str, Any]:
    """A new object as the apiserver would store it: unknown fields dropped, defaults applied.

    In order, as the apiserver decodes a custom resource: prune fields the schema does not know, drop
    ``null`` in non-nullable fields that have no default, then apply ``default`` to absent properties of
    objects that exist. Root ``apiVersion``, ``kind`` and ``metadata`` are kept untouched. A second pass
    prunes what defaults brought along, so the result is a fixed point (the apiserver refuses CRDs whose
    defaults would need it).
    """
    result = copy.deepcopy(dict(obj))
    if schema is None:
        return result
    body = without_root_keys(schema)
    for _ in range(2):
        _prune(body, result, "", [], ROOT_KEYS)
        _drop_nulls(body, result)
        _default(body, result)
    return result


def unknown_fields(schema: Mapping[str, Any] | None, obj: Mapping[str, Any]) -> list[str]:
    """Paths pruning would drop (``spec.bogus``): what ``fieldValidation=Strict`` reports as unknown."""
    dropped: list[str] = []
    if schema is not None:
        _prune(without_root_keys(schema), copy.deepcopy(dict(obj)), "", dropped, ROOT_KEYS)
    return dropped


def _items(schema: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    items = schema.get("items") if schema is not None else None
    return items if isinstance(items, Mapping) else None


def _field_schema(schema: Mapping[str, Any] | None, key: str) -> tuple[bool, Mapping[str, Any] | None]:
    """Whether ``key`` is known here, and its schema (None for ``additionalProperties: true``)."""
    if schema is None:
        return False, None
    properties = as_map(schema.get("properties"))
    if key in properties:
        return True, as_map(properties[key])
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        return True, extra
    return extra is True, None


def _embedded_keys(schema: Mapping[str, Any] | None) -> frozenset[str]:
    return (
        ROOT_KEYS if schema is not None and schema.get("x-kubernetes-embedded-resource") is True else _NO_KEYS
    )


def _prune(
    schema: Mapping[str, Any] | None, value: Any, path: str, dropped: list[str], keep: frozenset[str]
) -> None:
    if schema is not None and schema.get("x-kubernetes-preserve-unknown-fields") is True:
        _prune_known(schema, value, path, dropped, keep)
    elif isinstance(value, dict):
        keep = keep | _embedded_keys(schema)
        for key in [key for key in value if key not in keep]:
            known, sub = _field_schema(schema, key)
            if known:
                _prune(sub, value[key], child(path, key), dropped, _NO_KEYS)
            else:
                dropped.append(child(path, key))
                del value[key]
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _prune(_items(schema), item, index(path, i), dropped, _NO_KEYS)


def _prune_known(
    schema: Mapping[str, Any], value: Any, path: str, dropped: list[str], keep: frozenset[str]
) -> None:
    """Under ``x-kubernetes-preserve-unknown-fields`` unknown fields stay; known ones are still pruned."""
    if isinstance(value, dict):
        keep = keep | _embedded_keys(schema)
        for key, item in value.items():
            known, sub = _field_schema(schema, key)
            if known and key not in keep:
                _prune(sub, item, child(path, key), dropped, _NO_KEYS)
    elif isinstance(value, list) and (items := _items(schema)) is not None:
        for i, item in enumerate(value):
            _prune_known(items, item, index(path, i), dropped, _NO_KEYS)


def _is_defaultable_null(value: Any, schema: Mapping[str, Any] | None) -> bool:
    return value is None and schema is not None and schema.get("nullable") is not True


def _drop_nulls(schema: Mapping[str, Any] | None, value: Any) -> None:
    """``PruneNonNullableNullsWithoutDefaults``: a null in a non-nullable field means "unset"."""
    if isinstance(value, dict):
        for key in list(value):
            sub = _field_schema(schema, key)[1]
            if _is_defaultable_null(value[key], sub) and as_map(sub).get("default") is None:
                del value[key]
            else:
                _drop_nulls(sub, value[key])
    elif isinstance(value, list):
        for item in value:
            _drop_nulls(_items(schema), item)


def _default(schema: Mapping[str, Any] | None, value: Any) -> None:
    """Structural defaulting: absent or non-nullable-null fields take their default, recursively."""
    if schema is None:
        return
    if isinstance(value, dict):
        for key, sub in as_map(schema.get("properties")).items():
            if key not in value or _is_defaultable_null(value[key], as_map(sub)):
                _set_default(value, key, as_map(sub))
        for key in list(value):
            sub = _field_schema(schema, key)[1]
            if _is_defaultable_null(value[key], sub):
                _set_default(value, key, as_map(sub))
            _default(sub, value[key])
    elif isinstance(value, list):
        items = _items(schema)
        for i in range(len(value)):
            if _is_defaultable_null(value[i], items):
                _set_default(value, i, as_map(items))
            _default(items, value[i])


def _set_default(container: Any, key: Any, schema: Mapping[str, Any]) -> None:
    if schema.get("default") is not None:
        container[key] = copy.deepcopy(schema["default"])
