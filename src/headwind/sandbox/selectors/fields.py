"""Field selectors: :class:`FieldSelector`, a port of apimachinery's ``fields.ParseSelector``.

Why this module exists: operators and kubectl narrow lists and watches with ``fieldSelector``
(``metadata.name=web``, ``involvedObject.uid=...``), and the sandbox must parse, refuse and match them as
a cluster does. Which field labels a kind supports, and their values, are :mod:`.fieldsets`' business.

Non-obvious choices, all copied from Go: no whitespace trimming (``a = b`` asks for the field ``"a "``);
``\\,`` ``\\=`` ``\\\\`` are the only escapes in values; terms are sorted, so an unsupported field label is
reported for the first offending term in sorted order, with the apiserver's ``field label not supported:
X``; a field the object does not have reads as ``""``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from .errors import SelectorError

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
