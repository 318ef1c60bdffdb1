"""Lenient reads of decoded JSON, and the two value rules every kind shares.

Why this module exists: the rules run on whatever a client sent, before any typed decoding, so a field
of the wrong JSON type must neither crash a rule nor be reported twice. :func:`as_map`, :func:`as_list`
and :func:`as_str` read a wrong-typed field as empty, which leaves each rule to report only its own
problem; a ``bool`` is not an integer here (Python says it is, JSON does not).

:func:`enumerated` and :func:`nonnegative` check enumerated strings and counters. A decoding failure
that a real apiserver answers with ``400 BadRequest`` (a string where an integer belongs) is reported
as ``Invalid value ... must be an integer`` instead: the object is still refused, with another status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeGuard

from .errors import REQUIRED, FieldError, child, invalid, unsupported


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def enumerated(value: Any, path: str, allowed: Sequence[str], *, required: bool = False) -> list[FieldError]:
    """An enumerated string field; absent or empty means defaulted unless ``required``."""
    if value is None or value == "":
        return [FieldError(path, REQUIRED)] if required else []
    return [] if value in allowed else [unsupported(path, value, allowed)]


def nonnegative(spec: Mapping[str, Any], path: str, fields: Iterable[str]) -> list[FieldError]:
    """Counters of a spec: integers, at least 0; an absent one is not checked."""
    errors: list[FieldError] = []
    for name in fields:
        value = spec.get(name)
        if value is None:
            continue
        if not is_int(value):
            errors.append(invalid(child(path, name), value, "must be an integer"))
        elif value < 0:
            errors.append(invalid(child(path, name), value, "must be greater than or equal to 0"))
    return errors
