"""Refused fields as the apiserver reports them: :class:`FieldError`, its message and its Status cause.

Why this module exists: kubectl prints the message of the apiserver's ``422 Invalid`` answer and clients
match on its ``details.causes``, so both must read as ``k8s.io/apimachinery/pkg/util/validation/field``
writes them. Every rule of the package builds its errors with the constructors here (one per Go
``field.Required``, ``field.Invalid``, ``field.NotSupported``, ...) and joins paths as ``field.Path``
prints them, so no rule formats a message by hand.

Non-obvious: ``detail`` holds the Go-spelled bad value *and* the explanation, because Go's ``ErrorBody``
prints them together; a Status cause carries that body without the field. :func:`invalid_message` prints
a repeated message once, as Go's aggregate error does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from .spelling import go_quote, go_value

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
    head = f"{kind_qualified} {go_quote(name)} is invalid"
    if not messages:
        return head
    if len(messages) == 1:
        return f"{head}: {messages[0]}"
    return f"{head}: [{', '.join(messages)}]"


def child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def index(path: str, key: object) -> str:
    """``path[3]`` for a list index, ``path[key]`` for a map key, as ``field.Path`` prints both."""
    return f"{path}[{key}]"


def joined(*parts: str) -> str:
    return ": ".join(part for part in parts if part)


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, REQUIRED, detail)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, FORBIDDEN, detail)


def invalid(path: str, value: object, detail: str) -> FieldError:
    return FieldError(path, INVALID, joined(go_value(value), detail))


def unsupported(path: str, value: object, supported: Iterable[str]) -> FieldError:
    quoted = ", ".join(go_quote(option) for option in supported)
    return FieldError(
        path, UNSUPPORTED, joined(go_value(value), f"supported values: {quoted}" if quoted else "")
    )


def duplicate(path: str, value: object) -> FieldError:
    return FieldError(path, DUPLICATE, go_value(value))


def too_long(path: str, limit: int) -> FieldError:
    return FieldError(path, TOO_LONG, f"may not be more than {limit} bytes")


def too_many(path: str, actual: int, limit: int) -> FieldError:
    return FieldError(path, TOO_MANY, f"{actual}: must have at most {limit} items")
