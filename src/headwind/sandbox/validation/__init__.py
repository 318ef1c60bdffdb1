"""Admission-time validation: the ``422 Invalid`` answers of a kube-apiserver, as pure functions.

Why this package exists: every operator test runs against the sandbox through the real clients, and a
test that passes against the emulator must not fail on a real cluster. So the emulator refuses what a
kube-apiserver refuses, naming the same fields in the same words (kubectl prints the message, clients
and tests match on it). Nothing here does I/O or keeps state; the caller runs defaulting first (as the
apiserver does) and turns the returned :class:`FieldError` list into a Status with
:func:`invalid_message` and :meth:`FieldError.cause`. Only create-time rules live here: immutability
and update-only checks belong to the storage layer.

The modules, from the bottom up: ``errors`` (a refused field and its wording), ``spelling`` (Go's way of
printing a bad value), ``values`` (lenient reads of decoded JSON), ``names`` (apimachinery's name
syntaxes), ``metadata`` (ObjectMeta), ``labelselector`` (a workload's selector); ``pods``,
``workloads``, ``jobs`` and ``configdata`` (the rules of the built-in kinds) and ``builtin`` (which kind
gets which); ``crd`` (CustomResourceDefinitions); ``schema`` and ``pruning`` (custom resources against
their CRD's schema).
"""

from .builtin import validate_builtin
from .crd import validate_crd
from .errors import (
    CAUSE_REASONS,
    DUPLICATE,
    FORBIDDEN,
    INVALID,
    REQUIRED,
    TOO_LONG,
    TOO_MANY,
    UNSUPPORTED,
    FieldError,
    invalid_message,
)
from .metadata import validate_metadata
from .names import NameRule
from .pruning import prune_and_default, unknown_fields
from .schema import validate_custom

__all__ = [
    "CAUSE_REASONS",
    "DUPLICATE",
    "FORBIDDEN",
    "INVALID",
    "REQUIRED",
    "TOO_LONG",
    "TOO_MANY",
    "UNSUPPORTED",
    "FieldError",
    "NameRule",
    "invalid_message",
    "prune_and_default",
    "unknown_fields",
    "validate_builtin",
    "validate_crd",
    "validate_custom",
    "validate_metadata",
]
