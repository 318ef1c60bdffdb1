"""PATCH semantics of the sandbox apiserver: JSON patch, JSON merge patch and strategic merge patch.

Why this exists: the sandbox emulates a kube-apiserver closely enough that the real kubernetes-asyncio
client and kubectl can be pointed at it. Both send PATCH requests in three flavours, and the operator's
behaviour depends on what the server makes of them, so the emulator must apply them the way
k8s.io/apimachinery (``strategicpatch``) and the apiserver patch handler do. This module is the pure,
I/O-free part: dicts in, dicts out, :class:`PatchError` carrying the HTTP status for anything the
apiserver would reject.

Non-obvious choices:

* Strategy by field name, not by schema. The real server reads ``patchStrategy``/``patchMergeKey`` Go
  struct tags of the typed object. We have no Go types, so :data:`MERGE_KEYS` maps a *field name* to its
  merge key wherever it occurs (``containers`` -> ``name``, ``volumeMounts`` -> ``mountPath`` ...),
  :data:`SET_FIELDS` lists primitive lists merged as sets (``finalizers``), and every other list is
  replaced whole. ``ports`` is keyed by ``containerPort``, or by ``port`` when the elements are Service
  ports. Consequences: a field with one of these names gets that strategy in any object, and fields the
  table leaves out (e.g. ServiceAccount ``secrets``, Pod status ``podIPs``/``hostIPs``, Node
  ``addresses``) are replaced instead of merged. The real apiserver refuses strategic merge patches for
  custom resources (415); deciding that is the HTTP handler's job, not this module's.
* List order follows Go's ``normalizeElementOrder``, not the intuitive "append": elements named in
  the patch take the patch's order, the others keep the server's order, and a server-only element is
  placed before a patched one only when it came before it in the live list. So a patch that adds one
  new container puts it *first* (the behaviour shown in the Kubernetes "kubectl patch" task docs), and
  ``$setElementOrder/<field>`` interleaves elements it does not mention the same way.
* Directives: ``$patch`` (merge/replace/delete, in maps and keyed-list elements), ``$retainKeys``,
  ``$setElementOrder/<field>`` and ``$deleteFromPrimitiveList/<field>``. Any other key that starts
  with ``$`` is rejected with 400 instead of being stored. The result never contains a ``$`` key,
  including in values the patch adds where the live object had none (Go copies those verbatim and
  relies on decoding into typed structs to drop directives and nulls).
* ``{"$patch": "delete"}`` on a map removes the key. Go leaves ``{}``, which the typed object
  serialises as absent for maps but as ``{}`` for struct pointers.
* Error statuses: a non-object patch and malformed directives -> 400; a keyed-list element without its
  merge key, and lists of lists in a merged list -> 422. (The Go server answers the missing-merge-key
  case with an untyped error, i.e. a 500; 422 is more useful to clients and tests.)
* Not supported: lists of lists in merged lists (the apiserver does not support them either),
  multi-field merge keys (strategic merge patch has none; ports 53/TCP and 53/UDP collide as in Go),
  the ``retainKeys`` schema flag (the ``$retainKeys`` directive is honoured wherever it is sent, as Go
  does), and per-field typing (Go compares int64 and float64 merge keys as different; we compare
  numbers by value).

Inputs are never mutated and results never share mutable structure with them: the target is copied
once with a JSON-specific copier (much cheaper than :func:`copy.deepcopy`) and then merged in place,
and patch values are rebuilt rather than referenced.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from typing import Any, Final

import jsonpatch

__all__ = [
    "MERGE_KEYS",
    "SET_FIELDS",
    "PatchError",
    "json_patch",
    "merge_patch",
    "strategic_merge_patch",
]

JSONMap = dict[str, Any]

#: Keyed lists: field name -> merge key. Mirrors the patchMergeKey tags of the built-in API types.
MERGE_KEYS: Final[Mapping[str, str]] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "resourceClaims": "name",
    "schedulingGates": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",  # Service ports use "port"; see _merge_key.
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "conditions": "type",
    "ownerReferences": "uid",
}

#: Primitive lists with patchStrategy "merge": the patch's values are added as a set union.
SET_FIELDS: Final[frozenset[str]] = frozenset({"finalizers"})

_DIRECTIVE: Final = "$patch"
_RETAIN_KEYS: Final = "$retainKeys"
_SET_ORDER: Final = "$setElementOrder/"
_DELETE_FROM: Final = "$deleteFromPrimitiveList/"
_LIST_DIRECTIVES: Final = frozenset({"delete", "replace", "merge"})


class PatchError(Exception):
    """A patch that cannot be applied; `status` is the HTTP status the apiserver answers (400 or 422)."""

    status: int
    message: str

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class _Deleted:
    """Returned for a map carrying ``$patch: delete``, so the caller removes the key holding it."""


_DELETED: Final = _Deleted()


# --------------------------------------------------------------------------- JSON helpers


def _copy(value: Any) -> Any:
    """Deep-copy a JSON value; several times faster than copy.deepcopy, which handles any object."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _identity(value: Any) -> Hashable:
    """A hashable stand-in for a JSON value, so that `true` and `1` differ the way they do in Go."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if value is None:
        return ("null",)
    return ("json", json.dumps(value, sort_keys=True, separators=(",", ":")))


def _go(value: Any) -> str:
    """Format a value like Go's %v, so error messages read like the apiserver's (`map[name:x]`)."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{_go(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go(item) for item in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json_kind(value: Any) -> str:
    """Name a JSON value's type the way encoding/json does in its unmarshal errors."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


# --------------------------------------------------------------------------- JSON patch (RFC 6902)


def json_patch(target: dict[str, Any], ops: Any) -> dict[str, Any]:
    """Apply an RFC 6902 JSON patch.

    Statuses follow the apiserver: a body that does not decode as a list of operation objects is a
    400 (jsonpatch.DecodePatch failed); an operation that does not apply, including a failed `test`, a
    missing path, or an unknown or incomplete operation, is a 422.
    """
    if not isinstance(ops, list):
        raise PatchError(f"json: cannot unmarshal {_json_kind(ops)} into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError(
                f"json: cannot unmarshal {_json_kind(op)} into Go value of type jsonpatch.Operation"
            )
    patched: Any = _copy(target)
    try:
        # One operation at a time, so that a failed `test` names its path as the apiserver does.
        for op in ops:
            try:
                patched = jsonpatch.JsonPatch([op]).apply(patched, in_place=True)
            except jsonpatch.JsonPatchTestFailed as exc:
                raise PatchError(f"testing value {op.get('path')} failed: test failed", 422) from exc
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise PatchError(str(exc), 422) from exc
    except (TypeError, ValueError, KeyError, IndexError) as exc:  # values jsonpatch leaves unchecked
        raise PatchError(f"invalid JSON patch operation: {exc}", 422) from exc
    if not isinstance(patched, dict):
        raise PatchError(f"patched object is a JSON {_json_kind(patched)}, not an object", 422)
    return patched


# --------------------------------------------------------------------------- JSON merge patch (RFC 7386)


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces.

    This is the RFC function for any JSON values; the apiserver additionally rejects a non-object body
    with 400, which is for the HTTP handler to check.
    """
    if not isinstance(patch, dict):
        return _copy(patch)
    return _merge_rfc7386(_copy(target) if isinstance(target, dict) else {}, patch)


def _merge_rfc7386(target: JSONMap, patch: JSONMap) -> JSONMap:
    """Merge `patch` into `target`, which the caller owns and lets us modify."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            current = target.get(key)
            target[key] = _merge_rfc7386(current if isinstance(current, dict) else {}, value)
        else:
            target[key] = _copy(value)
    return target


# --------------------------------------------------------------------------- strategic merge patch


def strategic_merge_patch(target: dict[str, Any], patch: Any) -> dict[str, Any]:
    """Apply a Kubernetes strategic merge patch the way k8s.io/apimachinery's strategicpatch does.

    See the module docstring for the field table, ordering rules, directives and error statuses.
    """
    if not isinstance(patch, dict):
        raise PatchError(
            f"json: cannot unmarshal {_json_kind(patch)} into Go value of type map[string]interface {{}}"
        )
    merged = _merge_map(_copy(target), patch)
    return {} if isinstance(merged, _Deleted) else merged


def _merge_map(original: JSONMap, patch: JSONMap) -> JSONMap | _Deleted:
    """Merge a patch map into `original` (owned by us), honouring a `$patch` directive on the map."""
    if _DIRECTIVE in patch:
        directive = patch[_DIRECTIVE]
        if directive == "delete":
            return _DELETED
        if directive == "replace":
            return _merge_fields({}, {key: value for key, value in patch.items() if key != _DIRECTIVE})
        if directive != "merge":
            raise PatchError(f"unknown patch type: {_go(directive)} in map: {_go(patch)}")
    return _merge_fields(original, patch)


def _merge_fields(original: JSONMap, patch: JSONMap) -> JSONMap:
    """Merge every field of `patch` into `original`, in the order Go's mergeMap applies directives."""
    _reject_unknown_directives(patch)
    _apply_retain_keys(original, patch)
    ordered = _apply_set_element_order(original, patch)
    for key, value in patch.items():
        if not _is_directive(key) and key not in ordered:
            _merge_field(original, key, value)
    _apply_primitive_deletions(original, patch)
    return original


def _merge_field(original: JSONMap, key: str, value: Any) -> None:
    """Merge one patch field: null deletes, maps and lists merge, anything else replaces."""
    if value is None:
        original.pop(key, None)
        return
    current = original.get(key)
    merged: Any
    if isinstance(current, dict) and isinstance(value, dict):
        merged = _merge_map(current, value)
    elif isinstance(current, list) and isinstance(value, list):
        merged = _merge_list(key, current, value)
    else:
        merged = _materialize(value)
    if isinstance(merged, _Deleted):
        original.pop(key, None)
    else:
        original[key] = merged


def _materialize(value: Any) -> Any:
    """Turn a patch value with nothing to merge into into plain data: drop nulls and directives.

    Merging into an empty map gives exactly that, and keeps one code path for directive handling.
    """
    if isinstance(value, dict):
        return _merge_map({}, value)
    if isinstance(value, list):
        return _materialize_list(value)
    return value


def _materialize_list(items: list[Any]) -> list[Any]:
    """Copy a patch list, dropping `$patch` marker elements (as Go's removeDirectives does)."""
    result = []
    for item in items:
        if isinstance(item, dict) and _DIRECTIVE in item:
            if item[_DIRECTIVE] not in _LIST_DIRECTIVES:
                raise PatchError(f"unknown patch type: {_go(item[_DIRECTIVE])} in map: {_go(item)}")
            continue
        result.append(_materialize(item))
    return result


# --------------------------------------------------------------------------- map directives


def _reject_unknown_directives(patch: JSONMap) -> None:
    """Refuse malformed directives (`$setElementOrder` naming no field).

    Any other `$` key is data, as in Go: a CRD's schema may legitimately hold `$schema`.
    """
    for key in patch:
        if _is_directive(key) and not _is_known_directive(key):
            raise PatchError(f"unknown strategic merge patch directive {key!r} in map: {_go(patch)}")


def _is_directive(key: str) -> bool:
    """Keys in directive syntax; only these are instructions, every other key is data."""
    return key in (_DIRECTIVE, _RETAIN_KEYS) or key.startswith(
        (_SET_ORDER.rstrip("/"), _DELETE_FROM.rstrip("/"))
    )


def _is_known_directive(key: str) -> bool:
    """`$patch`, `$retainKeys`, or a parallel-list directive that names its field."""
    if key in (_DIRECTIVE, _RETAIN_KEYS):
        return True
    return any(key.startswith(prefix) and len(key) > len(prefix) for prefix in (_SET_ORDER, _DELETE_FROM))


def _apply_retain_keys(original: JSONMap, patch: JSONMap) -> None:
    """`$retainKeys`: drop the live keys not listed, e.g. `rollingUpdate` when switching to Recreate.

    Like Go, the keys set by the patch itself must all be listed, otherwise the patch is malformed.
    """
    if _RETAIN_KEYS not in patch:
        return
    retained = patch[_RETAIN_KEYS]
    if not isinstance(retained, list):
        raise PatchError("invalid patch format of retainKeys")
    allowed = {key for key in retained if isinstance(key, str)}
    for key, value in patch.items():
        if value is not None and not _is_directive(key) and key not in allowed:
            raise PatchError("invalid patch format of retainKeys")
    for key in [key for key in original if key not in allowed]:
        del original[key]


def _apply_set_element_order(original: JSONMap, patch: JSONMap) -> set[str]:
    """Merge each list named by a `$setElementOrder/<field>` and put it in the requested order.

    Returns the fields handled here, so the main loop does not merge their patch lists a second time.
    """
    handled: set[str] = set()
    for directive, order in patch.items():
        if not directive.startswith(_SET_ORDER):
            continue
        field = directive[len(_SET_ORDER) :]
        if not isinstance(order, list):
            raise PatchError("invalid patch format of setElementOrder list")
        if not _orderable(field, original, patch):
            continue
        current, patch_list = original.get(field), patch.get(field)
        key = _merge_key(field, current or [], patch_list or [], order)
        merged = _merge_for_ordering(field, current, patch_list, order, key)
        if merged is not None:
            original[field] = _enforce_order(merged, order, current or [], key)
            handled.add(field)
    return handled


def _orderable(field: str, original: JSONMap, patch: JSONMap) -> bool:
    """Whether `$setElementOrder/<field>` applies: the field's lists are merged (replaced lists have no
    order to keep) and neither side holds a non-list there (e.g. a null, which deletes the field)."""
    if field not in SET_FIELDS and field not in MERGE_KEYS:
        return False
    return all(field not in side or isinstance(side[field], list) for side in (original, patch))


def _merge_for_ordering(
    field: str, current: list[Any] | None, patch_list: list[Any] | None, order: list[Any], key: str | None
) -> list[Any] | None:
    """The list's contents before ordering (None when neither side has it), after checking that the
    patch list names its elements in the same relative order as `$setElementOrder`, as Go requires."""
    _check_patch_follows_order(patch_list or [], order, key)
    if current is not None and patch_list is not None:
        return _merge_list(field, current, patch_list)
    if current is not None:
        return current
    if patch_list is not None:
        return _materialize_list(patch_list)
    return None


def _check_patch_follows_order(patch_list: list[Any], order: list[Any], key: str | None) -> None:
    """Port of Go's validatePatchWithSetOrderList: patch elements must be a subsequence of the order."""
    if not order or not patch_list:
        return
    items = [item for item in patch_list if not (isinstance(item, dict) and _DIRECTIVE in item)]
    wanted = [_required_id(item, key) for item in order]
    matched = 0
    for ident in wanted:
        if matched < len(items) and _required_id(items[matched], key) == ident:
            matched += 1
    if matched < len(items):
        raise PatchError(
            f"The order in patch list:\n{_go(patch_list)}\n"
            f" doesn't match $setElementOrder list:\n{_go(order)}\n"
        )


def _apply_primitive_deletions(original: JSONMap, patch: JSONMap) -> None:
    """`$deleteFromPrimitiveList/<field>`: remove every occurrence of the listed values."""
    for directive, values in patch.items():
        if not directive.startswith(_DELETE_FROM):
            continue
        if not isinstance(values, list):
            raise PatchError("invalid patch format of primitive list")
        field = directive[len(_DELETE_FROM) :]
        current = original.get(field)
        if isinstance(current, list):
            doomed = {_identity(value) for value in values}
            original[field] = [item for item in current if _identity(item) not in doomed]


# --------------------------------------------------------------------------- lists


def _merge_key(field: str, *lists: list[Any]) -> str | None:
    """The merge key of a keyed-list field, or None. `ports` is keyed by `containerPort` in containers
    and by `port` in Services; the elements tell which one we are looking at."""
    if field != "ports":
        return MERGE_KEYS.get(field)
    elements = [item for items in lists for item in items if isinstance(item, dict)]
    if not any("containerPort" in item for item in elements) and any("port" in item for item in elements):
        return "port"
    return "containerPort"


def _merge_list(field: str, current: list[Any], patch_list: list[Any]) -> list[Any]:
    """Merge a patch list into a live list according to the field's strategy."""
    if field in SET_FIELDS:
        return _merge_set(current, patch_list)
    key = _merge_key(field, current, patch_list)
    if key is None:
        return _materialize_list(patch_list)
    return _merge_keyed(current, patch_list, key)


def _reject_nested_lists(*lists: list[Any]) -> None:
    """Go's mergeSlice refuses lists of lists (ErrNoListOfLists, a 422)."""
    if any(isinstance(item, list) for items in lists for item in items):
        raise PatchError("lists of lists are not supported", 422)


def _merge_set(current: list[Any], patch_list: list[Any]) -> list[Any]:
    """Union of two primitive lists without duplicates, ordered like Go's mergeSlice orders them."""
    _reject_nested_lists(current, patch_list)
    seen: set[Hashable] = set()
    merged = []
    for item in [*current, *patch_list]:
        ident = _identity(item)
        if ident not in seen:
            seen.add(ident)
            merged.append(_copy(item))
    return _enforce_order(merged, patch_list, current, None)


def _merge_keyed(current: list[Any], patch_list: list[Any], key: str) -> list[Any]:
    """Merge a list of maps element by element, matching elements by the value of `key`."""
    _reject_nested_lists(current, patch_list)
    regular, doomed, replace = _split_list_directives(patch_list, key)
    if replace:
        return [_materialize(item) for item in regular]
    merged = [item for item in current if _element_id(item, key) not in doomed]
    index = _positions(merged, key)
    for item in regular:
        ident = _element_id(item, key)
        at = index.get(ident)
        if at is None:
            index[ident] = len(merged)
            merged.append(_materialize(item))
        elif isinstance(merged[at], dict):
            merged[at] = _merge_fields(merged[at], item)
        else:
            merged[at] = _materialize(item)
    return _enforce_order(merged, regular, current, key)


def _split_list_directives(patch_list: list[Any], key: str) -> tuple[list[JSONMap], set[Hashable], bool]:
    """Separate `$patch` marker elements from a keyed patch list.

    Returns the ordinary elements, the merge-key identities to delete, and whether a `$patch: replace`
    marker asks for the whole list to be replaced by the ordinary elements.
    """
    regular: list[JSONMap] = []
    doomed: set[Hashable] = set()
    replace = False
    for item in patch_list:
        if not isinstance(item, dict):
            raise PatchError(f"list element {_go(item)} is not a map, but the list is merged by key {key!r}")
        directive = item.get(_DIRECTIVE)
        if _DIRECTIVE not in item:
            regular.append(item)
        elif directive == "delete":
            doomed.add(_required_id(item, key))
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchError("merging lists cannot yet be specified in the patch")
        else:
            raise PatchError(f"unknown patch type: {_go(directive)} in map: {_go(item)}")
    for item in regular:
        _required_id(item, key)
    return regular, doomed, replace


def _element_id(item: Any, key: str | None) -> Hashable | None:
    """What identifies a list element: its merge-key value, or the value itself for primitive lists.

    None when a map lacks the key; such live elements never match a patch element.
    """
    if key is None:
        return _identity(item)
    if isinstance(item, dict) and key in item:
        return _identity(item[key])
    return None


def _required_id(item: Any, key: str | None) -> Hashable:
    """Like _element_id, for patch elements, where a missing merge key is the apiserver's 422."""
    ident = _element_id(item, key)
    if ident is None:
        if not isinstance(item, dict):
            raise PatchError(f"list element {_go(item)} is not a map, but the list is merged by key {key!r}")
        raise PatchError(f"map: {_go(item)} does not contain declared merge key: {key}", 422)
    return ident


def _positions(items: list[Any], key: str | None) -> dict[Hashable, int]:
    """Index of the first element with each identity; Go's index() also finds the first match."""
    positions: dict[Hashable, int] = {}
    for at, item in enumerate(items):
        ident = _element_id(item, key)
        if ident is not None:
            positions.setdefault(ident, at)
    return positions


def _enforce_order(merged: list[Any], wanted: list[Any], server: list[Any], key: str | None) -> list[Any]:
    """Port of Go's partition + normalizeElementOrder.

    Elements named in `wanted` (the patch list or `$setElementOrder`) take that order; the others keep
    their order in `server` (the live list); then the two runs are interleaved by _interleave.
    """
    wanted_at = _positions(wanted, key)
    server_at = _positions(server, key)
    named = [item for item in merged if _element_id(item, key) in wanted_at]
    others = [item for item in merged if _element_id(item, key) not in wanted_at]
    named.sort(key=lambda item: wanted_at[_element_id(item, key)])
    others.sort(key=lambda item: server_at.get(_element_id(item, key), len(server)))
    return _interleave(others, named, server_at, key)


def _interleave(
    server_only: list[Any], named: list[Any], server_at: Mapping[Hashable, int], key: str | None
) -> list[Any]:
    """Port of Go's mergeSortedSlice.

    A server-only element goes first only if both it and the next named element are in the live list
    and it comes earlier there; so elements new to the list go before the server-only ones.
    """
    result: list[Any] = []
    left = right = 0
    while left < len(server_only) and right < len(named):
        left_at = server_at.get(_element_id(server_only[left], key))
        right_at = server_at.get(_element_id(named[right], key))
        if left_at is not None and right_at is not None and left_at < right_at:
            result.append(server_only[left])
            left += 1
        else:
            result.append(named[right])
            right += 1
    return result + server_only[left:] + named[right:]
