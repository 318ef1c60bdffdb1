"""One term of a label selector: :class:`Requirement` (``key <operator> values``) and its validation.

Why this module exists: the query-string parser and the object form (``matchLabels`` and
``matchExpressions``) both build their terms through ``labels.NewRequirement``, which validates the key,
the values and their count; a term made here is accepted, matched and printed back as apimachinery does.

Non-obvious choices, all copied from k8s.io/apimachinery:

* Keys and values are validated with the apimachinery regexes using ``re.fullmatch`` (Python's ``$``
  would accept a trailing newline, Go's does not).
* Values are stored de-duplicated and sorted, so ``str()`` is canonical.
* ``!=`` and ``notin`` match objects that do not have the label at all; ``>``/``<`` never match a
  missing or non-integer label, and their value must be a 64-bit integer as ``strconv.ParseInt`` reads it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from .errors import SelectorError

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
    """``validation.IsQualifiedName``: an optional DNS-subdomain prefix and ``/``, then a short name.

    A prefix is reported for its first problem only, the name part for each of its problems.
    """
    parts = key.split("/")
    if len(parts) > 2:
        return [f"a qualified name {_NAME_RULE} with an optional DNS subdomain prefix and '/'"]
    prefix = (
        _part_problems("prefix", parts[0], _SUBDOMAIN_MAX, _SUBDOMAIN_RE, _SUBDOMAIN_RULE)[:1]
        if len(parts) == 2
        else []
    )
    return [*prefix, *_part_problems("name", parts[-1], _NAME_MAX, _NAME_RE, _NAME_RULE)]


def _part_problems(part_name: str, part: str, limit: int, pattern: re.Pattern[str], rule: str) -> list[str]:
    """One part of a qualified name: non-empty, at most ``limit`` characters, matching ``pattern``."""
    problems: list[str] = []
    if not part:
        problems.append(f"{part_name} part must be non-empty")
    elif len(part) > limit:
        problems.append(f"{part_name} part must be no more than {limit} characters")
    if not pattern.fullmatch(part):
        problems.append(f"{part_name} part {rule}")
    return problems


def validate_key(key: str) -> None:
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


SET_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})
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
    if operator in SET_OPERATORS and not values:
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
        validate_key(key)
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
        if self.operator in SET_OPERATORS:
            joined = f"({joined})"
        return f"{self.key}{_SPELLING[self.operator]}{joined}"
