"""Reading untrusted JSON: typed field access that fails with the field's path, never a KeyError.

Every webhook body is attacker-controlled until proven otherwise, and must never produce a 500.
Parsers read it only through these helpers, which either return a value of the expected type or
raise :class:`InvalidPayload` naming the dotted path (``event_data.resources[0].tag``) and what was
wrong, so a registry administrator can fix the sender from the 400 alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class InvalidPayload(ValueError):
    """A delivery that claims to be a push but cannot be read; ``problem`` says where and why."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a parser may know about a delivery besides its body (header names lower-cased)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"[:60]
    if isinstance(value, str):
        return f"the string {value!r}"[:60]
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _child(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


def obj(value: Any, path: str = "") -> dict[str, Any]:
    """``value`` as a JSON object, or :class:`InvalidPayload` for ``path`` (``""``: the body)."""
    if not isinstance(value, dict):
        raise InvalidPayload(f"{path or 'the body'}: expected a JSON object, got {_describe(value)}")
    return value


def member(container: Mapping[str, Any], name: str, path: str = "") -> Any:
    """A member that must be present (any type), else :class:`InvalidPayload` naming it."""
    if name not in container:
        raise InvalidPayload(f"{_child(path, name)}: required field is missing")
    return container[name]


def string(container: Mapping[str, Any], name: str, path: str = "") -> str:
    """A required non-empty string member."""
    value = member(container, name, path)
    if not isinstance(value, str) or not value:
        raise InvalidPayload(f"{_child(path, name)}: expected a non-empty string, got {_describe(value)}")
    return value


def optional_string(container: Mapping[str, Any], name: str, path: str = "") -> str | None:
    """A string member that may be absent, null or empty (all None); any other type is invalid."""
    value = container.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidPayload(f"{_child(path, name)}: expected a string, got {_describe(value)}")
    return value


def child(container: Mapping[str, Any], name: str, path: str = "") -> dict[str, Any]:
    """A required object member."""
    return obj(member(container, name, path), _child(path, name))


def optional_child(container: Mapping[str, Any], name: str, path: str = "") -> dict[str, Any] | None:
    """An object member that may be absent or null."""
    value = container.get(name)
    return None if value is None else obj(value, _child(path, name))


def items(container: Mapping[str, Any], name: str, path: str = "", *, required: bool = True) -> list[Any]:
    """A list member (absent or null is an empty list unless ``required``)."""
    value = container.get(name)
    if value is None and not required:
        return []
    value = member(container, name, path) if required else value
    if not isinstance(value, list):
        raise InvalidPayload(f"{_child(path, name)}: expected a list, got {_describe(value)}")
    return value


def path_of(path: str, name: str | int) -> str:
    """The dotted path of a member, for parsers that walk lists themselves."""
    return _child(path, name)
