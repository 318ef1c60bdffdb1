"""Go's spelling of a bad value, so that an emulated message reads byte for byte like the apiserver's.

Why this module exists: a field error prints its bad value with Go's ``%q`` and ``%#v``: strings in
double quotes with Go's escapes, whole floats without ``.0``, a nil label map as
``map[string]string(nil)``. Tests and users compare whole messages, so the emulator spells values the
same way. Messages follow current Kubernetes (1.30+).

Non-obvious: a bad value that Go prints as a struct is spelled the way Go spells it where that is
deterministic; such a value is built by its rule and wrapped in :class:`GoValue` so that it is printed
as it is. Other structured values are printed as compact JSON with sorted keys: stable, though not what
Go would print.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final


class GoValue(str):
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


def go_quote(text: str) -> str:
    """Go's ``%q`` / ``strconv.Quote``."""
    return '"' + "".join(_go_char(char) for char in text) + '"'


def go_number(value: float) -> str:
    """Go's ``%v`` for a number: no ``.0`` on whole floats below 1e21."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e21):
        return str(int(value))
    return repr(value)


def go_value(value: object) -> str:
    """A bad value as a field error prints it (``%#v`` for scalars, compact JSON for the rest)."""
    if isinstance(value, GoValue):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return go_number(value)
    if isinstance(value, str):
        return go_quote(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def go_string_map(labels: object) -> GoValue:
    """A label map as ``%#v`` prints a ``map[string]string``: keys sorted, nil when absent."""
    if not isinstance(labels, Mapping):
        return GoValue("map[string]string(nil)")
    pairs = sorted((str(key), value) for key, value in labels.items())
    return GoValue("map[string]string{" + ", ".join(f"{go_quote(k)}:{go_value(v)}" for k, v in pairs) + "}")
