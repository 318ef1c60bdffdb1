"""Label selectors: :class:`LabelSelector`, a conjunction of requirements, from text or from an object.

Why this module exists: the sandbox meets label selectors in two forms, the ``labelSelector`` text of a
list or watch request and the ``spec.selector`` object of a workload (which its ``scale`` subresource
prints back as text), and both must mean what they mean to kube-apiserver.

Non-obvious: ``LabelSelector.from_object(None)`` selects nothing while ``from_object({})`` selects
everything, as ``metav1.LabelSelectorAsSelector`` does; ``str()`` of the nothing selector is ``""``, as
in Go.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import SelectorError
from .labelparser import LabelParser
from .requirements import Operator, Requirement


@dataclass(frozen=True)
class LabelSelector:
    """A conjunction of :class:`Requirement` terms (sorted by key); ``nothing`` selects no object at all."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    @classmethod
    def everything(cls) -> LabelSelector:
        return cls()

    @classmethod
    def match_nothing(cls) -> LabelSelector:
        return cls(nothing=True)

    @classmethod
    def of(cls, requirements: Collection[Requirement]) -> LabelSelector:
        return cls(tuple(sorted(requirements, key=lambda requirement: requirement.key)))

    @classmethod
    def parse(cls, text: str | None) -> LabelSelector:
        """Parse the ``labelSelector`` query-string syntax (``labels.Parse``); ``None``/``""`` select all."""
        return cls.of(LabelParser(text or "").parse())

    @classmethod
    def from_object(cls, selector: Mapping[str, Any] | None) -> LabelSelector:
        """``metav1.LabelSelectorAsSelector``: ``None`` selects nothing, ``{}`` selects everything."""
        if selector is None:
            return cls.match_nothing()
        match_labels = selector.get("matchLabels") or {}
        expressions = selector.get("matchExpressions") or []
        requirements = [_equality(key, value) for key, value in match_labels.items()]
        requirements += [_expression(expression) for expression in expressions]
        return cls.of(requirements)

    @property
    def is_everything(self) -> bool:
        return not self.nothing and not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        present = labels or {}
        return all(requirement.matches(present) for requirement in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


_EXPRESSION_OPERATORS = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
}


def _equality(key: Any, value: Any) -> Requirement:
    if not isinstance(key, str) or not isinstance(value, str):
        raise SelectorError(f"matchLabels entries must map strings to strings, got {key!r}: {value!r}")
    return Requirement.create(key, Operator.EQUALS, (value,))


def _expression(expression: Any) -> Requirement:
    if not isinstance(expression, Mapping):
        raise SelectorError(f"matchExpressions entries must be objects, got {expression!r}")
    name = expression.get("operator")
    operator = _EXPRESSION_OPERATORS.get(name) if isinstance(name, str) else None
    if operator is None:
        raise SelectorError(f'"{name}" is not a valid label selector operator')
    key, values = expression.get("key"), expression.get("values") or []
    if (
        not isinstance(key, str)
        or not isinstance(values, list)
        or not all(isinstance(v, str) for v in values)
    ):
        raise SelectorError(
            f"matchExpressions entries need a string key and a list of strings: {expression!r}"
        )
    return Requirement.create(key, operator, values)
