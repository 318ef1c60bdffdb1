"""Name syntaxes of ``k8s.io/apimachinery/pkg/util/validation``: what a name, key or label value may be.

Why this module exists: object names, label keys and values, annotation keys and ConfigMap keys each
follow one of a few regex-and-length rules, and the apiserver's explanation quotes the regex and its
examples. A :class:`Syntax` holds one such rule with its wording. The functions here return the
explanations, not :class:`~.errors.FieldError` values: the caller knows the field and the bad value.

Non-obvious choices, all copied from Go:

* Lengths are counted in bytes of UTF-8, as Go's ``len`` counts them.
* ``IsDNS1123Label`` tells a name that would be a valid subdomain that it "must not contain dots",
  instead of quoting the regex.
* ``RegexError`` follows each example with ``", "`` and joins them with ``" or "``: the double space in
  ``'my-name',  or '123-abc'`` is Go's.
* A ``generateName`` prefix is checked with its trailing dash masked (``maskTrailingDash``), since the
  random suffix follows it.
* A :data:`NameRule` is chosen per kind: most names are DNS subdomains, a Namespace's or a
  StatefulSet's is a DNS label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final


def max_len(limit: int) -> str:
    """Go's ``MaxLenError``."""
    return f"must be no more than {limit} characters"


def _regex_error(message: str, fmt: str, examples: Sequence[str]) -> str:
    """Go's ``RegexError``, double space before each ``or`` included."""
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


@dataclass(frozen=True)
class Syntax:
    """A name syntax: a Go regex (as the message shows it), a byte limit and the explanation."""

    fmt: str
    max_bytes: int
    message: str
    examples: tuple[str, ...]

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.fmt, value) is not None

    def regex_error(self) -> str:
        return _regex_error(self.message, self.fmt, self.examples)

    def errors(self, value: str) -> list[str]:
        errors = [max_len(self.max_bytes)] if len(value.encode()) > self.max_bytes else []
        return errors if self.matches(value) else [*errors, self.regex_error()]


_LABEL_FMT: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_FMT: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_MESSAGE: Final = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character"
)
DNS1123_LABEL: Final = Syntax(
    _LABEL_FMT,
    63,
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character",
    ("my-name", "123-abc"),
)
DNS1123_SUBDOMAIN: Final = Syntax(
    _LABEL_FMT + r"(\." + _LABEL_FMT + ")*",
    253,
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character",
    ("example.com",),
)
DNS1035_LABEL: Final = Syntax(
    "[a-z]([-a-z0-9]*[a-z0-9])?",
    63,
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character",
    ("my-name", "abc-123"),
)
_QUALIFIED_NAME: Final = Syntax(_QUALIFIED_FMT, 63, _QUALIFIED_MESSAGE, ("MyName", "my.name", "123-abc"))
LABEL_VALUE: Final = Syntax(
    "(" + _QUALIFIED_FMT + ")?",
    63,
    "a valid label must be an empty string or consist of alphanumeric "
    "characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    ("MyValue", "my_value", "12345"),
)
_CONFIG_KEY: Final = Syntax(
    "[-._a-zA-Z0-9]+",
    253,
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
    ("key.name", "KEY_NAME", "key-name"),
)
_CONFIG_KEY_DOTS: Final = (("..", "must not be '..'"), (".", "must not be '.'"))


def dns1123_label_errors(value: str) -> list[str]:
    """``IsDNS1123Label``: a valid subdomain that fails is told about its dots."""
    errors = [max_len(63)] if len(value.encode()) > 63 else []
    if DNS1123_LABEL.matches(value):
        return errors
    return [
        *errors,
        "must not contain dots" if DNS1123_SUBDOMAIN.matches(value) else DNS1123_LABEL.regex_error(),
    ]


def qualified_name_errors(value: str) -> list[str]:
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
        errors.append("name part " + max_len(63))
    if not _QUALIFIED_NAME.matches(name):
        errors.append("name part " + _QUALIFIED_NAME.regex_error())
    return errors


def _prefix_errors(prefix: str) -> list[str]:
    if not prefix:
        return ["prefix part must be non-empty"]
    return ["prefix part " + message for message in DNS1123_SUBDOMAIN.errors(prefix)]


def config_key_errors(key: str) -> list[str]:
    """``IsConfigMapKey``: file-name safe, and not a path that climbs out of a volume."""
    errors = _CONFIG_KEY.errors(key)
    climbing = next((message for dots, message in _CONFIG_KEY_DOTS if key == dots), None)
    if climbing is None and key.startswith(".."):
        climbing = "must not start with '..'"
    return [*errors, climbing] if climbing else errors


#: A kind's name syntax: ``rule(name, is_generate_name_prefix)`` answers the explanations of what is wrong.
NameRule = Callable[[str, bool], list[str]]


def _mask_trailing_dash(name: str) -> str:
    """Go's ``maskTrailingDash`` for generateName prefixes (it replaces the last *two* characters)."""
    return name[:-2] + "a" if len(name) > 1 and name.endswith("-") else name


def subdomain_name(name: str, prefix: bool) -> list[str]:
    return DNS1123_SUBDOMAIN.errors(_mask_trailing_dash(name) if prefix else name)


def label_name(name: str, prefix: bool) -> list[str]:
    return dns1123_label_errors(_mask_trailing_dash(name) if prefix else name)
