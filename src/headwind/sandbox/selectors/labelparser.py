"""The ``labelSelector`` query-string grammar: a port of apimachinery's ``labels.Parse``.

Why this module exists: kubectl and the clients send label selectors as text, and a selector the sandbox
parses differently from a cluster would select different objects or accept what a cluster refuses. So
this is the same lexer and recursive-descent parser, with the same states and error texts.

Its quirks, kept on purpose: ``in``/``notin`` are only keywords in operator position (``in`` is a valid
key), ``key=`` means "equals the empty string", ``key in ()`` selects the empty value, empty slots in a
value list (``(a,)``) add the empty value, and ``!key=v`` is an error.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator

from .errors import SelectorError
from .requirements import SET_OPERATORS, Operator, Requirement, validate_key


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


class LabelParser:
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
        values = self._value_set() if binary in SET_OPERATORS else self._exact_value()
        return Requirement.create(key, binary, values)

    def _key_and_inferred_operator(self) -> tuple[str, Operator | None]:
        token, literal = self._next()
        negated = token is _Token.NOT
        if negated:
            token, literal = self._next()
        if token is not _Token.IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        validate_key(literal)
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
