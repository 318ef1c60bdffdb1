"""Label and field selectors, evaluated the way kube-apiserver evaluates them.

Why this module exists: operator tests list and watch through the real kubernetes-asyncio client and
kubectl, so the sandbox has to accept, reject and match ``labelSelector`` / ``fieldSelector`` exactly as a
real apiserver would. A selector that the sandbox accepts but a cluster rejects (or that matches a
different set of objects) would let a test pass here and fail in production.

Non-obvious choices, all copied from k8s.io/apimachinery rather than invented:

* The label selector grammar is a port of ``labels.Parse`` (lexer + recursive-descent parser), including
  its quirks: ``in``/``notin`` are only keywords in operator position (``in`` is a valid key), ``key=``
  means "equals the empty string", ``key in ()`` selects the empty value, and ``!key=v`` is an error.
* ``!=`` and ``notin`` match objects that do not have the label at all; ``>``/``<`` never match a missing
  or non-integer label.
* Keys and values are validated with the apimachinery regexes using ``re.fullmatch`` (Python's ``$``
  would accept a trailing newline, Go's does not).
* ``LabelSelector.from_object(None)`` selects nothing while ``from_object({})`` selects everything, as
  ``metav1.LabelSelectorAsSelector`` does; ``str()`` of the nothing selector is ``""`` like in Go.
* Field selectors are a port of ``fields.ParseSelector``: no whitespace trimming (``a = b`` asks for the
  field ``"a "``), ``\\,`` ``\\=`` ``\\\\`` escapes in values, and unsupported field labels are reported
  for the first offending term in sorted order, with the apiserver's ``field label not supported: X``.
* ``object_fields`` mirrors each registry's ``ToSelectableFields``: missing strings are ``""`` but
  missing integers are ``"0"`` and missing booleans ``"false"`` (Go zero values), ``source`` on core
  Events falls back to ``reportingComponent``, and cluster-scoped Namespace/Node expose no
  ``metadata.namespace`` (the apiserver rejects that field label for them).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FieldRequirement",
    "FieldSelector",
    "LabelSelector",
    "Operator",
    "Requirement",
    "SelectorError",
    "object_fields",
    "supported_fields",
]


class SelectorError(ValueError):
    """An invalid selector; the sandbox answers it with HTTP 400 BadRequest carrying ``str(error)``."""


# --------------------------------------------------------------------------------------------------------
# Validation (k8s.io/apimachinery/pkg/util/validation)
# --------------------------------------------------------------------------------------------------------

_NAME_MAX = 63
_SUBDOMAIN_MAX = 253
_NAME_RE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_VALUE_RE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_SUBDOMAIN_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_INT64_RE = re.compile(r"[+-]?[0-9]+")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

_NAME_RULE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    f"alphanumeric character (regex used for validation is '{_NAME_RE.pattern}')"
)
_VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
    f"must start and end with an alphanumeric character (regex used for validation is '{_VALUE_RE.pattern}')"
)
_SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    f"must start and end with an alphanumeric character (regex used for validation is "
    f"'{_SUBDOMAIN_RE.pattern}')"
)


def _qualified_name_problems(key: str) -> list[str]:
    """``validation.IsQualifiedName``: an optional DNS-subdomain prefix and ``/``, then a short name."""
    parts = key.split("/")
    if len(parts) > 2:
        return [f"a qualified name {_NAME_RULE} with an optional DNS subdomain prefix and '/'"]
    problems: list[str] = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            problems.append("prefix part must be non-empty")
        elif len(prefix) > _SUBDOMAIN_MAX:
            problems.append(f"prefix part must be no more than {_SUBDOMAIN_MAX} characters")
        elif not _SUBDOMAIN_RE.fullmatch(prefix):
            problems.append(f"prefix part {_SUBDOMAIN_RULE}")
    name = parts[-1]
    if not name:
        problems.append("name part must be non-empty")
    elif len(name) > _NAME_MAX:
        problems.append(f"name part must be no more than {_NAME_MAX} characters")
    if not _NAME_RE.fullmatch(name):
        problems.append(f"name part {_NAME_RULE}")
    return problems


def _validate_key(key: str) -> None:
    problems = _qualified_name_problems(key)
    if problems:
        raise SelectorError(f'key: Invalid value: "{key}": {"; ".join(problems)}')


def _validate_value(key: str, index: int, value: str) -> None:
    problems = []
    if len(value) > _NAME_MAX:
        problems.append(f"must be no more than {_NAME_MAX} characters")
    if not _VALUE_RE.fullmatch(value):
        problems.append(_VALUE_RULE)
    if problems:
        raise SelectorError(f'values[{index}][{key}]: Invalid value: "{value}": {"; ".join(problems)}')


def _parse_int64(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``: ASCII digits with an optional sign, no spaces or underscores."""
    if not _INT64_RE.fullmatch(text):
        return None
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


# --------------------------------------------------------------------------------------------------------
# Label requirements and selectors
# --------------------------------------------------------------------------------------------------------


class Operator(enum.Enum):
    """``selection.Operator``; the values are the Go constants."""

    EXISTS = "exists"
    DOES_NOT_EXIST = "!"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    IN = "in"
    NOT_IN = "notin"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_SET_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})
_EXACT_OPERATORS = frozenset({Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS})
_UNARY_OPERATORS = frozenset({Operator.EXISTS, Operator.DOES_NOT_EXIST})
_NUMERIC_OPERATORS = frozenset({Operator.GREATER_THAN, Operator.LESS_THAN})
_NEGATIVE_OPERATORS = frozenset({Operator.NOT_EQUALS, Operator.NOT_IN})
# How each operator is written back out by str(); set operators also get parentheses.
_SPELLING = {
    Operator.EQUALS: "=",
    Operator.DOUBLE_EQUALS: "==",
    Operator.NOT_EQUALS: "!=",
    Operator.IN: " in ",
    Operator.NOT_IN: " notin ",
    Operator.GREATER_THAN: ">",
    Operator.LESS_THAN: "<",
}


def _arity_problem(operator: Operator, values: tuple[str, ...]) -> str | None:
    """The value-count rules of ``labels.NewRequirement``."""
    if operator in _SET_OPERATORS and not values:
        return "for 'in', 'notin' operators, values set can't be empty"
    if operator in _EXACT_OPERATORS and len(values) != 1:
        return "exact-match compatibility requires one single value"
    if operator in _UNARY_OPERATORS and values:
        return "values set must be empty for exists and does not exist"
    if operator in _NUMERIC_OPERATORS:
        if len(values) != 1:
            return "for 'Gt', 'Lt' operators, exactly one value is required"
        if _parse_int64(values[0]) is None:
            rule = "for 'Gt', 'Lt' operators, the value must be an integer"
            return f'values[0]: Invalid value: "{values[0]}": {rule}'
    return None


@dataclass(frozen=True)
class Requirement:
    """One ``key <operator> values`` term; build it with :meth:`create` to get apiserver validation."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    @classmethod
    def create(cls, key: str, operator: Operator, values: Collection[str] = ()) -> Requirement:
        """``labels.NewRequirement``: validate, then store the values de-duplicated and sorted."""
        unique = tuple(sorted(set(values)))
        _validate_key(key)
        problem = _arity_problem(operator, unique)
        if problem is not None:
            raise SelectorError(problem)
        for index, value in enumerate(unique):
            _validate_value(key, index, value)
        return cls(key, operator, unique)

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator in _UNARY_OPERATORS:
            return (self.key in labels) == (self.operator is Operator.EXISTS)
        if self.key not in labels:
            return self.operator in _NEGATIVE_OPERATORS
        if self.operator in _NUMERIC_OPERATORS:
            return self._compare(labels[self.key])
        return (labels[self.key] in self.values) != (self.operator in _NEGATIVE_OPERATORS)

    def _compare(self, label_value: str) -> bool:
        have, want = _parse_int64(label_value), _parse_int64(self.values[0])
        if have is None or want is None:
            return False
        return have > want if self.operator is Operator.GREATER_THAN else have < want

    def __str__(self) -> str:
        if self.operator in _UNARY_OPERATORS:
            return ("!" if self.operator is Operator.DOES_NOT_EXIST else "") + self.key
        joined = ",".join(self.values)
        if self.operator in _SET_OPERATORS:
            joined = f"({joined})"
        return f"{self.key}{_SPELLING[self.operator]}{joined}"


@dataclass(frozen=True)
class LabelSelector:
    """A conjunction of :class:`Requirement` terms (sorted by key); ``nothing`` selects no object at all."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    @classmethod
    def everything(cls) -> LabelSelector:
        return cls()

    @classmethod
    def match_nothing(cls) -> LabelSelector:
        return cls(nothing=True)

    @classmethod
    def of(cls, requirements: Collection[Requirement]) -> LabelSelector:
        return cls(tuple(sorted(requirements, key=lambda requirement: requirement.key)))

    @classmethod
    def parse(cls, text: str | None) -> LabelSelector:
        """Parse the ``labelSelector`` query-string syntax (``labels.Parse``); ``None``/``""`` select all."""
        return cls.of(_LabelParser(text or "").parse())

    @classmethod
    def from_object(cls, selector: Mapping[str, Any] | None) -> LabelSelector:
        """``metav1.LabelSelectorAsSelector``: ``None`` selects nothing, ``{}`` selects everything."""
        if selector is None:
            return cls.match_nothing()
        match_labels = selector.get("matchLabels") or {}
        expressions = selector.get("matchExpressions") or []
        requirements = [_equality(key, value) for key, value in match_labels.items()]
        requirements += [_expression(expression) for expression in expressions]
        return cls.of(requirements)

    @property
    def is_everything(self) -> bool:
        return not self.nothing and not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        present = labels or {}
        return all(requirement.matches(present) for requirement in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


_EXPRESSION_OPERATORS = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
}


def _equality(key: Any, value: Any) -> Requirement:
    if not isinstance(key, str) or not isinstance(value, str):
        raise SelectorError(f"matchLabels entries must map strings to strings, got {key!r}: {value!r}")
    return Requirement.create(key, Operator.EQUALS, (value,))


def _expression(expression: Any) -> Requirement:
    if not isinstance(expression, Mapping):
        raise SelectorError(f"matchExpressions entries must be objects, got {expression!r}")
    name = expression.get("operator")
    operator = _EXPRESSION_OPERATORS.get(name) if isinstance(name, str) else None
    if operator is None:
        raise SelectorError(f'"{name}" is not a valid label selector operator')
    key, values = expression.get("key"), expression.get("values") or []
    if (
        not isinstance(key, str)
        or not isinstance(values, list)
        or not all(isinstance(v, str) for v in values)
    ):
        raise SelectorError(
            f"matchExpressions entries need a string key and a list of strings: {expression!r}"
        )
    return Requirement.create(key, operator, values)


# --------------------------------------------------------------------------------------------------------
# labels.Parse: lexer and parser
# --------------------------------------------------------------------------------------------------------


class _Token(enum.Enum):
    IDENTIFIER = enum.auto()
    END = enum.auto()
    NOT = enum.auto()  # "!": DoesNotExist prefix
    COMMA = enum.auto()
    OPEN = enum.auto()
    CLOSE = enum.auto()
    EQUALS = enum.auto()
    DOUBLE_EQUALS = enum.auto()
    NOT_EQUALS = enum.auto()
    GREATER = enum.auto()
    LESS = enum.auto()
    IN = enum.auto()
    NOT_IN = enum.auto()


_KEYWORDS = {
    "!": _Token.NOT,
    ",": _Token.COMMA,
    "(": _Token.OPEN,
    ")": _Token.CLOSE,
    "=": _Token.EQUALS,
    "==": _Token.DOUBLE_EQUALS,
    "!=": _Token.NOT_EQUALS,
    ">": _Token.GREATER,
    "<": _Token.LESS,
    "in": _Token.IN,
    "notin": _Token.NOT_IN,
}
_BINARY_OPERATORS = {
    _Token.IN: Operator.IN,
    _Token.NOT_IN: Operator.NOT_IN,
    _Token.EQUALS: Operator.EQUALS,
    _Token.DOUBLE_EQUALS: Operator.DOUBLE_EQUALS,
    _Token.NOT_EQUALS: Operator.NOT_EQUALS,
    _Token.GREATER: Operator.GREATER_THAN,
    _Token.LESS: Operator.LESS_THAN,
}
_EXPECTED_OPERATORS = ", ".join(operator.value for operator in _BINARY_OPERATORS.values())
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")
_DELIMITERS = _SPECIAL | _WHITESPACE
_SYMBOL_PAIRS = frozenset({"!=", "=="})
_Item = tuple[_Token, str]


def _lex(text: str) -> Iterator[_Item]:
    """Split ``text`` into tokens; symbols are munched greedily (``!=`` and ``==`` are the only pairs)."""
    position = 0
    while True:
        while position < len(text) and text[position] in _WHITESPACE:
            position += 1
        if position == len(text):
            yield _Token.END, ""
            return
        if text[position] in _SPECIAL:
            width = 2 if text[position : position + 2] in _SYMBOL_PAIRS else 1
        else:
            width = 1
            while position + width < len(text) and text[position + width] not in _DELIMITERS:
                width += 1
        literal = text[position : position + width]
        position += width
        yield _KEYWORDS.get(literal, _Token.IDENTIFIER), literal


class _LabelParser:
    """A direct port of apimachinery's label selector ``Parser`` (same states, same error texts)."""

    def __init__(self, text: str) -> None:
        self._items = list(_lex(text))
        self._position = 0

    def _peek(self, values_context: bool = True) -> _Item:
        token, literal = self._items[self._position]
        if values_context and token in (_Token.IN, _Token.NOT_IN):
            token = _Token.IDENTIFIER  # "in" and "notin" are plain words except in operator position
        return token, literal

    def _next(self, values_context: bool = True) -> _Item:
        item = self._peek(values_context)
        self._position = min(self._position + 1, len(self._items) - 1)
        return item

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        token, literal = self._peek()
        if token is _Token.END:
            return requirements
        if token not in (_Token.IDENTIFIER, _Token.NOT):
            raise SelectorError(f"found '{literal}', expected: !, identifier, or 'end of string'")
        while True:
            try:
                requirements.append(self._requirement())
            except SelectorError as error:
                raise SelectorError(f"unable to parse requirement: {error}") from None
            token, literal = self._next()
            if token is _Token.END:
                return requirements
            if token is not _Token.COMMA:
                raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
            token, literal = self._peek()
            if token not in (_Token.IDENTIFIER, _Token.NOT):
                raise SelectorError(f"found '{literal}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        key, operator = self._key_and_inferred_operator()
        if operator is not None:
            return Requirement.create(key, operator)
        token, literal = self._next(values_context=False)
        binary = _BINARY_OPERATORS.get(token)
        if binary is None:
            raise SelectorError(f"found '{literal}', expected: {_EXPECTED_OPERATORS}")
        values = self._value_set() if binary in _SET_OPERATORS else self._exact_value()
        return Requirement.create(key, binary, values)

    def _key_and_inferred_operator(self) -> tuple[str, Operator | None]:
        token, literal = self._next()
        negated = token is _Token.NOT
        if negated:
            token, literal = self._next()
        if token is not _Token.IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        _validate_key(literal)
        if negated:
            return literal, Operator.DOES_NOT_EXIST
        if self._peek()[0] in (_Token.END, _Token.COMMA):
            return literal, Operator.EXISTS
        return literal, None

    def _exact_value(self) -> list[str]:
        if self._peek()[0] in (_Token.END, _Token.COMMA):
            return [""]  # "key=" and "key!=" compare against the empty value
        token, literal = self._next()
        if token is not _Token.IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        return [literal]

    def _value_set(self) -> set[str]:
        token, literal = self._next()
        if token is not _Token.OPEN:
            raise SelectorError(f"found '{literal}' expected: '('")
        token, literal = self._peek()
        if token is _Token.CLOSE:
            self._next()
            return {""}  # "key in ()" selects the empty value
        if token not in (_Token.IDENTIFIER, _Token.COMMA):
            raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")
        values = self._identifier_list()
        self._next()  # the closing parenthesis, guaranteed by _identifier_list
        return values

    def _identifier_list(self) -> set[str]:
        """Values up to (not including) ``)``; empty slots such as ``(a,)`` or ``(,a)`` add ``""``."""
        values: set[str] = set()
        while True:
            token, literal = self._next()
            if token is _Token.IDENTIFIER:
                values.add(literal)
                following, following_literal = self._peek()
                if following is _Token.CLOSE:
                    return values
                if following is not _Token.COMMA:
                    raise SelectorError(f"found '{following_literal}', expected: ',' or ')'")
            elif token is _Token.COMMA:
                if not values:
                    values.add("")
                following = self._peek()[0]
                if following is _Token.CLOSE:
                    values.add("")
                    return values
                if following is _Token.COMMA:
                    self._next()
                    values.add("")
            else:
                raise SelectorError(f"found '{literal}', expected: ',', or identifier")


# --------------------------------------------------------------------------------------------------------
# Field selectors (k8s.io/apimachinery/pkg/fields)
# --------------------------------------------------------------------------------------------------------

_FIELD_OPERATORS = ("!=", "==", "=")  # "==" before "=" so the value does not keep a leading "="
_ESCAPES = {"\\": "\\", ",": ",", "=": "="}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    negated: bool = False

    def matches(self, fields: Mapping[str, str]) -> bool:
        return (fields.get(self.field, "") == self.value) != self.negated

    def __str__(self) -> str:
        escaped = "".join("\\" + char if char in _ESCAPES else char for char in self.value)
        return f"{self.field}{'!=' if self.negated else '='}{escaped}"


@dataclass(frozen=True)
class FieldSelector:
    """A conjunction of field equality terms; a field absent from the object's field set reads as ``""``."""

    requirements: tuple[FieldRequirement, ...] = ()

    @classmethod
    def parse(cls, text: str | None, supported: Collection[str]) -> FieldSelector:
        text = text or ""
        requirements = tuple(_field_term(text, term) for term in sorted(_split_terms(text)) if term)
        for requirement in requirements:
            if requirement.field not in supported:
                raise SelectorError(f"field label not supported: {requirement.field}")
        return cls(requirements)

    @property
    def is_everything(self) -> bool:
        return not self.requirements

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(requirement.matches(fields) for requirement in self.requirements)

    def requires_exact_match(self, field: str) -> str | None:
        """The value ``field`` must equal for anything to match (like Go's ``RequiresExactMatch``)."""
        for requirement in self.requirements:
            if requirement.field == field and not requirement.negated:
                return requirement.value
        return None

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not escaped; the escapes stay in the terms for later unescaping."""
    terms, start, escaped = [], 0, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return terms


def _field_term(text: str, term: str) -> FieldRequirement:
    for index in range(len(term)):
        for operator in _FIELD_OPERATORS:
            if term.startswith(operator, index):
                value = _unescape(term[index + len(operator) :])
                return FieldRequirement(term[:index], value, negated=operator == "!=")
    raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")


def _unescape(raw: str) -> str:
    chars, escaped = [], False
    for char in raw:
        if escaped:
            if char not in _ESCAPES:
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{char}")
            chars.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {char}")
        else:
            chars.append(char)
    if escaped:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(chars)


# --------------------------------------------------------------------------------------------------------
# Selectable fields per kind (each registry's ToSelectableFields)
# --------------------------------------------------------------------------------------------------------

_Extractor = Callable[[Mapping[str, Any]], str]


def _lookup(obj: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    current: Any = obj
    for part in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _text(*path: str) -> _Extractor:
    """A string field; Go's zero value ``""`` when missing."""

    def extract(obj: Mapping[str, Any]) -> str:
        value = _lookup(obj, path)
        return value if isinstance(value, str) else ""

    return extract


def _number(*path: str) -> _Extractor:
    """An int32 field rendered by ``strconv.Itoa``; ``"0"`` when missing."""

    def extract(obj: Mapping[str, Any]) -> str:
        value = _lookup(obj, path)
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else "0"

    return extract


def _flag(*path: str) -> _Extractor:
    """A bool field rendered by ``strconv.FormatBool``; ``"false"`` when missing."""

    def extract(obj: Mapping[str, Any]) -> str:
        return "true" if _lookup(obj, path) is True else "false"

    return extract


def _first_of(*extractors: _Extractor) -> _Extractor:
    """The first non-empty result, e.g. ``source.component`` falling back to ``reportingComponent``."""

    def extract(obj: Mapping[str, Any]) -> str:
        return next((text for text in (get(obj) for get in extractors) if text), "")

    return extract


def _first_pod_ip(obj: Mapping[str, Any]) -> str:
    ips = _lookup(obj, ("status", "podIPs"))
    return _text("ip")(ips[0]) if isinstance(ips, list) and ips and isinstance(ips[0], Mapping) else ""


def _reference_fields(prefix: str, source: str) -> dict[str, _Extractor]:
    names = ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
    return {f"{prefix}.{name}": _text(source, name) for name in names}


_NAME_ONLY: dict[str, _Extractor] = {"metadata.name": _text("metadata", "name")}
_OBJECT_META: dict[str, _Extractor] = {**_NAME_ONLY, "metadata.namespace": _text("metadata", "namespace")}
_EVENT_COMMON: dict[str, _Extractor] = {**_OBJECT_META, "reason": _text("reason"), "type": _text("type")}

_KIND_FIELDS: dict[str, dict[str, _Extractor]] = {
    "Event": {
        **_EVENT_COMMON,
        **_reference_fields("involvedObject", "involvedObject"),
        "reportingComponent": _text("reportingComponent"),
        "source": _first_of(_text("source", "component"), _text("reportingComponent")),
    },
    "events.k8s.io/Event": {
        **_EVENT_COMMON,
        **_reference_fields("regarding", "regarding"),
        "reportingController": _text("reportingController"),
    },
    "Pod": {
        **_OBJECT_META,
        "spec.nodeName": _text("spec", "nodeName"),
        "spec.restartPolicy": _text("spec", "restartPolicy"),
        "spec.schedulerName": _text("spec", "schedulerName"),
        "spec.serviceAccountName": _text("spec", "serviceAccountName"),
        "spec.hostNetwork": _flag("spec", "hostNetwork"),
        "status.phase": _text("status", "phase"),
        "status.podIP": _first_of(_text("status", "podIP"), _first_pod_ip),
        "status.nominatedNodeName": _text("status", "nominatedNodeName"),
    },
    "Secret": {**_OBJECT_META, "type": _text("type")},
    "Namespace": {**_NAME_ONLY, "status.phase": _text("status", "phase")},
    "ReplicaSet": {**_OBJECT_META, "status.replicas": _number("status", "replicas")},
    # The label says "successful" but the value is status.succeeded, as in the Job registry.
    "Job": {**_OBJECT_META, "status.successful": _number("status", "succeeded")},
    "Node": {**_NAME_ONLY, "spec.unschedulable": _flag("spec", "unschedulable")},
}
_SUPPORTED = {kind: frozenset(extractors) for kind, extractors in _KIND_FIELDS.items()}
_DEFAULT_SUPPORTED = frozenset(_OBJECT_META)


def object_fields(kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    """The field set the apiserver matches field selectors against for ``obj``.

    ``kind`` is the bare Kind for core/apps/batch built-ins (``"Pod"``, ``"ReplicaSet"``, ``"Job"``) and
    ``"events.k8s.io/Event"`` for the events.k8s.io view; anything else gets the metadata fields only.
    """
    extractors = _KIND_FIELDS.get(kind, _OBJECT_META)
    return {field: extract(obj) for field, extract in extractors.items()}


def supported_fields(kind: str) -> frozenset[str]:
    """The field labels a field selector may use for ``kind`` (the keys of :func:`object_fields`)."""
    return _SUPPORTED.get(kind, _DEFAULT_SUPPORTED)
