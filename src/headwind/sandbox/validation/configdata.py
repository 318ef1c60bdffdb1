"""core: the data of ConfigMaps and Secrets (key syntax and base64 values).

Why this module exists: a key must be usable as a file name in a volume, and ``binaryData`` and Secret
``data`` values are ``[]byte`` fields that Go's JSON decoder reads as standard base64.

Non-obvious choices:

* A value that is not base64 makes a real apiserver answer ``400 BadRequest`` while decoding; here it
  is reported as ``Invalid value`` with Go's explanation (``illegal base64 data at input byte N``), so
  the object is still refused. The offset is the one Go's decoder reports: it skips CR and LF.
* Secret ``stringData`` is merged into ``data`` before validation, so its keys are reported as ``data``.
* Secret types (and the keys they require) are not checked: never stricter than the apiserver.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from .errors import INVALID, FieldError, index, invalid
from .names import config_key_errors
from .values import as_map

_B64_ALPHABET: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B64_NEWLINES: Final = frozenset(b"\r\n")
_B64_PAD: Final = ord("=")


def check_configmap(obj: Mapping[str, Any]) -> list[FieldError]:
    data, binary = as_map(obj.get("data")), as_map(obj.get("binaryData"))
    clashes = [
        invalid(index("data", key), key, "duplicate of key present in binaryData")
        for key in data
        if key in binary
    ]
    return [
        *_config_keys(data, "data"),
        *clashes,
        *_config_keys(binary, "binaryData"),
        *_base64_values(binary, "binaryData"),
    ]


def check_secret(obj: Mapping[str, Any]) -> list[FieldError]:
    """``stringData`` is merged into ``data`` before validation, so its keys are reported as ``data``."""
    data, string_data = as_map(obj.get("data")), as_map(obj.get("stringData"))
    keys = [*data, *(key for key in string_data if key not in data)]
    return [*_config_keys(keys, "data"), *_base64_values(data, "data")]


def _config_keys(keys: Iterable[Any], field: str) -> list[FieldError]:
    return [
        invalid(index(field, key), key, message) for key in keys for message in config_key_errors(str(key))
    ]


def _base64_values(entries: Mapping[str, Any], field: str) -> list[FieldError]:
    """Values of ``[]byte`` fields: Go's JSON decoder wants standard base64 (the apiserver answers 400)."""
    errors: list[FieldError] = []
    for key, value in entries.items():
        if not isinstance(value, str):
            errors.append(FieldError(index(field, key), INVALID, "must be a base64-encoded string"))
        elif (offset := _base64_error_offset(value.encode())) is not None:
            errors.append(
                FieldError(index(field, key), INVALID, f"illegal base64 data at input byte {offset}")
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
