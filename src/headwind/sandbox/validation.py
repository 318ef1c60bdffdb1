"""Admission-time validation: the ``422 Invalid`` answers of a kube-apiserver, as pure functions.

Why this module exists: every operator test runs against the sandbox through the real clients, and a
test that passes against the emulator must not fail on a real cluster. So the emulator refuses what a
kube-apiserver refuses, naming the same fields in the same words (kubectl prints the message, clients
and tests match on it). The rules are ports of ``k8s.io/kubernetes/pkg/apis/{core,apps,batch}/validation``,
``apiextensions-apiserver`` (CRDs, structural schemas, custom resources) and the wording of
``k8s.io/apimachinery/pkg/util/validation/field``. Nothing here does I/O or keeps state; the caller runs
defaulting first (as the apiserver does) and turns the returned :class:`FieldError` list into a Status
with :func:`invalid_message` and :meth:`FieldError.cause`.

Deliberate limits:

* Never stricter than the apiserver. Where a rule would need the whole Go type system (volumes, probes,
  resources, affinity, security contexts, cron field ranges, Secret types) it is left out, so the
  emulator may accept a little more than a cluster, never less.
* Messages follow current Kubernetes (1.30+). A bad value that Go prints as a struct is spelled the way
  Go spells it where that is deterministic; other structured values are printed as compact JSON.
* Decoding failures that a real apiserver answers with ``400 BadRequest`` (a Secret value that is not
  base64, a string where an integer belongs) are reported as ``Invalid value`` here, so the object is
  still refused, with the apiserver's explanation where it has one.
* Custom resources: the OpenAPI v3 subset structural schemas use. No CEL (``x-kubernetes-validations``),
  no list-type/map-keys semantics, no ``allOf``/``anyOf``/``oneOf``/``not``; embedded resources are only
  type-checked. ``validate_custom`` leaves ``metadata`` to :func:`validate_metadata`.
* Create-time rules only: immutability and update-only checks belong to the storage layer.
"""

from __future__ import annotations

import copy
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, TypeGuard

REQUIRED: Final = "Required value"
INVALID: Final = "Invalid value"
UNSUPPORTED: Final = "Unsupported value"
DUPLICATE: Final = "Duplicate value"
FORBIDDEN: Final = "Forbidden"
TOO_LONG: Final = "Too long"
TOO_MANY: Final = "Too many"

#: ``metav1.CauseType`` (the ``reason`` of a Status cause) for each error type.
CAUSE_REASONS: Final[Mapping[str, str]] = {
    REQUIRED: "FieldValueRequired",
    INVALID: "FieldValueInvalid",
    UNSUPPORTED: "FieldValueNotSupported",
    DUPLICATE: "FieldValueDuplicate",
    FORBIDDEN: "FieldValueForbidden",
    TOO_LONG: "FieldValueTooLong",
    TOO_MANY: "FieldValueTooMany",
}


@dataclass(frozen=True)
class FieldError:
    """One refused field, as Go's ``field.Error``.

    ``detail`` is everything the apiserver prints after the type: the Go-quoted bad value, if any, then
    the explanation, e.g. ``'"Bogus": supported values: "Pending", "Approved"'``. Empty when the type says
    it all (``spec.selector: Required value``).
    """

    field: str
    type: str
    detail: str = ""

    def body(self) -> str:
        """The message without the field (Go's ``ErrorBody``): what a Status cause carries."""
        return f"{self.type}: {self.detail}" if self.detail else self.type

    def message(self) -> str:
        """``<field>: <type>[: <detail>]``, one entry of the apiserver's ``... is invalid: ...``."""
        return f"{self.field}: {self.body()}"

    def cause(self) -> dict[str, str]:
        """This error as a ``details.causes`` entry of the ``Invalid`` Status."""
        return {
            "reason": CAUSE_REASONS.get(self.type, "FieldValueInvalid"),
            "message": self.body(),
            "field": self.field,
        }


def invalid_message(kind_qualified: str, name: str, errors: Sequence[FieldError]) -> str:
    """The ``message`` of the apiserver's ``Invalid`` Status (``apierrors.NewInvalid``).

    One error reads ``Deployment.apps "web" is invalid: spec.selector: Required value``; several are
    bracketed and comma-separated; repeated messages appear once, as Go's aggregate prints them.
    """
    messages = list(dict.fromkeys(error.message() for error in errors))
    head = f"{kind_qualified} {_go_quote(name)} is invalid"
    if not messages:
        return head
    if len(messages) == 1:
        return f"{head}: {messages[0]}"
    return f"{head}: [{', '.join(messages)}]"


# ---------------------------------------------------------------------------------------------------
# Go spelling of values and paths


class _Go(str):
    """A bad value already written the way Go's ``%#v`` writes it (a struct, a typed map)."""


_GO_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def _go_char(char: str) -> str:
    if char in _GO_ESCAPES:
        return _GO_ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _go_quote(text: str) -> str:
    """Go's ``%q`` / ``strconv.Quote``."""
    return '"' + "".join(_go_char(char) for char in text) + '"'


def _go_number(value: float) -> str:
    """Go's ``%v`` for a number: no ``.0`` on whole floats below 1e21."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e21):
        return str(int(value))
    return repr(value)


def _go_value(value: object) -> str:
    if isinstance(value, _Go):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _go_number(value)
    if isinstance(value, str):
        return _go_quote(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _go_string_map(labels: object) -> _Go:
    if not isinstance(labels, Mapping):
        return _Go("map[string]string(nil)")
    pairs = sorted((str(key), value) for key, value in labels.items())
    return _Go("map[string]string{" + ", ".join(f"{_go_quote(k)}:{_go_value(v)}" for k, v in pairs) + "}")


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _index(path: str, key: object) -> str:
    """``path[3]`` for a list index, ``path[key]`` for a map key, as ``field.Path`` prints both."""
    return f"{path}[{key}]"


def _joined(*parts: str) -> str:
    return ": ".join(part for part in parts if part)


def _required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, REQUIRED, detail)


def _forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, FORBIDDEN, detail)


def _invalid(path: str, value: object, detail: str) -> FieldError:
    return FieldError(path, INVALID, _joined(_go_value(value), detail))


def _unsupported(path: str, value: object, supported: Iterable[str]) -> FieldError:
    quoted = ", ".join(_go_quote(option) for option in supported)
    return FieldError(
        path, UNSUPPORTED, _joined(_go_value(value), f"supported values: {quoted}" if quoted else "")
    )


def _duplicate(path: str, value: object) -> FieldError:
    return FieldError(path, DUPLICATE, _go_value(value))


def _too_long(path: str, limit: int) -> FieldError:
    return FieldError(path, TOO_LONG, f"may not be more than {limit} bytes")


def _too_many(path: str, actual: int, limit: int) -> FieldError:
    return FieldError(path, TOO_MANY, f"{actual}: must have at most {limit} items")


def _enum(value: Any, path: str, allowed: Sequence[str], *, required: bool = False) -> list[FieldError]:
    """An enumerated string field; absent or empty means defaulted unless ``required``."""
    if value is None or value == "":
        return [_required(path)] if required else []
    return [] if value in allowed else [_unsupported(path, value, allowed)]


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------------
# Name syntax (k8s.io/apimachinery/pkg/util/validation)


def _max_len(limit: int) -> str:
    return f"must be no more than {limit} characters"


def _regex_error(message: str, fmt: str, examples: Sequence[str]) -> str:
    """Go's ``RegexError``, double space before each ``or`` included."""
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


@dataclass(frozen=True)
class _Syntax:
    """A name syntax: a Go regex (as the message shows it), a byte limit and the explanation."""

    fmt: str
    max_len: int
    message: str
    examples: tuple[str, ...]

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.fmt, value) is not None

    def regex_error(self) -> str:
        return _regex_error(self.message, self.fmt, self.examples)

    def errors(self, value: str) -> list[str]:
        errors = [_max_len(self.max_len)] if len(value.encode()) > self.max_len else []
        return errors if self.matches(value) else [*errors, self.regex_error()]


_LABEL_FMT: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_FMT: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_MESSAGE: Final = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character"
)
_DNS1123_LABEL: Final = _Syntax(
    _LABEL_FMT,
    63,
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character",
    ("my-name", "123-abc"),
)
_DNS1123_SUBDOMAIN: Final = _Syntax(
    _LABEL_FMT + r"(\." + _LABEL_FMT + ")*",
    253,
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character",
    ("example.com",),
)
_DNS1035_LABEL: Final = _Syntax(
    "[a-z]([-a-z0-9]*[a-z0-9])?",
    63,
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character",
    ("my-name", "abc-123"),
)
_QUALIFIED_NAME: Final = _Syntax(_QUALIFIED_FMT, 63, _QUALIFIED_MESSAGE, ("MyName", "my.name", "123-abc"))
_LABEL_VALUE: Final = _Syntax(
    "(" + _QUALIFIED_FMT + ")?",
    63,
    "a valid label must be an empty string or consist of alphanumeric "
    "characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    ("MyValue", "my_value", "12345"),
)
_CONFIG_KEY: Final = _Syntax(
    "[-._a-zA-Z0-9]+",
    253,
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
    ("key.name", "KEY_NAME", "key-name"),
)
_CONFIG_KEY_DOTS: Final = (("..", "must not be '..'"), (".", "must not be '.'"))


def _dns1123_label_errors(value: str) -> list[str]:
    """``IsDNS1123Label``: a valid subdomain that fails is told about its dots."""
    errors = [_max_len(63)] if len(value.encode()) > 63 else []
    if _DNS1123_LABEL.matches(value):
        return errors
    return [
        *errors,
        "must not contain dots" if _DNS1123_SUBDOMAIN.matches(value) else _DNS1123_LABEL.regex_error(),
    ]


def _qualified_name_errors(value: str) -> list[str]:
    """``IsQualifiedName``: an optional DNS-subdomain prefix and ``/``, then a short name."""
    parts = value.split("/")
    if len(parts) > 2:
        return [
            f"a qualified name {_QUALIFIED_NAME.regex_error()} with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    errors = _prefix_errors(parts[0]) if len(parts) == 2 else []
    name = parts[-1]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errors.append("name part " + _max_len(63))
    if not _QUALIFIED_NAME.matches(name):
        errors.append("name part " + _QUALIFIED_NAME.regex_error())
    return errors


def _prefix_errors(prefix: str) -> list[str]:
    if not prefix:
        return ["prefix part must be non-empty"]
    return ["prefix part " + message for message in _DNS1123_SUBDOMAIN.errors(prefix)]


def _config_key_errors(key: str) -> list[str]:
    """``IsConfigMapKey``: file-name safe, and not a path that climbs out of a volume."""
    errors = _CONFIG_KEY.errors(key)
    climbing = next((message for dots, message in _CONFIG_KEY_DOTS if key == dots), None)
    if climbing is None and key.startswith(".."):
        climbing = "must not start with '..'"
    return [*errors, climbing] if climbing else errors


NameRule = Callable[[str, bool], list[str]]


def _mask_trailing_dash(name: str) -> str:
    """Go's ``maskTrailingDash`` for generateName prefixes (it replaces the last *two* characters)."""
    return name[:-2] + "a" if len(name) > 1 and name.endswith("-") else name


def _subdomain_name(name: str, prefix: bool) -> list[str]:
    return _DNS1123_SUBDOMAIN.errors(_mask_trailing_dash(name) if prefix else name)


def _label_name(name: str, prefix: bool) -> list[str]:
    return _dns1123_label_errors(_mask_trailing_dash(name) if prefix else name)


# ---------------------------------------------------------------------------------------------------
# Object metadata (ValidateObjectMeta)

_ANNOTATIONS_LIMIT: Final = 256 * 1024


def validate_metadata(obj: Mapping[str, Any]) -> list[FieldError]:
    """``metadata`` of a custom resource: a DNS-subdomain name, label and annotation syntax."""
    return _object_meta(obj, _subdomain_name)


def _object_meta(obj: Mapping[str, Any], name_rule: NameRule) -> list[FieldError]:
    meta = _map(obj.get("metadata"))
    return [
        *_names(meta, name_rule),
        *_labels(meta.get("labels"), "metadata.labels"),
        *_annotations(meta.get("annotations"), "metadata.annotations"),
    ]


def _names(meta: Mapping[str, Any], name_rule: NameRule) -> list[FieldError]:
    generate, name = _str(meta.get("generateName")), _str(meta.get("name"))
    errors = [
        _invalid("metadata.generateName", generate, m)
        for m in (name_rule(generate, True) if generate else [])
    ]
    if name:
        return [*errors, *(_invalid("metadata.name", name, m) for m in name_rule(name, False))]
    return errors if generate else [*errors, _required("metadata.name", "name or generateName is required")]


def _labels(labels: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for key, value in _map(labels).items():
        errors += [_invalid(path, key, message) for message in _qualified_name_errors(str(key))]
        if not isinstance(value, str):
            errors.append(_invalid(path, value, "must be a string"))
        else:
            errors += [_invalid(path, value, message) for message in _LABEL_VALUE.errors(value)]
    return errors


def _annotations(annotations: Any, path: str) -> list[FieldError]:
    entries = _map(annotations)
    errors = [_invalid(path, key, m) for key in entries for m in _qualified_name_errors(str(key).lower())]
    errors += [
        _invalid(path, value, "must be a string") for value in entries.values() if not isinstance(value, str)
    ]
    size = sum(len(str(key).encode()) + len(str(value).encode()) for key, value in entries.items())
    return [*errors, _too_long(path, _ANNOTATIONS_LIMIT)] if size > _ANNOTATIONS_LIMIT else errors


# ---------------------------------------------------------------------------------------------------
# Label selectors (metav1 validation and LabelSelectorAsSelector)

_VALUES_REQUIRED: Final = {"In": True, "NotIn": True, "Exists": False, "DoesNotExist": False}
_MATCHERS: Final[Mapping[str, Callable[[Mapping[str, Any], str, list[Any]], bool]]] = {
    "In": lambda labels, key, values: key in labels and labels[key] in values,
    "NotIn": lambda labels, key, values: labels.get(key) not in values,
    "Exists": lambda labels, key, values: key in labels,
    "DoesNotExist": lambda labels, key, values: key not in labels,
}
#: Go prints an empty ``*metav1.LabelSelector`` through its generated ``String()``.
_EMPTY_SELECTOR: Final = _Go(
    "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}"
)


def _selector_errors(selector: Mapping[str, Any], path: str) -> list[FieldError]:
    errors = _labels(selector.get("matchLabels"), _child(path, "matchLabels"))
    for i, requirement in enumerate(_list(selector.get("matchExpressions"))):
        errors += _requirement_errors(_map(requirement), _index(_child(path, "matchExpressions"), i))
    return errors


def _requirement_errors(requirement: Mapping[str, Any], path: str) -> list[FieldError]:
    operator_, values = requirement.get("operator"), _list(requirement.get("values"))
    errors: list[FieldError] = []
    if operator_ not in _VALUES_REQUIRED:
        errors.append(_invalid(_child(path, "operator"), operator_, "not a valid selector operator"))
    elif _VALUES_REQUIRED[operator_] and not values:
        errors.append(
            _required(_child(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'")
        )
    elif not _VALUES_REQUIRED[operator_] and values:
        detail = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        errors.append(_forbidden(_child(path, "values"), detail))
    key = _str(requirement.get("key"))
    errors += [_invalid(_child(path, "key"), key, message) for message in _qualified_name_errors(key)]
    for i, value in enumerate(values):
        shown = _index(_child(path, "values"), i)
        errors += [_invalid(shown, value, message) for message in _LABEL_VALUE.errors(str(value))]
    return errors


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool | None:
    """Whether ``selector`` matches ``labels``; ``None`` when it does not parse (nothing to compare)."""
    if selector is None:
        return False  # a nil selector selects nothing
    rules = _map(selector)
    if _selector_errors(rules, ""):
        return None
    expressions = [_map(expression) for expression in _list(rules.get("matchExpressions"))]
    return all(labels.get(key) == value for key, value in _map(rules.get("matchLabels")).items()) and all(
        _MATCHERS[e["operator"]](labels, _str(e.get("key")), _list(e.get("values"))) for e in expressions
    )


def _is_empty_selector(selector: Mapping[str, Any]) -> bool:
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


# ---------------------------------------------------------------------------------------------------
# Pods and pod templates (pkg/apis/core/validation)

_RESTART_POLICIES: Final = ("Always", "OnFailure", "Never")
_PULL_POLICIES: Final = ("Always", "IfNotPresent", "Never")
_PROTOCOLS: Final = ("SCTP", "TCP", "UDP")
_RELAXED_ENV_NAME: Final = re.compile(r"[ -<>-~]+")
_ENV_NAME_MESSAGE: Final = (
    "a valid environment variable name must consist only of printable ASCII characters other than '='"
)
_PORT_NAME_RULES: Final[tuple[tuple[Callable[[str], bool], str], ...]] = (
    (lambda name: len(name) > 15, _max_len(15)),
    (
        lambda name: re.fullmatch("[-a-z0-9]+", name) is None,
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
    ),
    (lambda name: re.search("[a-z]", name) is None, "must contain at least one letter (a-z)"),
    (lambda name: "--" in name, "must not contain consecutive hyphens"),
    (lambda name: name.startswith("-") or name.endswith("-"), "must not begin or end with a hyphen"),
)


def _pod_template(template: Mapping[str, Any], path: str, *, pod_spec: bool = True) -> list[FieldError]:
    """``ValidatePodTemplateSpec``; note its label path is ``<template>.labels``, not ``.metadata.labels``."""
    meta = _map(template.get("metadata"))
    errors = [
        *_labels(meta.get("labels"), _child(path, "labels")),
        *_annotations(meta.get("annotations"), _child(path, "annotations")),
    ]
    return [*errors, *_pod_spec(_map(template.get("spec")), _child(path, "spec"))] if pod_spec else errors


def _pod_spec(spec: Mapping[str, Any], path: str) -> list[FieldError]:
    names: set[str] = set()
    containers = _list(spec.get("containers"))
    errors = (
        _container_list(containers, _child(path, "containers"), names)
        if containers
        else [_required(_child(path, "containers"))]
    )
    errors += _container_list(_list(spec.get("initContainers")), _child(path, "initContainers"), names)
    return [*errors, *_enum(spec.get("restartPolicy"), _child(path, "restartPolicy"), _RESTART_POLICIES)]


def _container_list(items: list[Any], path: str, names: set[str]) -> list[FieldError]:
    """Containers, then init containers: a name may appear once across both lists."""
    errors: list[FieldError] = []
    for i, item in enumerate(items):
        container, here = _map(item), _index(path, i)
        errors += _container(container, here)
        name = _str(container.get("name"))
        if name in names:
            errors.append(_duplicate(_child(here, "name"), name))
        elif name:
            names.add(name)
    return errors


def _container(container: Mapping[str, Any], path: str) -> list[FieldError]:
    name = _str(container.get("name"))
    name_path = _child(path, "name")
    errors = (
        [_invalid(name_path, name, m) for m in _dns1123_label_errors(name)]
        if name
        else [_required(name_path)]
    )
    if not _str(container.get("image")):
        errors.append(_required(_child(path, "image")))
    return [
        *errors,
        *_ports(container.get("ports"), _child(path, "ports")),
        *_env(container.get("env"), _child(path, "env")),
        *_enum(container.get("imagePullPolicy"), _child(path, "imagePullPolicy"), _PULL_POLICIES),
    ]


def _ports(value: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, item in enumerate(_list(value)):
        port, here = _map(item), _index(path, i)
        errors += _port_name(_str(port.get("name")), _child(here, "name"), names)
        errors += _port_number(port.get("containerPort"), _child(here, "containerPort"), required=True)
        errors += _port_number(port.get("hostPort"), _child(here, "hostPort"), required=False)
        errors += _enum(port.get("protocol"), _child(here, "protocol"), _PROTOCOLS)
    return errors


def _port_name(name: str, path: str, names: set[str]) -> list[FieldError]:
    if not name:
        return []
    problems = [_invalid(path, name, message) for broken, message in _PORT_NAME_RULES if broken(name)]
    if problems:
        return problems
    if name in names:
        return [_duplicate(path, name)]
    names.add(name)
    return []


def _port_number(value: Any, path: str, *, required: bool) -> list[FieldError]:
    if value is None or value == 0:
        return [_required(path)] if required else []
    if _is_int(value) and 1 <= value <= 65535:
        return []
    return [_invalid(path, value, "must be between 1 and 65535, inclusive")]


def _env(value: Any, path: str) -> list[FieldError]:
    """Names only: required, and (relaxed rule, the default since 1.32) printable ASCII without ``=``."""
    errors: list[FieldError] = []
    for i, item in enumerate(_list(value)):
        name, here = _str(_map(item).get("name")), _child(_index(path, i), "name")
        if not name:
            errors.append(_required(here))
        elif not _RELAXED_ENV_NAME.fullmatch(name):
            errors.append(_invalid(here, name, _ENV_NAME_MESSAGE))
    return errors


def _nonnegative(spec: Mapping[str, Any], path: str, fields: Iterable[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    for name in fields:
        value = spec.get(name)
        if value is None:
            continue
        if not _is_int(value):
            errors.append(_invalid(_child(path, name), value, "must be an integer"))
        elif value < 0:
            errors.append(_invalid(_child(path, name), value, "must be greater than or equal to 0"))
    return errors


def _pod(obj: Mapping[str, Any]) -> list[FieldError]:
    """A Pod: its spec, plus the one rule templates escape (an image padded with whitespace)."""
    spec = _map(obj.get("spec"))
    errors = _pod_spec(spec, "spec")
    for group in ("containers", "initContainers"):
        for i, item in enumerate(_list(spec.get(group))):
            image = _str(_map(item).get("image"))
            if image != image.strip():
                path = _child(_index(f"spec.{group}", i), "image")
                errors.append(_invalid(path, image, "must not have leading or trailing whitespace"))
    return errors


# ---------------------------------------------------------------------------------------------------
# apps: Deployment, ReplicaSet, StatefulSet, DaemonSet


@dataclass(frozen=True)
class _Strategy:
    """A workload's update strategy: its field, Go type names (for the bad value) and types."""

    field: str
    go_type: str
    rolling_go_type: str
    types: tuple[str, ...]
    unsupported: bool  # NotSupported; otherwise Invalid "must be 'A' or 'B'" (StatefulSet)


@dataclass(frozen=True)
class _Workload:
    """What differs between the apps workloads; the checks themselves are shared."""

    noun: str  # "empty selector is invalid for <noun>"
    owner: str  # "activeDeadlineSeconds in <owner> is not Supported"
    counters: tuple[str, ...]  # non-negative integers of the spec
    strategy: _Strategy | None
    selector_required: bool = True  # a DaemonSet without selector only fails the template match
    pod_spec: bool = True  # a StatefulSet's pod spec is not validated by the apiserver


_DEPLOYMENT: Final = _Workload(
    "deployment",
    "ReplicaSet",
    ("replicas", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"),
    _Strategy(
        "strategy",
        "apps.DeploymentStrategy",
        "apps.RollingUpdateDeployment",
        ("Recreate", "RollingUpdate"),
        True,
    ),
)
_REPLICASET: Final = _Workload("deployment", "ReplicaSet", ("replicas", "minReadySeconds"), None)
_STATEFULSET: Final = _Workload(
    "statefulset",
    "StatefulSet",
    ("replicas", "minReadySeconds"),
    _Strategy(
        "updateStrategy",
        "apps.StatefulSetUpdateStrategy",
        "apps.RollingUpdateStatefulSetStrategy",
        ("RollingUpdate", "OnDelete"),
        False,
    ),
    pod_spec=False,
)
_DAEMONSET: Final = _Workload(
    "daemonset",
    "DaemonSet",
    ("minReadySeconds", "revisionHistoryLimit"),
    _Strategy(
        "updateStrategy",
        "apps.DaemonSetUpdateStrategy",
        "apps.RollingUpdateDaemonSet",
        ("RollingUpdate", "OnDelete"),
        True,
    ),
    selector_required=False,
)


def _workload(rules: _Workload, obj: Mapping[str, Any]) -> list[FieldError]:
    spec = _map(obj.get("spec"))
    template = _map(spec.get("template"))
    return [
        *_nonnegative(spec, "spec", rules.counters),
        *_workload_selector(spec.get("selector"), rules),
        *_template_selected(spec.get("selector"), template, "spec.template"),
        *_pod_template(template, "spec.template", pod_spec=rules.pod_spec),
        *_always_restarts(template, rules.owner),
        *_strategy_errors(spec, rules.strategy),
    ]


def _workload_selector(selector: Any, rules: _Workload) -> list[FieldError]:
    if selector is None:
        return [_required("spec.selector")] if rules.selector_required else []
    errors = _selector_errors(_map(selector), "spec.selector")
    if _is_empty_selector(_map(selector)):
        errors.append(
            _invalid("spec.selector", _EMPTY_SELECTOR, f"empty selector is invalid for {rules.noun}")
        )
    return errors


def _template_selected(selector: Any, template: Mapping[str, Any], path: str) -> list[FieldError]:
    """The selector must select the pods the template makes (an empty one selects everything)."""
    labels = _map(template.get("metadata")).get("labels")
    if _selects(selector, _map(labels)) is not False:
        return []
    detail = "`selector` does not match template `labels`"
    return [_invalid(_child(path, "metadata.labels"), _go_string_map(labels), detail)]


def _always_restarts(template: Mapping[str, Any], owner: str) -> list[FieldError]:
    spec = _map(template.get("spec"))
    policy = spec.get("restartPolicy") or "Always"
    errors = (
        [] if policy == "Always" else [_unsupported("spec.template.spec.restartPolicy", policy, ("Always",))]
    )
    if spec.get("activeDeadlineSeconds") is not None:
        detail = f"activeDeadlineSeconds in {owner} is not Supported"
        errors.append(_forbidden("spec.template.spec.activeDeadlineSeconds", detail))
    return errors


def _strategy_errors(spec: Mapping[str, Any], rules: _Strategy | None) -> list[FieldError]:
    if rules is None:
        return []
    strategy = _map(spec.get(rules.field))
    kind, path = strategy.get("type") or "RollingUpdate", _child("spec", rules.field)
    if kind == "Recreate" and kind in rules.types and strategy.get("rollingUpdate") is not None:
        detail = "may not be specified when strategy `type` is 'Recreate'"
        return [_forbidden(_child(path, "rollingUpdate"), detail)]
    if kind in rules.types:
        return []
    pointer = "nil" if strategy.get("rollingUpdate") is None else "0xc000000000"
    value = _Go(
        f"{rules.go_type}{{Type:{_go_quote(str(kind))}, RollingUpdate:(*{rules.rolling_go_type})({pointer})}}"
    )
    if rules.unsupported:
        return [_unsupported(path, value, rules.types)]
    return [_invalid(path, value, "must be " + " or ".join(f"'{option}'" for option in rules.types))]


# ---------------------------------------------------------------------------------------------------
# batch: Job, CronJob

_JOB_COUNTERS: Final = (
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "backoffLimit",
    "ttlSecondsAfterFinished",
)
_CRONJOB_COUNTERS: Final = ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit")
_CONCURRENCY_POLICIES: Final = ("Allow", "Forbid", "Replace")
_JOB_RESTART_POLICIES: Final = ("OnFailure", "Never")
_CRON_DESCRIPTORS: Final = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_CRONJOB_NAME_LIMIT: Final = 52  # the controller appends an 11-character suffix to make a Job name


def _job(obj: Mapping[str, Any]) -> list[FieldError]:
    return _job_spec(_map(obj.get("spec")), "spec")


def _job_spec(spec: Mapping[str, Any], path: str) -> list[FieldError]:
    template, template_path = _map(spec.get("template")), _child(path, "template")
    return [
        *_nonnegative(spec, path, _JOB_COUNTERS),
        *_pod_template(template, template_path),
        *_job_restart_policy(_map(template.get("spec")).get("restartPolicy"), _child(template_path, "spec")),
    ]


def _job_restart_policy(policy: Any, path: str) -> list[FieldError]:
    """A Job's pods must not restart in place; an absent policy was defaulted to ``Always``."""
    here = _child(path, "restartPolicy")
    if policy in (None, "", "Always"):
        return [_required(here, 'valid values: "OnFailure", "Never"')]
    return [] if policy in _JOB_RESTART_POLICIES else [_unsupported(here, policy, _JOB_RESTART_POLICIES)]


def _cronjob(obj: Mapping[str, Any]) -> list[FieldError]:
    spec = _map(obj.get("spec"))
    name = _str(_map(obj.get("metadata")).get("name"))
    too_long = len(name) > _CRONJOB_NAME_LIMIT
    return [
        *_schedule(spec.get("schedule")),
        *_nonnegative(spec, "spec", _CRONJOB_COUNTERS),
        *_enum(spec.get("concurrencyPolicy"), "spec.concurrencyPolicy", _CONCURRENCY_POLICIES),
        *_job_spec(_map(_map(spec.get("jobTemplate")).get("spec")), "spec.jobTemplate.spec"),
        *([_invalid("metadata.name", name, _max_len(_CRONJOB_NAME_LIMIT))] if too_long else []),
    ]


def _schedule(value: Any) -> list[FieldError]:
    schedule = _str(value)
    if not schedule:
        return [_required("spec.schedule")]
    errors = [_invalid("spec.schedule", schedule, message) for message in _cron_errors(schedule)]
    if "TZ" in schedule:
        errors.append(
            _invalid(
                "spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
            )
        )
    return errors


def _cron_errors(schedule: str) -> list[str]:
    """The shape ``cron.ParseStandard`` insists on; field ranges are not checked (permissive)."""
    spec = schedule.partition(" ")[2].strip() if schedule.startswith(("TZ=", "CRON_TZ=")) else schedule
    if spec.startswith("@"):
        known = spec in _CRON_DESCRIPTORS or spec.startswith("@every ")
        return [] if known else [f"unrecognized descriptor: {spec}"]
    fields = spec.split()
    return (
        [] if len(fields) == 5 else [f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"]
    )


# ---------------------------------------------------------------------------------------------------
# core: ConfigMap, Secret

_B64_ALPHABET: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B64_NEWLINES: Final = frozenset(b"\r\n")
_B64_PAD: Final = ord("=")


def _configmap(obj: Mapping[str, Any]) -> list[FieldError]:
    data, binary = _map(obj.get("data")), _map(obj.get("binaryData"))
    clashes = [
        _invalid(_index("data", key), key, "duplicate of key present in binaryData")
        for key in data
        if key in binary
    ]
    return [
        *_config_keys(data, "data"),
        *clashes,
        *_config_keys(binary, "binaryData"),
        *_base64_values(binary, "binaryData"),
    ]


def _secret(obj: Mapping[str, Any]) -> list[FieldError]:
    """``stringData`` is merged into ``data`` before validation, so its keys are reported as ``data``."""
    data, string_data = _map(obj.get("data")), _map(obj.get("stringData"))
    keys = [*data, *(key for key in string_data if key not in data)]
    return [*_config_keys(keys, "data"), *_base64_values(data, "data")]


def _config_keys(keys: Iterable[Any], field: str) -> list[FieldError]:
    return [
        _invalid(_index(field, key), key, message) for key in keys for message in _config_key_errors(str(key))
    ]


def _base64_values(entries: Mapping[str, Any], field: str) -> list[FieldError]:
    """Values of ``[]byte`` fields: Go's JSON decoder wants standard base64 (the apiserver answers 400)."""
    errors: list[FieldError] = []
    for key, value in entries.items():
        if not isinstance(value, str):
            errors.append(FieldError(_index(field, key), INVALID, "must be a base64-encoded string"))
        elif (offset := _base64_error_offset(value.encode())) is not None:
            errors.append(
                FieldError(_index(field, key), INVALID, f"illegal base64 data at input byte {offset}")
            )
    return errors


def _base64_error_offset(data: bytes) -> int | None:
    """Where Go's ``base64.StdEncoding`` gives up on ``data`` (it skips CR and LF), or None."""
    at = 0
    while True:
        taken = 0
        while taken < 4:
            if at == len(data):
                return None if taken == 0 else at - taken
            byte, at = data[at], at + 1
            if byte in _B64_ALPHABET:
                taken += 1
            elif byte not in _B64_NEWLINES:
                return at - 1 if byte != _B64_PAD else _base64_padding_error(data, at, taken)


def _base64_padding_error(data: bytes, at: int, taken: int) -> int | None:
    if taken < 2:
        return at - 1
    if taken == 2:  # "==" expected; the first "=" is consumed
        at = _skip_newlines(data, at)
        if at == len(data):
            return len(data)
        if data[at] != _B64_PAD:
            return at - 1
        at += 1
    at = _skip_newlines(data, at)
    return at if at < len(data) else None


def _skip_newlines(data: bytes, at: int) -> int:
    while at < len(data) and data[at] in _B64_NEWLINES:
        at += 1
    return at


# ---------------------------------------------------------------------------------------------------
# Built-in kinds


@dataclass(frozen=True)
class _Kind:
    name_rule: NameRule
    check: Callable[[Mapping[str, Any]], list[FieldError]]


def _metadata_only(obj: Mapping[str, Any]) -> list[FieldError]:
    return []


_KINDS: Final[Mapping[tuple[str, str], _Kind]] = {
    ("apps", "Deployment"): _Kind(_subdomain_name, partial(_workload, _DEPLOYMENT)),
    ("apps", "ReplicaSet"): _Kind(_subdomain_name, partial(_workload, _REPLICASET)),
    ("apps", "StatefulSet"): _Kind(_label_name, partial(_workload, _STATEFULSET)),
    ("apps", "DaemonSet"): _Kind(_subdomain_name, partial(_workload, _DAEMONSET)),
    ("batch", "Job"): _Kind(_subdomain_name, _job),
    ("batch", "CronJob"): _Kind(_subdomain_name, _cronjob),
    ("", "Pod"): _Kind(_subdomain_name, _pod),
    ("", "ConfigMap"): _Kind(_subdomain_name, _configmap),
    ("", "Secret"): _Kind(_subdomain_name, _secret),
    ("", "Namespace"): _Kind(_label_name, _metadata_only),
    ("coordination.k8s.io", "Lease"): _Kind(_subdomain_name, _metadata_only),
}


def validate_builtin(group: str, kind: str, obj: Mapping[str, Any]) -> list[FieldError]:
    """What the apiserver refuses in a (defaulted) built-in object; ``[]`` for kinds not covered."""
    rules = _KINDS.get((group, kind))
    if rules is None:
        return []
    return [*_object_meta(obj, rules.name_rule), *rules.check(obj)]


# ---------------------------------------------------------------------------------------------------
# CustomResourceDefinition (apiextensions.k8s.io/v1)

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
        lambda p: _forbidden(
            _child(p, "additionalProperties"), "additionalProperties and properties are mutual exclusive"
        ),
    ),
    (
        lambda s: s.get("uniqueItems") is True,
        lambda p: _forbidden(
            _child(p, "uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ),
    ),
    (
        lambda s: s.get("x-kubernetes-preserve-unknown-fields") is False,
        lambda p: _invalid(
            _child(p, "x-kubernetes-preserve-unknown-fields"), False, "must be true or undefined"
        ),
    ),
    (
        lambda s: s.get("type") == "array" and not isinstance(s.get("items"), Mapping),
        lambda p: _required(_child(p, "items"), "must be specified"),
    ),
)


def validate_crd(crd: Mapping[str, Any]) -> list[FieldError]:
    """A CustomResourceDefinition: identity, versions, and structural (prunable) schemas."""
    spec = _map(crd.get("spec"))
    names = _map(spec.get("names"))
    expected_name = f"{_str(names.get('plural'))}.{_str(spec.get('group'))}"
    return [
        *_object_meta(crd, _crd_name_rule(expected_name)),
        *_crd_group(_str(spec.get("group"))),
        *_enum(spec.get("scope"), "spec.scope", _CRD_SCOPES, required=True),
        *_crd_versions([_map(version) for version in _list(spec.get("versions"))]),
        *_crd_names(names),
    ]


def _crd_name_rule(expected: str) -> NameRule:
    def rule(name: str, prefix: bool) -> list[str]:
        errors = _subdomain_name(name, prefix)
        return errors if name == expected else [*errors, 'must be spec.names.plural+"."+spec.group']

    return rule


def _crd_group(group: str) -> list[FieldError]:
    if not group:
        return [_required("spec.group")]
    if errors := _DNS1123_SUBDOMAIN.errors(group):
        return [_invalid("spec.group", group, ",".join(errors))]
    return [] if "." in group else [_invalid("spec.group", group, "should be a domain with at least one dot")]


def _crd_versions(versions: list[Mapping[str, Any]]) -> list[FieldError]:
    errors = [
        error
        for i, version in enumerate(versions)
        for error in _crd_version(version, _index("spec.versions", i))
    ]
    names = [_str(version.get("name")) for version in versions]
    shown = _Go("[]apiextensions.CustomResourceDefinitionVersion" + ("{...}" if versions else "(nil)"))
    if len(set(names)) != len(names):
        errors.append(_invalid("spec.versions", shown, "must contain unique version names"))
    if sum(version.get("storage") is True for version in versions) != 1:
        errors.append(
            _invalid("spec.versions", shown, "must have exactly one version marked as storage version")
        )
    return errors


def _crd_version(version: Mapping[str, Any], path: str) -> list[FieldError]:
    name = _str(version.get("name"))
    messages = _DNS1035_LABEL.errors(name)
    errors = [_invalid(_child(path, "name"), name, ",".join(messages))] if messages else []
    schema = _map(version.get("schema")).get("openAPIV3Schema")
    schema_path = _child(path, "schema.openAPIV3Schema")
    if not isinstance(schema, Mapping):
        return [*errors, _required(schema_path, "schemas are required")]
    return [*errors, *_structural_root(schema, schema_path)]


def _structural_root(schema: Mapping[str, Any], path: str) -> list[FieldError]:
    errors = (
        [_forbidden(_child(path, "nullable"), "nullable cannot be true at the root")]
        if schema.get("nullable")
        else []
    )
    kind = schema.get("type")
    if kind and kind != "object":
        errors.append(_invalid(_child(path, "type"), kind, "must be object at the root"))
    return [*errors, *_structural(schema, path, "root")]


def _structural(schema: Mapping[str, Any], path: str, level: str) -> list[FieldError]:
    """Every node has a known type (or is int-or-string / preserves unknown fields), recursively."""
    errors = [
        *_schema_type(schema, path, level),
        *(error(path) for broken, error in _SCHEMA_RULES if broken(schema)),
    ]
    for name, sub in _map(schema.get("properties")).items():
        errors += _structural(_map(sub), _index(_child(path, "properties"), name), "field")
    for key, sub_level in (("additionalProperties", "field"), ("items", "item")):
        sub = schema.get(key)
        if isinstance(sub, Mapping):
            errors += _structural(sub, _child(path, key), sub_level)
    return errors


def _schema_type(schema: Mapping[str, Any], path: str, level: str) -> list[FieldError]:
    kind = schema.get("type")
    if kind:
        return [] if kind in _SCHEMA_TYPES else [_unsupported(_child(path, "type"), kind, _SCHEMA_TYPES)]
    exempt = (
        schema.get("x-kubernetes-int-or-string") is True
        or schema.get("x-kubernetes-preserve-unknown-fields") is True
    )
    return [] if exempt else [_required(_child(path, "type"), _MISSING_TYPE[level])]


def _crd_names(names: Mapping[str, Any]) -> list[FieldError]:
    errors = [_required(_child("spec.names", key)) for key in ("plural", "kind") if not _str(names.get(key))]
    for key, mixed_case in _CRD_NAME_FIELDS:
        value = _str(names.get(key))
        messages = _DNS1035_LABEL.errors(value.lower() if mixed_case else value) if value else []
        if messages:
            prefix = "may have mixed case, but should otherwise match: " if mixed_case else ""
            errors.append(_invalid(_child("spec.names", key), value, prefix + ",".join(messages)))
    for key in ("shortNames", "categories"):
        for i, value in enumerate(_list(names.get(key))):
            if messages := _DNS1035_LABEL.errors(str(value)):
                errors.append(_invalid(_index(_child("spec.names", key), i), value, ",".join(messages)))
    kind = _str(names.get("kind"))
    if kind and kind == names.get("listKind"):
        errors.append(_invalid("spec.names.listKind", kind, "kind and listKind may not be the same"))
    return errors


# ---------------------------------------------------------------------------------------------------
# Custom resources: validation against the version's openAPIV3Schema (kube-openapi wording)

_ROOT_KEYS: Final = frozenset({"apiVersion", "kind", "metadata"})
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
    body = {key: value for key, value in obj.items() if key not in _ROOT_KEYS}
    return _check(_without_root_keys(schema), body, "")


def _without_root_keys(schema: Mapping[str, Any]) -> dict[str, Any]:
    trimmed = dict(schema)
    trimmed["properties"] = {k: v for k, v in _map(schema.get("properties")).items() if k not in _ROOT_KEYS}
    trimmed["required"] = [key for key in _list(schema.get("required")) if key not in _ROOT_KEYS]
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
    detail = f"{path} in body must be of type {expected}: {_go_quote(shown)}"
    return FieldError(path, INVALID, _joined(_go_quote(shown), detail))


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
    if _is_int(longest) and len(value) > longest:
        errors.append(_too_long(path, longest))
    elif _is_int(shortest) and len(value) < shortest:
        errors.append(_invalid(path, value, f"{path} in body should be at least {shortest} chars long"))
    elif isinstance(pattern, str) and not _pattern_matches(pattern, value):
        errors.append(_invalid(path, value, f"{path} in body should match '{pattern}'"))
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
    if _is_number(factor) and factor > 0 and not (value / factor).is_integer():
        errors.append(_invalid(path, value, f"{path} in body should be a multiple of {_go_number(factor)}"))
    for key, exclusive_key, beyond, beyond_exclusive, inclusive_words, exclusive_words in _BOUNDS:
        bound = schema.get(key)
        exclusive = schema.get(exclusive_key) is True
        if _is_number(bound) and (beyond_exclusive if exclusive else beyond)(value, bound):
            words = exclusive_words if exclusive else inclusive_words
            errors.append(_invalid(path, value, f"{path} in body should be {words} {_go_number(bound)}"))
    return errors


def _check_array(schema: Mapping[str, Any], value: list[Any], path: str) -> list[FieldError]:
    items, fewest, most = schema.get("items"), schema.get("minItems"), schema.get("maxItems")
    errors: list[FieldError] = []
    if isinstance(items, Mapping):
        errors += [error for i, item in enumerate(value) for error in _check(items, item, _index(path, i))]
    if _is_int(fewest) and len(value) < fewest:
        errors.append(_invalid(path, len(value), f"{path} in body should have at least {fewest} items"))
    if _is_int(most) and len(value) > most:
        errors.append(_too_many(path, len(value), most))
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
    options = _list(schema.get("enum"))
    if not options or any(_json_equal(value, option) for option in options):
        return []
    shown = [
        option if isinstance(option, str) else json.dumps(option, separators=(",", ":")) for option in options
    ]
    return [_unsupported(path, value, shown)]


def _check_object(schema: Mapping[str, Any], value: Mapping[str, Any], path: str) -> list[FieldError]:
    properties, extra = _map(schema.get("properties")), schema.get("additionalProperties")
    errors: list[FieldError] = []
    if isinstance(extra, Mapping):
        for key, item in value.items():
            errors += [] if key in properties else _check(extra, item, _child(path, str(key)))
    for key, sub in properties.items():
        errors += _check(_map(sub), value[key], _child(path, key)) if key in value else []
    return [
        *errors,
        *(_required(_child(path, str(key))) for key in _list(schema.get("required")) if key not in value),
    ]


# ---------------------------------------------------------------------------------------------------
# Custom resources: pruning, null removal and defaulting (structural schema algorithms)

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
    body = _without_root_keys(schema)
    for _ in range(2):
        _prune(body, result, "", [], _ROOT_KEYS)
        _drop_nulls(body, result)
        _default(body, result)
    return result


def unknown_fields(schema: Mapping[str, Any] | None, obj: Mapping[str, Any]) -> list[str]:
    """Paths pruning would drop (``spec.bogus``): what ``fieldValidation=Strict`` reports as unknown."""
    dropped: list[str] = []
    if schema is not None:
        _prune(_without_root_keys(schema), copy.deepcopy(dict(obj)), "", dropped, _ROOT_KEYS)
    return dropped


def _items(schema: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    items = schema.get("items") if schema is not None else None
    return items if isinstance(items, Mapping) else None


def _field_schema(schema: Mapping[str, Any] | None, key: str) -> tuple[bool, Mapping[str, Any] | None]:
    """Whether ``key`` is known here, and its schema (None for ``additionalProperties: true``)."""
    if schema is None:
        return False, None
    properties = _map(schema.get("properties"))
    if key in properties:
        return True, _map(properties[key])
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        return True, extra
    return extra is True, None


def _embedded_keys(schema: Mapping[str, Any] | None) -> frozenset[str]:
    return (
        _ROOT_KEYS
        if schema is not None and schema.get("x-kubernetes-embedded-resource") is True
        else _NO_KEYS
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
                _prune(sub, value[key], _child(path, key), dropped, _NO_KEYS)
            else:
                dropped.append(_child(path, key))
                del value[key]
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _prune(_items(schema), item, _index(path, i), dropped, _NO_KEYS)


def _prune_known(
    schema: Mapping[str, Any], value: Any, path: str, dropped: list[str], keep: frozenset[str]
) -> None:
    """Under ``x-kubernetes-preserve-unknown-fields`` unknown fields stay; known ones are still pruned."""
    if isinstance(value, dict):
        keep = keep | _embedded_keys(schema)
        for key, item in value.items():
            known, sub = _field_schema(schema, key)
            if known and key not in keep:
                _prune(sub, item, _child(path, key), dropped, _NO_KEYS)
    elif isinstance(value, list) and (items := _items(schema)) is not None:
        for i, item in enumerate(value):
            _prune_known(items, item, _index(path, i), dropped, _NO_KEYS)


def _is_defaultable_null(value: Any, schema: Mapping[str, Any] | None) -> bool:
    return value is None and schema is not None and schema.get("nullable") is not True


def _drop_nulls(schema: Mapping[str, Any] | None, value: Any) -> None:
    """``PruneNonNullableNullsWithoutDefaults``: a null in a non-nullable field means "unset"."""
    if isinstance(value, dict):
        for key in list(value):
            sub = _field_schema(schema, key)[1]
            if _is_defaultable_null(value[key], sub) and _map(sub).get("default") is None:
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
        for key, sub in _map(schema.get("properties")).items():
            if key not in value or _is_defaultable_null(value[key], _map(sub)):
                _set_default(value, key, _map(sub))
        for key in list(value):
            sub = _field_schema(schema, key)[1]
            if _is_defaultable_null(value[key], sub):
                _set_default(value, key, _map(sub))
            _default(sub, value[key])
    elif isinstance(value, list):
        items = _items(schema)
        for i in range(len(value)):
            if _is_defaultable_null(value[i], items):
                _set_default(value, i, _map(items))
            _default(items, value[i])


def _set_default(container: Any, key: Any, schema: Mapping[str, Any]) -> None:
    if schema.get("default") is not None:
        container[key] = copy.deepcopy(schema["default"])
